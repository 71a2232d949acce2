// Renders the suite's medians as an SVG bar chart (no dependencies): one group per scenario, one bar per peer,
// scaled to the largest value of the group and labelled with the value and the ratio to ws (and, on sockwire's bar,
// to the peer its issue-18 target names), with the target drawn as a dashed line.
// CLI: `node bench/chart.mjs [bench/out/results.json] [bench/results.svg]`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './lib/report.mjs';
import { PEER_LABEL } from './lib/scenarios.mjs';

const ORDER = ['raw', 'ws', 'ws-addons', 'sockwire'];
const COLOR = { raw: '#9e9e9e', ws: '#1f77b4', 'ws-addons': '#8fb8de', sockwire: '#d62728' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Builds the SVG text for a results object (bench/out/results.json).
 * @param {{ meta: object, summary: object[] }} results
 * @returns {string}
 */
export function renderChart(results) {
  const W = 900;
  const labelW = 110;
  const barMax = 560;
  const barH = 15;
  const gap = 4;
  const parts = [];
  let y = 66;
  for (const s of results.summary) {
    const peers = ORDER.filter((p) => p in s.medians);
    const t = s.targets?.[0];
    const goal = t && s.medians[t.vs] ? s.medians[t.vs] * t.ratio : null;
    const max = Math.max(...peers.map((p) => s.medians[p] ?? 0), goal ?? 0, 1e-9);
    const top = y + 8 + (s.rawLabel && peers.includes('raw') ? 13 : 0);
    const note = s.better === 'lower' ? ' — lower is better' : '';
    parts.push(`<text x="10" y="${y}" class="t">${esc(s.title)} (${esc(s.unit)}${note})</text>`);
    if (s.rawLabel && peers.includes('raw')) {
      // What the floor is in this scenario, when it is not the plain byte echo server.
      y += 13;
      parts.push(`<text x="10" y="${y}" class="s">raw net: ${esc(s.rawLabel.replace(/`/g, ''))}</text>`);
    }
    y += 8;
    for (const p of peers) {
      const v = s.medians[p];
      const w = v == null ? 0 : Math.max(1, (v / max) * barMax);
      let ratio = v != null && s.medians.ws ? ` (${(v / s.medians.ws).toFixed(2)}× ws` : '';
      // sockwire's bar also says how far it is from the peer its target names, when that is not ws.
      if (ratio && p === 'sockwire' && t && t.vs !== 'ws' && s.medians[t.vs]) {
        ratio += `, ${(v / s.medians[t.vs]).toFixed(2)}× ${PEER_LABEL[t.vs]}`;
      }
      if (ratio) ratio += ')';
      parts.push(
        `<text x="${labelW - 6}" y="${y + barH - 3}" class="l" text-anchor="end">${esc(PEER_LABEL[p])}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLOR[p]}"/>`,
        `<text x="${labelW + w + 6}" y="${y + barH - 3}" class="v">${v == null ? 'no result' : esc(fmt(v)) + ratio}</text>`
      );
      y += barH + gap;
    }
    if (goal != null) {
      // Dashed line: where sockwire's bar has to reach (or stay under) to meet the issue's target.
      const x = (labelW + (goal / max) * barMax).toFixed(1);
      parts.push(`<line x1="${x}" x2="${x}" y1="${top - 3}" y2="${y}" stroke="#222" stroke-dasharray="4 3"/>`,
        `<text x="${x}" y="${y + 9}" class="g" text-anchor="middle">target ${esc(t.text)}</text>`);
    }
    y += 30;
  }
  const m = results.meta;
  const head =
    `<text x="10" y="22" class="h">sockwire vs ws ${esc(m.ws)} — medians of ${m.reps} runs, ${esc(m.date)}</text>` +
    `<text x="10" y="38" class="s">${esc(m.cpu)}, ${m.cores} cores · Node ${esc(m.node)} · server CPU 0, load CPU 1</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}">\n` +
    `<style>text{font-family:sans-serif;fill:#222}.h{font-size:15px;font-weight:bold}.s{font-size:11px;fill:#555}` +
    `.t{font-size:13px;font-weight:bold}.l,.v{font-size:11px}.g{font-size:9px;fill:#444}</style>\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n${head}\n${parts.join('\n')}\n</svg>\n`
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const src = process.argv[2] ?? join(here, 'out', 'results.json');
  const dst = process.argv[3] ?? join(here, 'results.svg');
  writeFileSync(dst, renderChart(JSON.parse(readFileSync(src, 'utf8'))));
  process.stderr.write(`wrote ${dst}\n`);
}
