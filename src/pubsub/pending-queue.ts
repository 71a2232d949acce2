/**
 * Envelopes waiting for the broker, in publish order, bounded in bytes: while the broker is down at most
 * `maxPendingBytes` wait; while it is up, what was sent and not yet acknowledged is bounded too (at
 * {@link IN_FLIGHT_FACTOR} times that, so a burst on a busy machine is not cut), so a dead or slow broker costs
 * bounded memory either way.
 */

/** Default of `maxPendingBytes` for a server's outgoing envelopes: 1 MiB (thousands of typical messages). */
export const DEFAULT_MAX_PENDING_BYTES = 1024 * 1024;

/** Check a `maxPendingBytes` option. */
export function resolveMaxPendingBytes(value: unknown, fallback = DEFAULT_MAX_PENDING_BYTES): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new TypeError('The "maxPendingBytes" option must be a non-negative number of bytes');
  return value;
}

/** While the broker is up, bytes in flight may reach this many times `maxPendingBytes`. */
export const IN_FLIGHT_FACTOR = 8;

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

  /** Whether `bytes` more may wait for the broker. */
  fitsWaiting(bytes: number): boolean {
    return this.waitingBytes + bytes <= this.maxBytes;
  }

  /** Whether `bytes` more may be sent before the broker acknowledged what is in flight. */
  fitsInFlight(bytes: number): boolean {
    return this.inFlightBytes + bytes <= this.maxBytes * IN_FLIGHT_FACTOR;
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
