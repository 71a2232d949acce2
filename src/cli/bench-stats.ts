/**
 * Latency bookkeeping and the result table of `sockwire bench`: samples in a growable Float64Array (8 bytes per
 * round trip, so even millions of samples stay small) and nearest-rank percentiles.
 */

/** Round-trip latencies in milliseconds. */
export class LatencySamples {
  private values = new Float64Array(1024);
  private size = 0;

  /** Number of samples recorded. */
  get count(): number {
    return this.size;
  }

  /** Record one latency. */
  add(ms: number): void {
    if (this.size === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.size++] = ms;
  }

  /** The p-th percentiles (0 < p ≤ 100) by the nearest-rank method; NaN when there are no samples. */
  percentiles(ps: number[]): number[] {
    if (this.size === 0) return ps.map(() => Number.NaN);
    const sorted = this.values.slice(0, this.size).sort();
    return ps.map((p) => sorted[Math.min(this.size, Math.max(1, Math.ceil((p / 100) * this.size))) - 1]);
  }
}

/** What one bench run measured. */
export interface BenchResult {
  url: string;
  connections: number;
  size: number;
  seconds: number;
  messages: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** `1536` → `1.5 KiB`; small sizes stay in bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
}

function formatMs(ms: number): string {
  return Number.isNaN(ms) ? '-' : `${ms.toFixed(3)} ms`;
}

/** The final two-column table, one `name  value` row per line. */
export function formatResultTable(result: BenchResult): string {
  const rate = result.seconds > 0 ? result.messages / result.seconds : 0;
  const bytesPerSecond = rate * result.size;
  const rows: Array<[string, string]> = [
    ['url', result.url],
    ['connections', String(result.connections)],
    ['message size', formatBytes(result.size)],
    ['duration', `${result.seconds.toFixed(2)} s`],
    ['messages', String(result.messages)],
    ['msgs/s', rate.toFixed(0)],
    ['throughput', `${formatBytes(Math.round(bytesPerSecond))}/s each way`],
    ['latency p50', formatMs(result.p50)],
    ['latency p90', formatMs(result.p90)],
    ['latency p99', formatMs(result.p99)],
    ['latency max', formatMs(result.max)],
    ['errors', String(result.errors)]
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n') + '\n';
}
