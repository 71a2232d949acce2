/**
 * A FIFO limiter for zlib work. zlib runs on libuv's small thread pool; letting every connection queue work there at
 * once makes memory fragment badly under load, so jobs wait here for one of a fixed number of slots.
 */

/** A unit of work: call `release` exactly once when it is finished. */
export type LimitedJob = (release: () => void) => void;

/** Runs at most `concurrency` jobs at a time, the rest in arrival order. */
export class ZlibLimiter {
  /** Most jobs running at once (`Infinity` = no limit). */
  readonly concurrency: number;
  private running = 0;
  private readonly waiting: LimitedJob[] = [];
  private head = 0;

  /** @param concurrency - most jobs at once; 0, a negative number or NaN means no limit (as in ws). */
  constructor(concurrency: number) {
    this.concurrency = concurrency > 0 ? Math.ceil(concurrency) : Infinity;
  }

  /** Jobs currently holding a slot. */
  get pending(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Queue `job`; it starts synchronously when a slot is free. */
  add(job: LimitedJob): void {
    this.waiting.push(job);
    this.drain();
  }

  private drain(): void {
    while (this.running < this.concurrency && this.head < this.waiting.length) {
      const job = this.waiting[this.head] as LimitedJob;
      this.waiting[this.head] = noJob;
      this.head += 1;
      // Compact now and then so the array does not grow with every job ever queued.
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.running += 1;
      let released = false;
      job(() => {
        if (released) return;
        released = true;
        this.running -= 1;
        this.drain();
      });
    }
  }
}

function noJob(): void {
  // placeholder for a slot already handed out
}

let shared: ZlibLimiter | undefined;

/**
 * The process-wide limiter. Like ws, the first caller fixes its size (`concurrencyLimit` of the first
 * `PerMessageDeflate` built); later sizes are ignored.
 */
export function sharedZlibLimiter(concurrency: number): ZlibLimiter {
  if (shared === undefined) shared = new ZlibLimiter(concurrency);
  return shared;
}
