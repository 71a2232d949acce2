// Profiles one echo server under wsload and prints the top self-time functions:
// `node bench/profile.mjs [--impl sockwire|ws|ws-addons|raw|minimal] [--mode echo|connect] [--size 16] [--depth 1] [--conns 100]
//   [--secs 5] [--top 15]`.
// The server runs with `node --cpu-prof` pinned to CPU 0, wsload on CPU 1; the profile lands in bench/out/prof/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseKv, runPinned, startServer, stopProcess } from './lib/proc.mjs';
import { buildTools } from './lib/run-once.mjs';
import { benchDir, rootDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const impl = opt('impl', 'sockwire');
const secs = Number(opt('secs', '5'));
const top = Number(opt('top', '15'));
const profDir = join(benchDir, 'out', 'prof', impl);

/**
 * Self time per function from a V8 .cpuprofile: each sample's time delta goes to the node it hit.
 * @param {{ nodes: object[], samples: number[], timeDeltas: number[] }} prof
 */
export function selfTimes(prof) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const totals = new Map();
  let all = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const dt = prof.timeDeltas[i] ?? 0;
    all += dt;
    const cf = n.callFrame;
    const where = cf.url ? `${relative(rootDir, cf.url.replace(/^file:\/\//, ''))}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + dt);
  }
  return { all, rows: [...totals].sort((a, b) => b[1] - a[1]) };
}

async function main() {
  if (!existsSync(join(benchDir, 'wsload'))) await buildTools();
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const mode = opt('mode', 'echo');
  // `raw` and `minimal` profile the floor servers of the suite: the raw handshake server or the raw `net` echo, and
  // the minimal ws-API servers (handshake, or the `api` echo).
  const floors = {
    raw: mode === 'connect' ? ['raw-handshake.mjs'] : ['raw-echo.mjs'],
    minimal: mode === 'connect' ? ['minimal-handshake.mjs'] : ['minimal-echo.mjs', 'api']
  };
  const script = floors[impl] ?? ['ws-api-echo.mjs', impl];
  const server = await startServer('0', process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', profDir, join(benchDir, 'servers', script[0]), ...script.slice(1)]);
  const load = mode === 'connect'
    ? ['-m', 'connect', '-c', opt('conns', '50'), '--close', 'ws']
    : ['-m', 'echo', '-c', opt('conns', '100'), '-d', opt('depth', '1'), '-s', opt('size', '16'), ...(impl === 'raw' ? ['--raw'] : [])];
  const r = await runPinned('1', join(benchDir, 'wsload'), [...load, '-p', String(server.port), '-w', '1',
    '-t', String(secs), '--server-pid', String(server.pid)], secs + 60);
  await stopProcess(server.child);
  const kv = parseKv(r.stdout);
  const rate = mode === 'connect' ? `${kv.cycles_per_s} cycles/s` : `${kv.msgs_per_s} msgs/s, ${kv.MiB_per_s} MiB/s`;
  process.stdout.write(`${impl} ${mode}: ${rate}, errors=${kv.errors}, srv_cpu=${kv.srv_cpu}%\n`);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const { all, rows } = selfTimes(JSON.parse(readFileSync(join(profDir, file), 'utf8')));
  process.stdout.write(`profile: ${join(relative(rootDir, profDir), file)} (${(all / 1000).toFixed(0)} ms sampled)\n`);
  process.stdout.write('self %   self ms  function\n');
  for (const [key, t] of rows.slice(0, top)) {
    process.stdout.write(`${((t / all) * 100).toFixed(1).padStart(6)}  ${(t / 1000).toFixed(0).padStart(8)}  ${key}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
