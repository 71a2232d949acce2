// `--compare`: the suite table of the previous bench/RESULTS.md, read before a run may rewrite it, so that each row
// of the new table can show what the last recorded run measured. Rows are found by scenario title; cells by the
// column headers, so a table of an older layout (fewer columns) still compares.
import { existsSync, readFileSync } from 'node:fs';
import { PEER_LABEL } from './scenarios.mjs';

/**
 * @typedef {object} Previous
 * @property {string} date  when the previous run was made ('unknown' when the table does not say)
 * @property {Map<string, Record<string, string>>} rows  scenario title → cell text by column header
 */

/** A table cell as a number ('64,483' → 64483); null for '—', 'n/a' and anything else that is not a number. */
export function cellNumber(cell) {
  const text = (cell ?? '').replace(/,/g, '').trim();
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : null;
}

/** Splits a Markdown table line into trimmed cells. */
const cells = (line) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

/**
 * Reads the suite table between the `suite` markers of a RESULTS.md; null when the file or the table is missing.
 * @param {string} path
 * @returns {Previous | null}
 */
export function readPrevious(path) {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const i = text.indexOf('<!-- suite:start -->');
  const j = text.indexOf('<!-- suite:end -->');
  if (i < 0 || j < i) return null;
  const section = text.slice(i, j);
  const table = section.split('\n').filter((l) => l.trim().startsWith('|'));
  if (table.length < 3) return null;
  const header = cells(table[0]);
  const rows = new Map();
  for (const line of table.slice(2)) {
    const row = cells(line);
    rows.set(row[0], Object.fromEntries(header.map((h, k) => [h, row[k] ?? ''])));
  }
  return { date: /Run: (\S+)/.exec(section)?.[1] ?? 'unknown', rows };
}

/**
 * The previous cell of one summary row: sockwire's value then, its ratio to the peer the row's target names (ws
 * when it has none), and an arrow when the ratio moved by more than 10 % (▼ worse, ▲ better).
 * @param {Previous} previous
 * @param {{ title: string, better: string, medians: Record<string, number | null>, targets: object[] }} s
 * @param {(v: number | null) => string} fmt
 */
export function previousCell(previous, s, fmt) {
  const row = previous.rows.get(s.title);
  if (!row) return 'not in RESULTS.md';
  const vs = s.targets[0]?.vs ?? 'ws';
  const was = cellNumber(row[PEER_LABEL.sockwire]);
  const base = cellNumber(row[PEER_LABEL[vs]]);
  if (was == null) return 'no result then';
  if (!base) return `${fmt(was)}`;
  const ratio = was / base;
  const now = s.medians.sockwire != null && s.medians[vs] ? s.medians.sockwire / s.medians[vs] : null;
  let arrow = '';
  if (now != null) {
    const gain = s.better === 'lower' ? ratio / now : now / ratio;
    arrow = gain < 0.9 ? ' ▼' : gain > 1.1 ? ' ▲' : '';
  }
  return `${fmt(was)} · ${ratio.toFixed(2)}× ${PEER_LABEL[vs]}${arrow}`;
}
