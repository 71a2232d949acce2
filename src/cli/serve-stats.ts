/**
 * `sockwire serve --stats`: a one-line summary of `wss.stats()` every few seconds. On a terminal the line is
 * redrawn in place; anywhere else (a pipe, a log file) each summary is its own line.
 */
import type { ServerStats } from '../features/counters';
import { formatBytes } from './bench-stats';
import type { OutputStream } from './cli-io';

/** Default seconds between two summaries. */
export const DEFAULT_STATS_INTERVAL_S = 2;

/** Carriage return + "erase line" (ECMA-48 EL 2): the cursor goes back and the old summary disappears. */
const REDRAW = '\r\x1b[2K';

/** `{ '1000': 3, '1006': 1 }` → `1000×3 1006×1`; `-` when empty. */
function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([key, count]) => `${key}×${count}`);
  return parts.length === 0 ? '-' : parts.join(' ');
}

function sum(counts: Record<string, number>): number {
  let total = 0;
  for (const count of Object.values(counts)) total += count;
  return total;
}

/** Per-second rate of a counter between two snapshots `seconds` apart. */
function rate(now: number, before: number, seconds: number): number {
  return seconds > 0 ? (now - before) / seconds : 0;
}

/**
 * One summary line: gauges now, message and wire-byte rates since `previous` (or since start), closes by code and
 * errors. Example: `2 open · 5 accepted · 1 refused · in 10 msg/s 1.2 KiB/s · out 10 msg/s 1.2 KiB/s · closes 1000×3 · errors -`.
 */
export function formatStatsLine(stats: ServerStats, previous: ServerStats | null, seconds: number): string {
  const base = previous ?? { messages: { in: 0, out: 0 }, bytes: { wireIn: 0, wireOut: 0 } };
  const inRate = rate(stats.messages.in, base.messages.in, seconds);
  const outRate = rate(stats.messages.out, base.messages.out, seconds);
  const inBytes = rate(stats.bytes.wireIn, base.bytes.wireIn, seconds);
  const outBytes = rate(stats.bytes.wireOut, base.bytes.wireOut, seconds);
  return [
    `${stats.connections.open} open`,
    `${stats.connections.accepted} accepted`,
    `${sum(stats.handshakes.refused)} refused`,
    `in ${Math.round(inRate)} msg/s ${formatBytes(Math.round(inBytes))}/s`,
    `out ${Math.round(outRate)} msg/s ${formatBytes(Math.round(outBytes))}/s`,
    `closes ${formatCounts(stats.closes)}`,
    `errors ${formatCounts(stats.errors)}`
  ].join(' · ');
}

/** Print a summary of `read()` every `intervalMs` on `stream`; returns the function that stops it. */
export function startStatsReporter(read: () => ServerStats, stream: OutputStream, intervalMs: number): () => void {
  const terminal = stream.isTTY === true;
  let previous: ServerStats | null = null;
  let previousAt = Date.now();
  let printed = false;
  const timer = setInterval(() => {
    const stats = read();
    const now = Date.now();
    // The first summary's rates are since the server started.
    const since = previous === null ? stats.startedAt : previousAt;
    const line = formatStatsLine(stats, previous, (now - since) / 1000);
    stream.write(terminal ? `${REDRAW}${line}` : `${line}\n`);
    printed = true;
    previous = stats;
    previousAt = now;
  }, intervalMs);
  return () => {
    clearInterval(timer);
    // Leave the redrawn line in place and move on, so the next output starts on a fresh line.
    if (terminal && printed) stream.write('\n');
  };
}
