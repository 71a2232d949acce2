// One measured run and its verdict, shared by bench/run.mjs (the suite) and bench/observability.mjs (issue 17):
// a fresh server pinned to CPU 0, the load pinned to CPU 1, the server stopped by pid; and a bounded wait for an
// idle machine before each run.
import { join } from 'node:path';
import { renameSync } from 'node:fs';
import { cpuJiffies, parseKv, run, runPinned, sleep, startServer, stopProcess } from './proc.mjs';
import { benchDir } from '../servers/impls.mjs';

export const SERVER_CPU = '0';
export const LOAD_CPU = '1';
const outDir = join(benchDir, 'out');
const deflateScript = join(benchDir, 'deflate.mjs');

/**
 * Compiles wsload and wsecho with gcc -O2 (both are our own C tools: one .c file each, plus the
 * shared header wsproto.h, and wsdeflate.h for wsload, that gcc finds next to it). Each is built aside and
 * renamed into place, so a concurrent run still executing the old binary is not disturbed.
 */
export async function buildTools() {
  for (const [src, bin] of [['wsload.c', 'wsload'], ['wsecho.c', join('out', 'wsecho')]]) {
    const tmp = join(benchDir, `${bin}.${process.pid}.tmp`);
    // wsload's --deflate (wsdeflate.h) uses zlib: Debian package zlib1g-dev.
    const r = await run('gcc', ['-O2', '-o', tmp, join(benchDir, src), ...(src === 'wsload.c' ? ['-lz'] : [])]);
    if (r.code !== 0) throw new Error(`gcc ${src} failed (wsload needs zlib.h: zlib1g-dev):\n${r.output}`);
    renameSync(tmp, join(benchDir, bin));
  }
}

/**
 * Waits (bounded, per run and in total: `budget.quietMs` is spent down) until the machine is idle, because other
 * work on a 2-core box skews a run more than anything the code does. Returns the busy fraction seen last.
 * @param {{ quietMs: number }} budget
 */
export async function waitForQuiet(budget) {
  const deadline = Date.now() + Math.min(10000, budget.quietMs);
  const start = Date.now();
  let busy = 1;
  for (let i = 0; i < 50 && Date.now() < deadline; i++) {
    const a = cpuJiffies();
    await sleep(250);
    const b = cpuJiffies();
    busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < 0.1) break;
  }
  budget.quietMs -= Date.now() - start;
  return busy;
}

/**
 * One measured run: fresh pinned server, pinned load, server stopped.
 * @param {import('./scenarios.mjs').Scenario} sc
 * @param {string} peer
 * @param {Record<string, string>} env extra environment of the server (and of the Node clients)
 * @param {import('./scenarios.mjs').Timing} timing
 */
export async function runOnce(sc, peer, env, timing) {
  const limit = timing.warmup + timing.duration + timing.holdSecs + 90;
  const pinned = async (cpu, cmd, args, seconds = limit) => {
    const r = await runPinned(cpu, cmd, args, seconds, env);
    return { kv: parseKv(r.stdout), code: r.code, stderr: r.stderr };
  };
  const node = process.execPath;
  // These two start their own pinned processes: broadcast.mjs is the server and forks its clients onto the load
  // CPU; deflate.mjs hold-run starts a server on CPU 0 and its clients on CPU 1.
  if (sc.kind === 'broadcast') {
    return pinned(SERVER_CPU, node, [join(benchDir, 'broadcast.mjs'), '--peer', peer, '--load-cpu', LOAD_CPU,
      ...sc.args(timing)], limit + 120);
  }
  if (sc.kind === 'deflate-hold') return pinned(LOAD_CPU, node, [deflateScript, 'hold-run', peer, ...sc.args(timing)]);
  let server;
  try {
    if (sc.kind === 'client') {
      server = await startServer(SERVER_CPU, join(outDir, 'wsecho'), ['--max-runtime', String(Math.ceil(limit))]);
      const load = join(benchDir, 'clients', peer === 'raw' ? 'raw-client-load.mjs' : 'client-load.mjs');
      return await pinned(LOAD_CPU, node, [load, peer, String(server.port), ...sc.args(timing), '1', String(server.pid)]);
    }
    const script = sc.server === 'deflate' ? [deflateScript, 'server', peer]
      : peer === 'raw' ? [join(benchDir, 'servers', sc.rawServer ?? 'raw-echo.mjs')]
        : [join(benchDir, 'servers', 'ws-api-echo.mjs'), peer];
    server = await startServer(SERVER_CPU, node, script, env);
    const args = [...sc.args(timing), '-p', String(server.port), '--server-pid', String(server.pid)];
    // The raw echo server echoes bytes, so wsload checks frames without a handshake; a rawServer speaks WebSocket.
    if (peer === 'raw' && sc.rawServer === undefined) args.push('--raw');
    return await pinned(LOAD_CPU, join(benchDir, 'wsload'), args);
  } finally {
    if (server) await stopProcess(server.child);
  }
}

/** Decides whether a run is a result; a run with any protocol error is not. Returns the reason, or null. */
export function judge(sc, res) {
  const kv = res.kv;
  if (res.code !== 0) return `exit ${res.code}: ${res.stderr.trim().split('\n').pop() ?? ''}`;
  if (kv.errors !== 0) return `errors=${kv.errors}`;
  if (typeof kv[sc.metric] !== 'number') return `no ${sc.metric}`;
  // Nothing got through in the window (a starved run): not a rate of zero, no result.
  if (kv[sc.metric] <= 0) return `${sc.metric}=${kv[sc.metric]}`;
  if (kv.open !== undefined && kv.conns !== undefined && kv.open !== kv.conns) return `open=${kv.open}/${kv.conns}`;
  if (kv.open_at_end !== undefined && kv.open_at_end !== kv.conns) return `open_at_end=${kv.open_at_end}/${kv.conns}`;
  return null;
}
