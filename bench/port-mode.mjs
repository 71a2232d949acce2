// Before/after of the port-mode HTTP parser (issue 18): two sockwire builds, alternated in one run, on the two
// scenarios the parser touches: handshake + close cycles/s (with the server's CPU per cycle, which a busy machine
// distorts less than the rate) and RSS per idle upgraded connection.
//   node bench/port-mode.mjs <before dist/cjs> [after dist/cjs (default: dist/cjs)] [--reps N] [--quick]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildTools, judge, runOnce } from './lib/run-once.mjs';
import { SCENARIOS, TIMING } from './lib/scenarios.mjs';
import { benchDir, rootDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const positional = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--reps');
if (positional.length < 1) {
  console.error('usage: node bench/port-mode.mjs <before dist/cjs> [after dist/cjs] [--reps N] [--quick]');
  process.exit(2);
}
const builds = { before: positional[0], after: positional[1] ?? join(rootDir, 'dist', 'cjs') };
const timing = { ...TIMING[argv.includes('--quick') ? 'quick' : 'full'] };
const repsAt = argv.indexOf('--reps');
if (repsAt >= 0) timing.reps = Math.max(1, Number(argv[repsAt + 1]));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

mkdirSync(join(benchDir, 'out'), { recursive: true });
await buildTools();
const results = {};
for (let rep = 0; rep < timing.reps; rep++) {
  for (const id of ['connect', 'hold']) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    // Alternate which build goes first.
    const order = rep % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const build of order) {
      const res = await runOnce(scenario, 'sockwire', { SOCKWIRE_DIST: builds[build] }, timing);
      const reason = judge(scenario, res);
      const kv = res.kv;
      const value = kv[scenario.metric];
      // srv_cpu is % of one CPU over the measured window: CPU µs per cycle = srv_cpu% × 10,000 / cycles/s.
      const cpuPerCycle = id === 'connect' && typeof kv.srv_cpu === 'number' ? (kv.srv_cpu * 1e4) / value : undefined;
      console.error(`${id} ${build} rep ${rep + 1}: ${reason ?? `${value} ${scenario.unit}`}${cpuPerCycle ? `, ${cpuPerCycle.toFixed(1)} CPU µs/cycle` : ''}${kv.sys_busy !== undefined ? `, machine ${kv.sys_busy}% busy` : ''}`);
      if (reason) continue;
      const slot = ((results[id] ??= {})[build] ??= { values: [], cpu: [] });
      slot.values.push(value);
      if (cpuPerCycle !== undefined) slot.cpu.push(cpuPerCycle);
    }
  }
}

console.log('| scenario | before | after | after / before |');
console.log('|---|--:|--:|--:|');
for (const [id, byBuild] of Object.entries(results)) {
  const scenario = SCENARIOS.find((s) => s.id === id);
  const before = median(byBuild.before?.values ?? []);
  const after = median(byBuild.after?.values ?? []);
  console.log(`| ${scenario.title} (${scenario.unit}) | ${Math.round(before)} | ${Math.round(after)} | ${(after / before).toFixed(2)}× |`);
  if (id === 'connect') {
    const b = median(byBuild.before?.cpu ?? []);
    const a = median(byBuild.after?.cpu ?? []);
    console.log(`| server CPU per handshake + close (µs) | ${b.toFixed(1)} | ${a.toFixed(1)} | ${(a / b).toFixed(2)}× |`);
  }
}
