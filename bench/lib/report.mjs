// Turns raw runs into medians and ratios, and renders them as Markdown sections of bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { previousCell } from './compare.mjs';
import { PEER_LABEL } from './scenarios.mjs';

/**
 * Median of a list of numbers (mean of the middle two for an even count); null when empty.
 * @param {number[]} xs
 * @returns {number | null}
 */
export function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Medians per peer, the sockwire/ws ratio and each target's verdict for one scenario.
 * Runs with protocol errors are excluded (they count as no result).
 * @param {import('./scenarios.mjs').Scenario} sc
 * @param {{ scenario: string, peer: string, value: number | null, valid: boolean }[]} runs
 */
export function summarize(sc, runs) {
  const medians = {};
  const counts = {};
  for (const peer of sc.peers) {
    const vals = runs.filter((r) => r.scenario === sc.id && r.peer === peer && r.valid).map((r) => r.value);
    medians[peer] = median(vals);
    counts[peer] = { valid: vals.length, total: runs.filter((r) => r.scenario === sc.id && r.peer === peer).length };
  }
  const ratio = (a, b) => (medians[a] != null && medians[b] ? medians[a] / medians[b] : null);
  const targets = sc.targets.map((t) => {
    const r = ratio('sockwire', t.vs);
    const met = r == null ? null : sc.better === 'lower' ? r <= t.ratio : r >= t.ratio;
    return { ...t, measured: r, met };
  });
  return { id: sc.id, title: sc.title, metric: sc.metric, unit: sc.unit, better: sc.better, medians, counts,
    rawLabel: sc.rawLabel ?? null, ratioVsWs: ratio('sockwire', 'ws'), targets };
}

/** Formats a number for a table: thousands separators, 2 decimals below 100. */
export function fmt(v) {
  if (v == null) return '—';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(2);
}

const fmtRatio = (r) => (r == null ? '—' : `${r.toFixed(2)}×`);

/**
 * Markdown for the server/client scenarios of one results file; with `previous` (bench/lib/compare.mjs), one more
 * column holding the previous RESULTS.md value of each row.
 * @param {object} results contents of bench/out/results.json
 * @param {import('./compare.mjs').Previous | null} [previous]
 */
export function renderSuite(results, previous = null) {
  const m = results.meta;
  const peers = ['raw', 'ws', 'ws-addons', 'sockwire'];
  const extra = previous ? [`previous (RESULTS.md ${previous.date}): sockwire · ratio`] : [];
  const lines = [
    `Run: ${m.date} · \`${m.command}\` · ${m.reps} repetitions, medians · runs with errors excluded`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel} · Node ${m.node} · ws ${m.ws} · ` +
      `bufferutil ${m.bufferutil ?? 'n/a'} · sockwire ${m.sockwire ?? 'n/a'}`,
    '',
    `Pinning: server on CPU 0, load generator on CPU 1 (\`taskset\`); a fresh server per run; peer order rotated per repetition.`,
    '',
    `| scenario | unit | ${peers.map((p) => PEER_LABEL[p]).join(' | ')} | sockwire / ws | target (issue 18) | ` +
      `sockwire / target's peer | met |${extra.map((e) => ` ${e} |`).join('')}`,
    `|---|---|${peers.map(() => '--:').join('|')}|--:|---|--:|---|${extra.map(() => '---|').join('')}`
  ];
  for (const s of results.summary) {
    const cells = peers.map((p) => (p in s.medians ? fmt(s.medians[p]) : 'n/a'));
    const t = s.targets[0];
    const verdict = !t ? '—' : t.met == null ? 'no result' : t.met ? 'yes' : 'no';
    const row = `| ${s.title} | ${s.unit}${s.better === 'lower' ? ' (lower is better)' : ''} | ${cells.join(' | ')} | ` +
      `${fmtRatio(s.ratioVsWs)} | ${t ? t.text : 'none (regression guard)'} | ${t ? fmtRatio(t.measured) : '—'} | ${verdict} |`;
    lines.push(previous ? `${row} ${previousCell(previous, s, fmt)} |` : row);
  }
  const floors = results.summary.filter((s) => s.rawLabel && 'raw' in s.medians);
  if (results.summary.some((s) => 'raw' in s.medians)) {
    lines.push('', 'raw net: a plain `net` byte echo server' +
      (floors.length ? ', except ' + floors.map((s) => `${s.title}: ${s.rawLabel}`).join('; ') : '') + '.');
  }
  const bad = results.runs.filter((r) => !r.valid);
  lines.push('');
  lines.push(bad.length === 0 ? 'Every run finished with `errors=0`.' :
    `Runs without a result (${bad.length}): ` +
      bad.map((r) => `${r.scenario}/${r.peer} rep ${r.rep + 1} (${r.reason})`).join('; '));
  return lines.join('\n');
}

/**
 * Markdown for the parse / frame micro-benchmark.
 * @param {object} parse contents of bench/out/parse.json
 */
export function renderParse(parse) {
  const m = parse.meta;
  const lines = [
    `Run: ${m.date} · \`${m.command}\` · ${m.rounds} interleaved rounds, medians · Node ${m.node} · ws ${m.ws} (no addons)`,
    '',
    '| benchmark | ws MB/s | sockwire MB/s | ws msgs/s | sockwire msgs/s | sockwire / ws |',
    '|---|--:|--:|--:|--:|--:|'
  ];
  for (const r of parse.rows) {
    lines.push(`| ${r.name} | ${fmt(r.ws?.mbps)} | ${fmt(r.sockwire?.mbps)} | ${fmt(r.ws?.msgs)} | ` +
      `${fmt(r.sockwire?.msgs)} | ${fmtRatio(r.ratio)} |`);
  }
  return lines.join('\n');
}

/**
 * Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in a Markdown file (appending the
 * section when the markers are missing), leaving everything else — the prose written by people — untouched.
 * @param {string} path
 * @param {string} name
 * @param {string} body
 */
export function replaceSection(path, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const block = `${start}\n${body}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
