// The benchmark suite of issues 7 and 18 in one command:
// `node bench/run.mjs [--quick] [--reps N] [--only a,b] [--compare] [--no-parse]`.
// Builds the C tools, installs ws + addons into bench/out/deps (not the root package.json), snapshots the built
// sockwire, then runs every scenario against every peer — interleaved, server pinned to CPU 0 and load to CPU 1,
// a fresh server per run, peer order rotated per repetition — and reports medians and sockwire / ws ratios.
// Full runs write bench/out/results.json, bench/RESULTS.md (between markers) and bench/results.svg;
// --quick (a smoke run, < 2 min) writes bench/out/results-quick.json only; --only writes results-partial.json.
// --compare adds a column with the previous bench/RESULTS.md value of each row to the printed table (read before
// this run may rewrite the file; what is written stays without it); with --quick or --only it writes no file.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.mjs';
import { run, runPinned } from './lib/proc.mjs';
import { buildTools, judge, runOnce, waitForQuiet, SERVER_CPU } from './lib/run-once.mjs';
import { readPrevious } from './lib/compare.mjs';
import { renderSuite, replaceSection, summarize } from './lib/report.mjs';
import { SCENARIOS, TIMING } from './lib/scenarios.mjs';
import { benchDir, depsDir, rootDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('--quick');
const timing = { ...TIMING[quick ? 'quick' : 'full'] };
if (option('--reps')) timing.reps = Math.max(1, Number(option('--reps')));
const only = option('--only')?.split(',');
const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
if (unknown.length) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; the ids are ${SCENARIOS.map((s) => s.id).join(', ')}\n`);
  process.exit(2);
}
const outDir = join(benchDir, 'out');
const log = (s) => process.stderr.write(s + '\n');

/** Installs ws + bufferutil + utf-8-validate into bench/out/deps; returns false if that is impossible. */
async function ensureAddons() {
  const probe = () =>
    run(process.execPath, ['--input-type=module', '-e',
      `import { loadImpl } from ${JSON.stringify(join(benchDir, 'servers', 'impls.mjs'))}; loadImpl('ws-addons');`]);
  if ((await probe()).code === 0) return true;
  mkdirSync(depsDir, { recursive: true });
  writeFileSync(join(depsDir, 'package.json'), '{ "private": true }\n');
  log('installing ws@8.23.0 + bufferutil + utf-8-validate into bench/out/deps …');
  const r = await run('npm', ['install', '--no-audit', '--no-fund', 'ws@8.23.0', 'bufferutil@^4', 'utf-8-validate@^6'],
    { cwd: depsDir });
  if (r.code !== 0) log(r.output);
  return (await probe()).code === 0;
}

/** This run's private copy of dist/cjs (per pid, so concurrent runs do not replace each other's). */
const snapshotDir = join(outDir, `sockwire-dist-${process.pid}`);

/** Copies dist/cjs aside so that a rebuild during the run cannot change or remove what is measured. */
async function snapshotSockwire() {
  const src = join(rootDir, 'dist', 'cjs');
  const dst = join(snapshotDir, 'cjs');
  if (!existsSync(join(src, 'index.js'))) return { ok: false, why: 'dist/cjs/index.js missing (run npm run build)' };
  cpSync(src, dst, { recursive: true });
  const r = await run(process.execPath, ['-e',
    `const m = require(${JSON.stringify(join(dst, 'index.js'))});` +
      `for (const k of ['WebSocket', 'WebSocketServer']) if (typeof m[k] !== 'function') { console.log(k); process.exit(1); }`]);
  if (r.code !== 0) return { ok: false, why: `built sockwire lacks ${r.output.trim() || 'a loadable index'}` };
  return { ok: true, dir: dst };
}

/** Percent of one CPU used by neither server nor load above which a run is redone. */
const NOISY_CPU = 30;
let retryBudget = quick ? 2 : 20;
const quietBudget = { quietMs: quick ? 5000 : 120000 };
function machine(sockwireOk) {
  const readVersion = (p) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version;
    } catch {
      return null;
    }
  };
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: `node bench/run.mjs${argv.length ? ' ' + argv.join(' ') : ''}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    ws: readVersion(join(rootDir, 'node_modules', 'ws', 'package.json')),
    bufferutil: readVersion(join(depsDir, 'node_modules', 'bufferutil', 'package.json')),
    sockwire: sockwireOk ? readVersion(join(rootDir, 'package.json')) : null,
    quick,
    reps: timing.reps,
    timing
  };
}

async function main() {
  const resultsMd = join(benchDir, 'RESULTS.md');
  const previous = flag('--compare') ? readPrevious(resultsMd) : null;
  if (flag('--compare') && !previous) log('--compare: no suite table in bench/RESULTS.md; nothing to compare with');
  mkdirSync(outDir, { recursive: true });
  await buildTools();
  const addons = await ensureAddons();
  if (!addons) log('ws + addons: cannot be installed here; that peer is skipped');
  const sw = await snapshotSockwire();
  if (!sw.ok) log(`sockwire: ${sw.why}; that peer is skipped`);
  const env = sw.ok ? { SOCKWIRE_DIST: sw.dir } : {};
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.id)).map((s) => ({
    ...s,
    peers: s.peers.filter((p) => (p !== 'sockwire' || sw.ok) && (p !== 'ws-addons' || addons))
  }));
  const total = scenarios.reduce((n, s) => n + s.peers.length, 0) * timing.reps;
  const runs = [];
  const t0 = Date.now();
  let n = 0;
  for (let rep = 0; rep < timing.reps; rep++) {
    for (const sc of scenarios) {
      // Rotate the peer order each repetition so no peer always runs first (warm caches, page cache, TIME_WAIT).
      const order = sc.peers.map((_, i) => sc.peers[(i + rep) % sc.peers.length]);
      for (const peer of order) {
        n++;
        process.stderr.write(`[${n}/${total}] rep ${rep + 1}/${timing.reps} ${sc.id} ${peer} … `);
        let idleBusy = 0;
        let res = { kv: {}, code: -1, stderr: 'not run' };
        let otherCpu = null;
        let attempts = 0;
        // A run during which other processes took a good share of the CPUs is redone (bounded in count).
        for (; attempts < 3; ) {
          attempts++;
          idleBusy = await waitForQuiet(quietBudget);
          try {
            res = await runOnce(sc, peer, env, timing);
          } catch (err) {
            res = { kv: {}, code: -1, stderr: String(err.message) };
          }
          // CPU used by neither side during the run (others' work, softirq charged to no one): a noise gauge.
          const kv = res.kv;
          otherCpu = typeof kv.sys_busy === 'number' && typeof kv.srv_cpu === 'number' && kv.srv_cpu >= 0
            ? kv.sys_busy - kv.srv_cpu - kv.cli_cpu : null;
          if (otherCpu === null || otherCpu <= NOISY_CPU || retryBudget <= 0) break;
          retryBudget--;
          process.stderr.write(`noisy (other CPU ${Math.round(otherCpu)}%), again … `);
        }
        const reason = judge(sc, res);
        const value = reason ? null : res.kv[sc.metric];
        runs.push({ scenario: sc.id, peer, rep, valid: !reason, value, reason, busyBefore: idleBusy, otherCpu,
          attempts, kv: res.kv });
        const noisy = idleBusy >= 0.1 ? ` (machine ${Math.round(idleBusy * 100)}% busy before)` : '';
        log((reason ? `NO RESULT (${reason})` : `${value} ${sc.unit}`) + noisy);
      }
    }
  }
  const results = { meta: { ...machine(sw.ok), elapsedS: Math.round((Date.now() - t0) / 1000) },
    summary: scenarios.map((sc) => summarize(sc, runs)), runs };
  const md = renderSuite(results);
  log('\n' + (previous ? renderSuite(results, previous) : md));
  // Only a full run may replace results.json, which RESULTS.md and the chart are drawn from.
  const file = quick ? 'results-quick.json' : only ? 'results-partial.json' : 'results.json';
  // A comparing smoke or partial run only prints; a full one (with or without --compare) records as usual.
  if (!(previous && (quick || only))) writeFileSync(join(outDir, file), JSON.stringify(results, null, 2) + '\n');
  if (!quick && !only) {
    replaceSection(resultsMd, 'suite', md);
    writeFileSync(join(benchDir, 'results.svg'), renderChart(results));
    log('wrote bench/out/results.json, bench/RESULTS.md, bench/results.svg');
  }
  if (!quick && !only && !flag('--no-parse')) {
    log('\nparse micro-benchmark …');
    const r = await runPinned(SERVER_CPU, process.execPath, [join(benchDir, 'parse.mjs')], 300);
    process.stderr.write(r.stderr);
    process.stdout.write(r.stdout);
  }
  log(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
}

main()
  .catch((err) => {
    log(err.stack ?? String(err));
    process.exitCode = 1;
  })
  .finally(() => rmSync(snapshotDir, { recursive: true, force: true }));
