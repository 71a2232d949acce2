// What the observability of issue 17 costs: sockwire before it (a build of --base, default `main`), with the
// counters (this build: they are always on; nobody subscribed), and with a subscriber on every diagnostics
// channel — interleaved in one run with the same servers, load generator and pinning as bench/run.mjs.
//
//   npm run build && node bench/observability.mjs [--base <git-ref> | --base uncounted] [--reps 3] [--duration 2]
//     [--only a,b]
//
// `--base uncounted` compares against a copy of this build whose server never hands its counters to a connection
// (the one line of features/server-hub.js patched out of the copy): the same code with the counting switched off,
// the fair baseline once other changes have landed since the counters came.
//
// Bounded: 5 scenarios × 3 variants × reps runs of warmup + duration seconds (about 3 minutes with the defaults).
// Writes bench/out/observability.json and prints a Markdown table for bench/RESULTS.md. Besides each rate it reports
// the measured process's CPU time per unit (server for wsload scenarios, the Node clients for client ones): on a
// machine that other work keeps busy, CPU per message moves much less than messages per second.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, fmt } from './lib/report.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { buildTools, judge, runOnce, waitForQuiet } from './lib/run-once.mjs';
import { benchDir, rootDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const base = option('--base', 'main');
const reps = Math.max(1, Number(option('--reps', 3)));
const timing = { warmup: 0.5, duration: Number(option('--duration', 2)), holdConns: 0, holdSecs: 0, reps };
const ids = option('--only', 'echo-16-d1,echo-16-d8,echo-16k,connect,client-16').split(',');
const scenarios = SCENARIOS.filter((sc) => ids.includes(sc.id));
const outDir = join(benchDir, 'out');
const work = join(outDir, `observability-${process.pid}`);
const log = (s) => process.stderr.write(s + '\n');

/** A build of `ref` (git archive, the root node_modules linked in): the code before the change. */
function buildBase(ref) {
  const dir = join(work, 'base');
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['-C', rootDir, 'archive', ref], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(join(rootDir, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.mjs')], { cwd: dir, stdio: 'ignore' });
  return join(dir, 'dist', 'cjs');
}

/** A copy of this build with the per-connection counters never attached, so every counting branch is skipped. */
function buildUncounted() {
  const dir = join(work, 'uncounted');
  cpSync(join(rootDir, 'dist', 'cjs'), dir, { recursive: true });
  const hub = join(dir, 'features', 'server-hub.js');
  const source = readFileSync(hub, 'utf8');
  const attach = 'connection.sender.traffic = counters;';
  if (!source.includes(attach)) throw new Error(`${hub} no longer attaches the counters with "${attach}"`);
  writeFileSync(hub, source.replace(attach, ''));
  return dir;
}

/** What one unit of each scenario's metric is, for the CPU table. */
const UNIT_NAME = { 'msgs/s': 'message', 'MiB/s': 'MiB', 'cycles/s': 'cycle' };

/** CPU µs the measured side spent per unit of the metric: its CPU share (percent of one CPU) over its rate. */
function cpuPerUnit(sc, kv) {
  const share = sc.kind === 'client' ? kv.cli_cpu : kv.srv_cpu;
  const rate = kv[sc.metric];
  return typeof share === 'number' && typeof rate === 'number' && rate > 0 ? ((share / 100) * 1e6) / rate : null;
}

// Ended from outside: still remove the per-run build (the finally below does not run on a signal).
process.once('SIGTERM', () => {
  rmSync(work, { recursive: true, force: true });
  process.exit(143);
});

async function main() {
  mkdirSync(outDir, { recursive: true });
  await buildTools();
  const commit = execFileSync('git', ['-C', rootDir, 'rev-parse', '--short', base === 'uncounted' ? 'HEAD' : base]).toString().trim();
  log(`building the baseline from ${base} (${commit}) …`);
  const before = base === 'uncounted' ? buildUncounted() : buildBase(base);
  const current = join(work, 'current');
  cpSync(join(rootDir, 'dist', 'cjs'), current, { recursive: true });
  const variants = [
    ['before', { SOCKWIRE_DIST: before }],
    ['counters', { SOCKWIRE_DIST: current }],
    ['subscribed', { SOCKWIRE_DIST: current, BENCH_DIAGNOSTICS: '1' }]
  ];
  const quiet = { quietMs: 60000 };
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const sc of scenarios) {
      // Rotate the order per repetition so no variant always runs first.
      for (let k = 0; k < variants.length; k++) {
        const [name, env] = variants[(k + rep) % variants.length];
        process.stderr.write(`rep ${rep + 1}/${reps} ${sc.id} ${name} … `);
        await waitForQuiet(quiet);
        let res;
        try {
          res = await runOnce(sc, 'sockwire', env, timing);
        } catch (error) {
          res = { kv: {}, code: -1, stderr: String(error.message) };
        }
        const reason = judge(sc, res);
        runs.push({ scenario: sc.id, variant: name, rep, value: reason ? null : res.kv[sc.metric], cpu: reason ? null : cpuPerUnit(sc, res.kv), reason, kv: res.kv });
        log(reason ? `NO RESULT (${reason})` : `${res.kv[sc.metric]} ${sc.unit}`);
      }
    }
  }
  const medianOf = (sc, name, key) => median(runs.filter((r) => r.scenario === sc.id && r.variant === name && r[key] !== null).map((r) => r[key]));
  const table = (key, unit) =>
    scenarios.map((sc) => {
      const m = Object.fromEntries(variants.map(([name]) => [name, medianOf(sc, name, key)]));
      const ratio = (name) => (m[name] != null && m.before ? `${(m[name] / m.before).toFixed(3)}×` : '—');
      return `| ${sc.title} | ${unit(sc)} | ${fmt(m.before)} | ${fmt(m.counters)} | ${ratio('counters')} | ${fmt(m.subscribed)} | ${ratio('subscribed')} |`;
    });
  const header = ['| scenario | unit | before | counters | counters / before | counters + subscriber | subscribed / before |', '|---|---|--:|--:|--:|--:|--:|'];
  const md = [
    `Run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · \`node bench/observability.mjs${argv.length ? ' ' + argv.join(' ') : ''}\` · ` +
      `${reps} interleaved repetitions of ${timing.duration} s, medians · before = \`${base}\` (${commit})`,
    '',
    'Rates (higher is better):',
    '',
    ...header,
    ...table('value', (sc) => sc.unit),
    '',
    'CPU time of the measured process per unit (lower is better):',
    '',
    ...header,
    ...table('cpu', (sc) => `CPU µs per ${UNIT_NAME[sc.unit]}`)
  ].join('\n');
  writeFileSync(join(outDir, 'observability.json'), JSON.stringify({ base, commit, timing, runs }, null, 2) + '\n');
  process.stdout.write(md + '\n');
}

main()
  .catch((error) => {
    log(error.stack ?? String(error));
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
