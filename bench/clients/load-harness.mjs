// The measuring side shared by the client-scenario loads (client-load.mjs: a WebSocket library's clients;
// raw-client-load.mjs: plain `net` sockets, the floor): the command line, the counters, the warm-up and measured
// windows, the `key=value` report line (read by bench/lib/run-once.mjs) and the hard time limits. Each load only
// opens its connections, keeps messages in flight and tells the harness what happened.
import { HZ, cpuJiffies, processJiffies } from '../lib/proc.mjs';

/**
 * `node LOAD IMPL PORT CONNS SIZE DURATION_S WARMUP_S [DEPTH] [SERVER_PID]`.
 * @param {string[]} argv process.argv.slice(2)
 */
export function parseLoadArgs(argv) {
  const [impl, port, conns, size, duration, warmup, depth, serverPid] = argv;
  return { impl, port: Number(port), conns: Number(conns), size: Number(size), duration: Number(duration),
    warmup: Number(warmup), depth: Number(depth || 1), serverPid: serverPid || null };
}

/** The payload every load sends: `size` bytes of A–Z. */
export function makePayload(size) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = 0x41 + (i % 26);
  return payload;
}

/**
 * Counters and phases of one load. The load calls `opened()` per connection that is ready (the windows start when
 * all are), counts `stats.msgs` and `stats.errors` itself, stops sending once `stats.phase` is `'done'`.
 * @param {ReturnType<typeof parseLoadArgs>} cfg
 * @param {{ sendFirst: () => void, closeAll: () => void }} hooks  put `depth` messages in flight on every
 *   connection; drop every connection
 */
export function createLoad(cfg, hooks) {
  const stats = { phase: 'setup', opened: 0, msgs: 0, errors: 0 };

  /** Jiffies: all CPUs busy, and the server's user+system (fields 14 and 15 of /proc/PID/stat). */
  const sample = () => ({ busy: cpuJiffies().busy, srv: cfg.serverPid ? processJiffies(cfg.serverPid) : null });

  function report(secs, count, cpuMicros, s0) {
    let extra = '';
    if (s0) {
      const s1 = sample();
      extra = `sys_busy=${(((s1.busy - s0.busy) / HZ / secs) * 100).toFixed(1)} `;
      if (s0.srv !== null) extra += `srv_cpu=${(((s1.srv - s0.srv) / HZ / secs) * 100).toFixed(1)} `;
    }
    process.stdout.write(
      `mode=client impl=${cfg.impl} conns=${cfg.conns} open=${stats.opened} size=${cfg.size} depth=${cfg.depth} ` +
        `secs=${secs.toFixed(3)} msgs=${count} msgs_per_s=${(count / secs).toFixed(0)} ` +
        `MiB_per_s=${((count * cfg.size) / secs / 1048576).toFixed(2)} ` +
        `cli_cpu=${((cpuMicros / 1e6 / secs) * 100).toFixed(1)} ${extra}errors=${stats.errors}\n`);
  }

  function finish(code) {
    stats.phase = 'done';
    hooks.closeAll();
    process.exit(code);
  }

  function start() {
    clearTimeout(setupTimer);
    stats.phase = 'warmup';
    hooks.sendFirst();
    setTimeout(() => {
      stats.phase = 'measure';
      const m0 = stats.msgs;
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const s0 = sample();
      setTimeout(() => {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu = process.cpuUsage(c0);
        report(secs, stats.msgs - m0, cpu.user + cpu.system, s0);
        finish(0);
      }, cfg.duration * 1000);
    }, cfg.warmup * 1000);
  }

  const setupTimer = setTimeout(() => {
    stats.errors++;
    report(1, 0, 0);
    finish(1);
  }, 30000);
  setTimeout(() => finish(3), (cfg.duration + cfg.warmup + 60) * 1000).unref();

  return {
    stats,
    opened() {
      if (++stats.opened === cfg.conns) start();
    }
  };
}
