/**
 * Envelopes waiting for the broker, in publish order, bounded in bytes: what is in flight and what waits together
 * never exceed the limit, so a dead or slow broker costs at most `maxPendingBytes` of memory.
 */

/** Default of `maxPendingBytes` for a server's outgoing envelopes: 1 MiB (thousands of typical messages). */
export const DEFAULT_MAX_PENDING_BYTES = 1024 * 1024;

/** Check a `maxPendingBytes` option. */
export function resolveMaxPendingBytes(value: unknown, fallback = DEFAULT_MAX_PENDING_BYTES): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new TypeError('The "maxPendingBytes" option must be a non-negative number of bytes');
  return value;
}

/** One waiting envelope. */
export interface PendingEnvelope {
  topic: string;
  envelope: Buffer;
}

/** Bounded FIFO plus the in-flight byte count. */
export class PendingQueue {
  private items: PendingEnvelope[] = [];
  private waitingBytes = 0;
  /** Bytes handed to the client and not yet acknowledged. */
  inFlightBytes = 0;

  constructor(readonly maxBytes: number) {}

  get length(): number {
    return this.items.length;
  }

  /** Whether `bytes` more fit under the limit. */
  fits(bytes: number): boolean {
    return this.waitingBytes + this.inFlightBytes + bytes <= this.maxBytes;
  }

  push(item: PendingEnvelope): void {
    this.items.push(item);
    this.waitingBytes += item.envelope.length;
  }

  /** Take everything waiting, oldest first. */
  takeAll(): PendingEnvelope[] {
    const items = this.items;
    this.items = [];
    this.waitingBytes = 0;
    return items;
  }
}
