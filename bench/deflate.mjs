// permessage-deflate benchmark (issue 5): compressed echo of JSON-like text, 1 KiB and 64 KiB, 100 connections with
// one message in flight each, against a sockwire and a ws echo server with the same perMessageDeflate options, in
// the same run, interleaved, 3 repetitions, medians. Then server RSS per idle connection with compression
// negotiated: after the handshake, 1 s after one compressed round trip (zlib contexts exist), and once the
// connections have been idle past sockwire's default `zlibIdleTimeout` (10 s; `IDLE_WAIT_MS` after the echo).
//
// Load generator: ws clients for both servers (the same client code and cost for both), in a process pinned to
// CPU 1; servers pinned to CPU 0. Every echo is compared with what was sent.
//
//   node bench/deflate.mjs [--reps 3] [--duration 3] [--warmup 1] [--hold 1000] [--before DIR] [--idle MS]
//
// --before DIR adds a third server, "before": the sockwire build in DIR/dist/cjs (e.g. `git archive main` built in
// a temp dir), interleaved with the other two, so a change is measured against its base in the same run.
// --idle MS gives the (after) sockwire server `zlibIdleTimeout: MS` (0: never, as ws); without it, the default.
//
// Writes bench/out/deflate.json and prints a Markdown table. Internal modes: `server IMPL`, `load ...`, `hold ...`;
// bench/run.mjs runs `server` (driven by `wsload --deflate`) for its deflate echo rows and `hold-run IMPL CONNS`
// (one RSS measurement, printed as a `key=value` line) for its idle-deflate-connection row.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HZ, cpuJiffies, parseKv, processJiffies, runPinned, sleep, startServer, stopProcess } from './lib/proc.mjs';
import { median } from './lib/report.mjs';
import { loadImpl, rootDir } from './servers/impls.mjs';

const SELF = fileURLToPath(import.meta.url);
/** The same options on both servers (and the clients): ws's defaults, written out. */
const DEFLATE = { threshold: 1024, concurrencyLimit: 10, serverNoContextTakeover: false, clientNoContextTakeover: false };
const CONNS = 100;
/** How long after the echo the idle RSS is read: past sockwire's default zlibIdleTimeout (10 s), with a margin. */
const IDLE_WAIT_MS = 11500;
const SIZES = [1024, 64 * 1024];
const beforeIndex = process.argv.indexOf('--before');
const BEFORE_DIR = beforeIndex === -1 ? undefined : process.argv[beforeIndex + 1];
const IMPLS = BEFORE_DIR === undefined ? ['ws', 'sockwire'] : ['ws', 'sockwire', 'before'];

/** JSON-like text messages of exactly `size` bytes; a pool of distinct ones so each message is not a repeat. */
function messagePool(size, count) {
  let seed = 0x2545f491 ^ size;
  const rand = () => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 4294967296;
  };
  const words = ['alpha', 'beta', 'gamma', 'delta', 'status', 'active', 'pending', 'user', 'order', 'item'];
  const pool = [];
  for (let m = 0; m < count; m++) {
    let text = '[';
    for (let i = 0; text.length < size; i++) {
      const w = words[Math.floor(rand() * words.length)];
      text += `{"id":${Math.floor(rand() * 1e6)},"type":"${w}","name":"${w}-${Math.floor(rand() * 1000)}",` +
        `"price":${(rand() * 100).toFixed(2)},"tags":["${words[i % words.length]}"],"ok":${rand() < 0.5}},`;
    }
    pool.push(text.slice(0, size));
  }
  return pool;
}

/** Busy jiffies of all CPUs, and user+system jiffies of `pid`. */
function jiffies(pid) {
  return { busy: cpuJiffies().busy, proc: processJiffies(pid) };
}

// --- child: echo server --------------------------------------------------------------------------------------

function serverMode(impl) {
  const { WebSocketServer } = loadImpl(impl === 'before' ? 'sockwire' : impl);
  // BENCH_ZLIB_IDLE (from --idle) overrides sockwire's default zlibIdleTimeout; ws has no such option.
  const idle = process.env.BENCH_ZLIB_IDLE;
  const perMessageDeflate = impl === 'sockwire' && idle !== undefined && idle !== '' ? { ...DEFLATE, zlibIdleTimeout: Number(idle) } : DEFLATE;
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate }, () => {
    process.stdout.write(JSON.stringify({ impl, port: wss.address().port, pid: process.pid }) + '\n');
  });
  wss.on('connection', (socket) => {
    socket.on('message', function echo(data, isBinary) {
      this.send(data, { binary: isBinary });
    });
    socket.on('error', () => {});
  });
  process.on('SIGTERM', () => process.exit(0));
  setTimeout(() => process.exit(3), 600000).unref();
}

// --- child: echo load (ws clients) ----------------------------------------------------------------------------

function loadMode([port, conns, size, duration, warmup, serverPid]) {
  const { WebSocket } = loadImpl('ws');
  const pool = messagePool(Number(size), 64);
  let phase = 'setup';
  let opened = 0;
  let msgs = 0;
  let errors = 0;
  const sockets = [];
  function onMessage(data, isBinary) {
    if (isBinary || data.toString() !== pool[this.sent % pool.length]) errors++;
    msgs++;
    if (phase === 'done') return;
    this.sent++;
    this.send(pool[this.sent % pool.length]);
  }
  const finish = (code) => {
    phase = 'done';
    for (const s of sockets) s.terminate();
    process.exit(code);
  };
  const start = () => {
    phase = 'warmup';
    for (const s of sockets) s.send(pool[s.sent % pool.length]);
    setTimeout(() => {
      const m0 = msgs;
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const j0 = jiffies(Number(serverPid));
      const w0 = sockets.reduce((n, s) => n + s._socket.bytesWritten, 0);
      const r0 = sockets.reduce((n, s) => n + s._socket.bytesRead, 0);
      setTimeout(() => {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        const c = process.cpuUsage(c0);
        const j1 = jiffies(Number(serverPid));
        const sent = sockets.reduce((n, s) => n + s._socket.bytesWritten, 0) - w0;
        const received = sockets.reduce((n, s) => n + s._socket.bytesRead, 0) - r0;
        const count = msgs - m0;
        process.stdout.write(
          `msgs=${count} secs=${secs.toFixed(3)} msgs_per_s=${(count / secs).toFixed(0)} ` +
            `srv_cpu=${(((j1.proc - j0.proc) / HZ / secs) * 100).toFixed(1)} cli_cpu=${(((c.user + c.system) / 1e6 / secs) * 100).toFixed(1)} ` +
            `sys_busy=${(((j1.busy - j0.busy) / HZ / secs) * 100).toFixed(1)} wire_ratio=${(sent / (count * Number(size))).toFixed(3)} ` +
            `srv_wire_ratio=${(received / (count * Number(size))).toFixed(3)} ` +
            `errors=${errors} open=${opened}\n`
        );
        finish(0);
      }, Number(duration) * 1000);
    }, Number(warmup) * 1000);
  };
  setTimeout(() => finish(1), 60000).unref();
  for (let i = 0; i < Number(conns); i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: DEFLATE });
    ws.sent = i;
    ws.on('open', () => {
      if (ws.extensions !== 'permessage-deflate') errors++;
      if (++opened === Number(conns)) start();
    });
    ws.on('message', onMessage);
    ws.on('error', () => errors++);
    ws.on('close', () => {
      if (phase !== 'done') errors++;
    });
    sockets.push(ws);
  }
}

// --- child: idle connections for RSS ------------------------------------------------------------------------

function holdMode([port, conns]) {
  const { WebSocket } = loadImpl('ws');
  const message = messagePool(1024, 1)[0];
  const sockets = [];
  let opened = 0;
  let echoed = 0;
  const say = (line) => process.stdout.write(line + '\n');
  // Open in batches of 100 so the server is never flooded with handshakes.
  const openBatch = (from) => {
    const to = Math.min(Number(conns), from + 100);
    for (let i = from; i < to; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: DEFLATE });
      ws.on('open', () => {
        if (ws.extensions !== 'permessage-deflate') say('error=not-negotiated');
        if (++opened === to) {
          if (to < Number(conns)) openBatch(to);
          else say('opened');
        }
      });
      ws.on('message', () => {
        if (++echoed === Number(conns)) say('echoed');
      });
      ws.on('error', (e) => say(`error=${e.message}`));
      sockets.push(ws);
    }
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line) => {
    if (line.startsWith('send')) for (const ws of sockets) ws.send(message);
    if (line.startsWith('exit')) process.exit(0);
  });
  setTimeout(() => process.exit(3), 60000).unref();
  openBatch(0);
}

// --- orchestrator -------------------------------------------------------------------------------------------

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};

/** Waits for the machine to be quiet (busy < 15 % over 0.5 s, at most 5 tries); returns the last busy fraction. */
async function quiet() {
  let busy = 1;
  for (let i = 0; i < 5; i++) {
    const a = jiffies(process.pid).busy;
    await sleep(500);
    busy = (jiffies(process.pid).busy - a) / HZ / 0.5 / 2;
    if (busy < 0.15) break;
  }
  return busy;
}

function vmRss(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

async function holdRun(impl, conns, env = {}) {
  const server = await startServer('0', process.execPath, [SELF, 'server', impl], env);
  try {
    await sleep(300);
    const base = vmRss(server.pid);
    const child = spawn('taskset', ['-c', '1', process.execPath, SELF, 'hold', String(server.port), String(conns)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const waitFor = (word) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hold: no "${word}" in 60 s`)), 60000);
      const check = () => {
        if (out.includes('error=')) reject(new Error(`hold: ${out}`));
        if (out.includes(word)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (c) => {
        out += c;
        check();
      };
      child.stdout.on('data', onData);
      check();
    });
    try {
      await waitFor('opened');
      await sleep(1000);
      const negotiated = vmRss(server.pid);
      child.stdin.write('send\n');
      await waitFor('echoed');
      const echoed = Date.now();
      await sleep(1000);
      const used = vmRss(server.pid);
      await sleep(Math.max(0, echoed + IDLE_WAIT_MS - Date.now()));
      const idle = vmRss(server.pid);
      return { conns, baseRss: base, perConnNegotiated: (negotiated - base) / conns, perConnAfterMessage: (used - base) / conns,
        perConnIdle: (idle - base) / conns };
    } finally {
      child.stdin.write('exit\n');
      await stopProcess(child);
    }
  } finally {
    await stopProcess(server.child);
  }
}

async function main() {
  const reps = arg('reps', 3);
  const duration = arg('duration', 3);
  const warmup = arg('warmup', 1);
  const holdConns = arg('hold', 1000);
  const started = Date.now();
  // A private copy of the build, so a concurrent `npm run build` cannot change the code under test mid-run.
  const snapshot = join(tmpdir(), `sockwire-deflate-bench-${process.pid}`);
  cpSync(join(rootDir, 'dist', 'cjs'), snapshot, { recursive: true });
  const idleOption = arg('idle', undefined);
  const envOf = { ws: {}, sockwire: { SOCKWIRE_DIST: snapshot, ...(idleOption === undefined ? {} : { BENCH_ZLIB_IDLE: String(idleOption) }) } };
  const beforeSnapshot = `${snapshot}-before`;
  if (BEFORE_DIR !== undefined) {
    cpSync(join(BEFORE_DIR, 'dist', 'cjs'), beforeSnapshot, { recursive: true });
    envOf.before = { SOCKWIRE_DIST: beforeSnapshot };
  }
  const runs = [];
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const size of SIZES) {
        // Rotate which server goes first from one repetition to the next.
        const order = IMPLS.map((_, i) => IMPLS[(i + rep) % IMPLS.length]);
        for (const impl of order) {
          const busyBefore = await quiet();
          const server = await startServer('0', process.execPath, [SELF, 'server', impl], envOf[impl]);
          try {
            const res = await runPinned('1', process.execPath, [SELF, 'load', String(server.port), String(CONNS), String(size), String(duration), String(warmup), String(server.pid)], duration + warmup + 60);
            const kv = parseKv(res.stdout);
            const valid = res.code === 0 && kv.errors === 0 && kv.open === CONNS;
            // Other processes' share of the two CPUs during the window (busy minus server minus client).
            const other = typeof kv.sys_busy === 'number' ? kv.sys_busy - kv.srv_cpu - kv.cli_cpu : null;
            runs.push({ impl, size, rep, valid, busyBefore, other, ...kv });
            process.stderr.write(`rep ${rep} ${impl} ${size} B: ${res.stdout.trim() || res.stderr.trim()}\n`);
          } finally {
            await stopProcess(server.child);
          }
        }
      }
    }
    const hold = {};
    for (const impl of IMPLS) {
      await quiet();
      hold[impl] = await holdRun(impl, holdConns, envOf[impl]);
      process.stderr.write(`hold ${impl}: ${JSON.stringify(hold[impl])}\n`);
    }
    const summary = SIZES.map((size) => {
      const row = { size };
      for (const impl of IMPLS) {
        const ok = runs.filter((r) => r.impl === impl && r.size === size && r.valid);
        row[impl] = {
          msgsPerS: median(ok.map((r) => r.msgs_per_s)),
          srvCpu: median(ok.map((r) => r.srv_cpu)),
          cliCpu: median(ok.map((r) => r.cli_cpu)),
          srvCpuUsPerMsg: median(ok.map((r) => (r.srv_cpu / 100 / r.msgs_per_s) * 1e6)),
          wireRatio: median(ok.map((r) => r.wire_ratio)),
          srvWireRatio: median(ok.map((r) => r.srv_wire_ratio)),
          otherCpu: median(ok.map((r) => r.other)),
          valid: ok.length
        };
      }
      row.ratio = row.sockwire.msgsPerS / row.ws.msgsPerS;
      row.cpuRatio = row.ws.srvCpuUsPerMsg / row.sockwire.srvCpuUsPerMsg;
      return row;
    });
    const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
    const result = { date: new Date().toISOString(), node: process.version, options: DEFLATE, conns: CONNS, reps, duration, warmup,
      loadGenerator: 'ws clients (same for both servers), pinned to CPU 1; servers pinned to CPU 0', loadavgBefore: loadBefore,
      loadavgAfter: loadAfter, seconds: (Date.now() - started) / 1000, summary, hold, runs };
    mkdirSync(join(rootDir, 'bench', 'out'), { recursive: true });
    writeFileSync(join(rootDir, 'bench', 'out', 'deflate.json'), JSON.stringify(result, null, 2) + '\n');
    const f0 = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
    const f1 = (x) => (x == null ? 'n/a' : x.toFixed(1));
    const lines = [
      `Compressed echo, ${CONNS} connections × 1 in flight, JSON-like text, perMessageDeflate ${JSON.stringify(DEFLATE)}; ` +
        `medians of ${reps} interleaved runs (${warmup} s warm-up + ${duration} s); load: ws clients on CPU 1, server on CPU 0.`,
      '',
      '| message | ws msgs/s | sockwire msgs/s | sockwire / ws | server CPU µs/msg ws | sockwire | ws/sockwire CPU | client CPU % (ws srv / sockwire srv) | server→client wire/payload (ws / sockwire) |',
      '|---|---|---|---|---|---|---|---|---|'
    ];
    for (const row of summary) {
      lines.push(`| ${row.size / 1024} KiB | ${f0(row.ws.msgsPerS)} | ${f0(row.sockwire.msgsPerS)} | ${row.ratio.toFixed(2)}× | ` +
        `${f1(row.ws.srvCpuUsPerMsg)} | ${f1(row.sockwire.srvCpuUsPerMsg)} | ${row.cpuRatio.toFixed(2)}× | ${f1(row.ws.cliCpu)} / ${f1(row.sockwire.cliCpu)} | ${row.ws.srvWireRatio?.toFixed(3)} / ${row.sockwire.srvWireRatio?.toFixed(3)} |`);
    }
    lines.push('', `| server RSS per idle deflate connection (${holdConns} conns) | ws | sockwire | sockwire / ws |`, '|---|---|---|---|');
    const kb = (x) => `${(x / 1024).toFixed(1)} KiB`;
    lines.push(`| after the handshake | ${kb(hold.ws.perConnNegotiated)} | ${kb(hold.sockwire.perConnNegotiated)} | ${(hold.sockwire.perConnNegotiated / hold.ws.perConnNegotiated).toFixed(2)}× |`);
    lines.push(`| 1 s after one 1 KiB compressed round trip | ${kb(hold.ws.perConnAfterMessage)} | ${kb(hold.sockwire.perConnAfterMessage)} | ${(hold.sockwire.perConnAfterMessage / hold.ws.perConnAfterMessage).toFixed(2)}× |`);
    lines.push(`| ${IDLE_WAIT_MS / 1000} s after it (idle) | ${kb(hold.ws.perConnIdle)} | ${kb(hold.sockwire.perConnIdle)} | ${(hold.sockwire.perConnIdle / hold.ws.perConnIdle).toFixed(2)}× |`);
    if (BEFORE_DIR !== undefined) {
      lines.push('', `before (${BEFORE_DIR}), same run:`, '', '| message | before msgs/s | before / ws | server CPU µs/msg before | after | before/after CPU | ws/before CPU |', '|---|---|---|---|---|---|---|');
      for (const row of summary) {
        const b = row.before;
        lines.push(`| ${row.size / 1024} KiB | ${f0(b.msgsPerS)} | ${(b.msgsPerS / row.ws.msgsPerS).toFixed(2)}× | ${f1(b.srvCpuUsPerMsg)} | ` +
          `${f1(row.sockwire.srvCpuUsPerMsg)} | ${(b.srvCpuUsPerMsg / row.sockwire.srvCpuUsPerMsg).toFixed(2)}× | ${(row.ws.srvCpuUsPerMsg / b.srvCpuUsPerMsg).toFixed(2)}× |`);
      }
      lines.push('', `| RSS per idle deflate connection | before | after |`, '|---|---|---|');
      lines.push(`| after the handshake | ${kb(hold.before.perConnNegotiated)} | ${kb(hold.sockwire.perConnNegotiated)} |`);
      lines.push(`| 1 s after one 1 KiB compressed round trip | ${kb(hold.before.perConnAfterMessage)} | ${kb(hold.sockwire.perConnAfterMessage)} |`);
      lines.push(`| ${IDLE_WAIT_MS / 1000} s after it (idle) | ${kb(hold.before.perConnIdle)} | ${kb(hold.sockwire.perConnIdle)} |`);
    }
    lines.push('', `loadavg before ${loadBefore}, after ${loadAfter}; median other-process CPU during runs: ` +
      summary.map((r) => `${r.size / 1024} KiB ws ${f1(r.ws.otherCpu)} % / sockwire ${f1(r.sockwire.otherCpu)} %`).join(', ') +
      `; invalid runs: ${runs.filter((r) => !r.valid).length}; total ${result.seconds.toFixed(0)} s.`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    rmSync(snapshot, { recursive: true, force: true });
    rmSync(beforeSnapshot, { recursive: true, force: true });
  }
}

/**
 * One RSS measurement as a `key=value` line (bench/run.mjs). The result (`bytes_per_conn`) is the per-connection RSS
 * once the connections have been idle past the default zlibIdleTimeout; `used_bytes_per_conn` is 1 s after the echo.
 */
async function holdRunMode([impl, conns]) {
  const r = await holdRun(impl, Number(conns));
  process.stdout.write(`mode=deflate-hold impl=${impl} conns=${r.conns} open_at_end=${r.conns} ` +
    `negotiated_bytes_per_conn=${r.perConnNegotiated.toFixed(0)} used_bytes_per_conn=${r.perConnAfterMessage.toFixed(0)} ` +
    `bytes_per_conn=${r.perConnIdle.toFixed(0)} errors=0\n`);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') serverMode(rest[0]);
else if (mode === 'hold-run') await holdRunMode(rest);
else if (mode === 'load') loadMode(rest);
else if (mode === 'hold') holdMode(rest);
else await main();
