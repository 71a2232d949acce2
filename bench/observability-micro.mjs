// In-process echo micro-benchmark for issue 17, the noise-resistant companion of bench/observability.mjs. Each
// variant is one server-side WebSocket over an in-memory Duplex (no sockets, no syscalls), fed batches of masked
// 16-byte frames and echoing each one: exactly the path the counters touch (read → message → send → frame write).
// Variants: a build of --base (before), this build (counters), and this build with a subscriber on every diagnostics
// channel. All three live in one process and run in short alternating bursts, so whatever else the machine is doing
// slows them alike; the result is the median over bursts of each variant's time relative to `before`.
//
//   npm run build && node bench/observability-micro.mjs [--base main] [--cycles 400] [--burst 8192]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import diagnostics from 'node:diagnostics_channel';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { buildFrame } from '../test/helpers/frame-bytes.mjs';
import { CHANNELS, benchDir, rootDir } from './servers/impls.mjs';
import { median } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const base = option('--base', 'main');
const cycles = Number(option('--cycles', 400));
const burst = Number(option('--burst', 8192));
/** Frames per pushed chunk: like a busy connection's reads (one write of replies per read). */
const BATCH = 64;
/** Each echo is an unmasked 18-byte frame (2-byte header + 16). */
const ECHO_BYTES = 18;

/** A build of `ref` in `dir` (git archive, the root node_modules linked in). */
function buildBase(ref, dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-x', '-C', dir], { input: execFileSync('git', ['-C', rootDir, 'archive', ref], { maxBuffer: 256 * 1024 * 1024 }) });
  symlinkSync(join(rootDir, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.mjs')], { cwd: dir, stdio: 'ignore' });
  return join(dir, 'dist', 'cjs');
}

/** One echoing server-side socket of the build in `dist`; `run(n)` pushes n messages and returns CPU ns used. */
async function echoRig(dist) {
  const { WebSocketServer } = require(join(dist, 'index.js'));
  const wss = new WebSocketServer({ noServer: true });
  let written = 0;
  const socket = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      written += chunk.length;
      callback();
    }
  });
  const request = {
    method: 'GET',
    url: '/',
    headers: { host: 'bench', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
    socket: {}
  };
  const ws = await new Promise((resolve) => wss.handleUpgrade(request, socket, Buffer.alloc(0), resolve));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  const frame = buildFrame({ opcode: 2, payload: Buffer.alloc(16, 0x61), key: Buffer.from([1, 2, 3, 4]) });
  const chunk = Buffer.concat(Array.from({ length: BATCH }, () => frame));
  return (messages) => {
    const chunks = Math.ceil(messages / BATCH);
    const before = written;
    const start = process.cpuUsage();
    for (let i = 0; i < chunks; i++) socket.emit('data', chunk);
    const used = process.cpuUsage(start);
    if (written - before !== chunks * BATCH * ECHO_BYTES) throw new Error('an echo is missing');
    return (used.user + used.system) * 1000;
  };
}

/** Subscribe a listener that reads one field to every channel; returns the function that unsubscribes them. */
function subscribeAll() {
  let seen = 0;
  const listener = (message) => {
    if (message !== undefined) seen++;
  };
  for (const name of CHANNELS) diagnostics.subscribe(name, listener);
  return () => {
    for (const name of CHANNELS) diagnostics.unsubscribe(name, listener);
    return seen;
  };
}

const work = join(benchDir, 'out', `observability-micro-${process.pid}`);
try {
  const beforeDist = buildBase(base, join(work, 'base'));
  const current = join(work, 'current');
  cpSync(join(rootDir, 'dist', 'cjs'), current, { recursive: true });
  const runBefore = await echoRig(beforeDist);
  const runCurrent = await echoRig(current);
  const runSubscribed = await echoRig(current);
  const variants = {
    before: runBefore,
    counters: runCurrent,
    subscribed: (n) => {
      const unsubscribe = subscribeAll();
      try {
        return runSubscribed(n);
      } finally {
        unsubscribe();
      }
    }
  };
  const names = Object.keys(variants);
  // Warm-up: every variant's path compiled before anything is timed.
  for (let i = 0; i < 20; i++) for (const name of names) variants[name](burst);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + cycle) % names.length];
      times[name].push(variants[name](burst) / burst);
    }
  }
  const commit = execFileSync('git', ['-C', rootDir, 'rev-parse', '--short', base]).toString().trim();
  const relative = (name) => median(times[name].map((t, i) => t / times.before[i]));
  const lines = [
    `Run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · \`node bench/observability-micro.mjs${argv.length ? ' ' + argv.join(' ') : ''}\` · ` +
      `${cycles} alternating bursts of ${burst.toLocaleString('en-US')} echoes of 16 B per variant, one process · before = \`${base}\` (${commit})`,
    '',
    '| variant | CPU ns per echo (median of bursts) | median of burst / before burst |',
    '|---|--:|--:|',
    ...names.map((name) => `| ${name} | ${median(times[name]).toFixed(1)} | ${relative(name).toFixed(3)}× |`)
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
