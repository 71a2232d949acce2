// Issue 18 (hot path): server CPU time per echoed message, which load on a shared machine distorts far less than
// msgs/s. Alternates a 'before' build of sockwire (SOCKWIRE_DIST of --before), this build, and ws (+ addons) under
// wsload, round after round, and prints the medians:
// `node bench/hot-path.mjs --before /tmp/before/dist/cjs [--size 16] [--conns 100] [--depth 1] [--secs 3]
//   [--rounds 3] [--peers before,after,ws-addons,raw,minimal-bare,minimal-api,minimal-deflate] [--mode echo|connect]
//   [--deflate]`
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseKv, run, runPinned, startServer, stopProcess } from './lib/proc.mjs';
import { benchDir, rootDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const secs = opt('secs', '3');
const rounds = Number(opt('rounds', '3'));
const peers = opt('peers', 'before,after,ws-addons').split(',');
const before = opt('before', '');
// `connect` measures the handshake row instead (wsload -m connect, 50 in flight, WebSocket close): cycles/s and
// server CPU per cycle; `raw` is then raw-handshake.mjs and `minimal-api` minimal-handshake.mjs.
const connect = opt('mode', 'echo') === 'connect';
// `--deflate` measures the compressed echo rows instead (wsload --deflate, JSON-like text): sockwire and ws run the
// echo server of bench/deflate.mjs (the suite's), and `minimal-deflate` is minimal-deflate-echo.mjs, zlib's floor.
const deflate = argv.includes('--deflate');
if (peers.includes('before') && before === '') throw new Error('--before <dist/cjs of the before build> is needed');

/** Server command line and environment of one peer. */
function serverOf(peer) {
  if (connect && (peer === 'raw' || peer === 'minimal-api')) {
    return { args: [join(benchDir, 'servers', peer === 'raw' ? 'raw-handshake.mjs' : 'minimal-handshake.mjs')], env: {}, raw: false };
  }
  if (deflate) {
    if (peer === 'minimal-deflate') return { args: [join(benchDir, 'servers', 'minimal-deflate-echo.mjs')], env: {}, raw: false };
    const impl = peer === 'before' || peer === 'after' ? 'sockwire' : peer;
    const env = { SOCKWIRE_DIST: peer === 'before' ? before : join(rootDir, 'dist', 'cjs') };
    return { args: [join(benchDir, 'deflate.mjs'), 'server', impl], env, raw: false };
  }
  if (peer === 'raw') return { args: [join(benchDir, 'servers', 'raw-echo.mjs')], env: {}, raw: true };
  // The least JavaScript a WebSocket echo runs per message, without (bare) and with (api) ws's event and send shape.
  if (peer === 'minimal-bare' || peer === 'minimal-api') {
    return { args: [join(benchDir, 'servers', 'minimal-echo.mjs'), peer.slice('minimal-'.length)], env: {}, raw: false };
  }
  const impl = peer === 'before' || peer === 'after' ? 'sockwire' : peer;
  const env = peer === 'before' ? { SOCKWIRE_DIST: before } : { SOCKWIRE_DIST: join(rootDir, 'dist', 'cjs') };
  return { args: [join(benchDir, 'servers', 'ws-api-echo.mjs'), impl], env, raw: false };
}

async function measure(peer) {
  const { args, env, raw } = serverOf(peer);
  const server = await startServer('0', process.execPath, args, env);
  const shape = connect
    ? ['-m', 'connect', '-c', opt('conns', '50'), '--close', 'ws']
    : ['-m', 'echo', '-c', opt('conns', '100'), '-d', opt('depth', '1'), '-s', opt('size', '16')];
  const load = [...shape, '-w', '1', '-t', secs, '-p', String(server.port), '--server-pid', String(server.pid)];
  if (raw) load.push('--raw');
  if (deflate) load.push('--deflate');
  const result = await runPinned('1', join(benchDir, 'wsload'), load, Number(secs) + 60);
  await stopProcess(server.child);
  const kv = parseKv(result.stdout);
  if (kv.errors !== 0) throw new Error(`${peer}: ${result.stdout}${result.stderr}`);
  const count = connect ? kv.handshakes : kv.msgs;
  return { rate: connect ? kv.cycles_per_s : kv.msgs_per_s, cpuUs: ((kv.srv_cpu / 100) * kv.secs * 1e6) / count };
}

const unit = connect ? 'cycle' : 'msg';
const rateUnit = connect ? 'cycles/s' : 'msgs/s';
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  if (!existsSync(join(benchDir, 'wsload'))) await run('gcc', ['-O2', '-o', join(benchDir, 'wsload'), join(benchDir, 'wsload.c')]);
  const results = new Map(peers.map((peer) => [peer, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no peer always runs first.
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[(i + round) % peers.length];
      const r = await measure(peer);
      results.get(peer).push(r);
      process.stderr.write(`round ${round} ${peer}: ${r.rate} ${rateUnit}, ${r.cpuUs.toFixed(2)} µs CPU/${unit}\n`);
    }
  }
  const shape = connect ? `connect conns=${opt('conns', '50')}` : `size=${opt('size', '16')} conns=${opt('conns', '100')} depth=${opt('depth', '1')}`;
  process.stdout.write(`${shape}, medians of ${rounds}\n`);
  process.stdout.write(`| peer | ${rateUnit} | server CPU µs/${unit} |\n|---|--:|--:|\n`);
  for (const [peer, list] of results) {
    const rate = median(list.map((r) => r.rate));
    const cpu = median(list.map((r) => r.cpuUs));
    process.stdout.write(`| ${peer} | ${Math.round(rate).toLocaleString('en-US')} | ${cpu.toFixed(2)} |\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
