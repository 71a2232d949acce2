// The 1 MiB echo against the C allocator: minor page faults and CPU per echoed message, per server, with glibc's
// heap left to its defaults or kept warm. `node bench/page-faults.mjs [--reps 4] [--malloc default|trim|warm]
// [sockwire ws-addons …]`. `trim` sets MALLOC_TRIM_THRESHOLD_=256 MiB (freed heap memory is not given back to the
// kernel), `warm` also MALLOC_MMAP_THRESHOLD_=64 MiB (1 MiB buffers come from the heap, never from mmap). Server on
// CPU 0, wsload (10 connections × one 1 MiB message in flight, 1 s warm-up + 4 s) on CPU 1; faults and CPU from
// /proc/<pid>/stat over the whole run. Bounded: each server runs ~6 s.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKv, runPinned, startServer, stopProcess } from './lib/proc.mjs';
import { buildTools } from './lib/run-once.mjs';
import { benchDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = argv[i + 1];
  argv.splice(i, 2);
  return value;
};
const reps = Number(option('reps', '4'));
const malloc = option('malloc', 'default');
const impls = argv.length > 0 ? argv : ['sockwire', 'ws-addons'];
const MALLOC_ENV = {
  default: {},
  trim: { MALLOC_TRIM_THRESHOLD_: String(256 << 20) },
  warm: { MALLOC_TRIM_THRESHOLD_: String(256 << 20), MALLOC_MMAP_THRESHOLD_: String(64 << 20) }
};
if (!(malloc in MALLOC_ENV)) throw new Error(`--malloc must be one of ${Object.keys(MALLOC_ENV).join(', ')}`);
const SECONDS = 4;

/** Minor faults and CPU ticks (1/100 s) of a process so far. */
function processStat(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { minorFaults: Number(fields[7]), userTicks: Number(fields[11]), systemTicks: Number(fields[12]) };
}

if (!existsSync(join(benchDir, 'wsload'))) await buildTools();
process.stdout.write(`malloc: ${malloc}\n| server | MiB/s | minor faults per message | user ms | system ms |\n|---|--:|--:|--:|--:|\n`);
for (let rep = 0; rep < reps; rep++) {
  for (const impl of impls) {
    const server = await startServer('0', process.execPath, [join(benchDir, 'servers', 'ws-api-echo.mjs'), impl], MALLOC_ENV[malloc]);
    const before = processStat(server.pid);
    const load = ['-m', 'echo', '-c', '10', '-d', '1', '-s', '1048576', '-p', String(server.port), '-w', '1', '-t', String(SECONDS), '--server-pid', String(server.pid)];
    const result = await runPinned('1', join(benchDir, 'wsload'), load, 60);
    const after = processStat(server.pid);
    await stopProcess(server.child);
    const kv = parseKv(result.stdout);
    // Faults are counted over warm-up and measurement alike: divide by the messages of both.
    const messages = Number(kv.msgs_per_s) * (SECONDS + 1);
    const faults = (after.minorFaults - before.minorFaults) / messages;
    process.stdout.write(`| ${impl} | ${kv.MiB_per_s} | ${faults.toFixed(1)} | ${(after.userTicks - before.userTicks) * 10} | ${(after.systemTicks - before.systemTicks) * 10} |\n`);
  }
}
