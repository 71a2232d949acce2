/**
 * The last bytes that went through one direction of permessage-deflate (at most the LZ77 window), kept so that a
 * zlib stream closed while idle can be reopened with the same window as its dictionary (RFC 7692 §7.1.1: with
 * context takeover the peer's window holds exactly these bytes).
 */

/** Smallest buffer the history grows from, so a run of tiny messages does not reallocate for each one. */
const MIN_STORAGE = 256;

/** A byte ring of at most `capacity` bytes that grows as bytes arrive and can be shrunk to what it holds. */
export class WindowHistory {
  /** Ring storage; the held bytes start at {@link start} and wrap at the end. */
  private storage: Buffer = Buffer.alloc(0);
  private start = 0;
  private held = 0;

  /** @param capacity - the window size in bytes (`1 << windowBits`). */
  constructor(readonly capacity: number) {}

  /** Bytes held (never more than {@link capacity}). */
  get length(): number {
    return this.held;
  }

  /** Keep `data` as the newest bytes, dropping the oldest beyond {@link capacity}. */
  append(data: Uint8Array): void {
    const capacity = this.capacity;
    if (data.length === 0) return;
    if (data.length >= capacity) {
      this.reserve(capacity);
      this.storage.set(data.subarray(data.length - capacity));
      this.start = 0;
      this.held = capacity;
      return;
    }
    if (this.held + data.length > this.storage.length) this.reserve(Math.min(capacity, this.held + data.length));
    const size = this.storage.length;
    const write = (this.start + this.held) % size;
    const first = Math.min(data.length, size - write);
    this.storage.set(data.subarray(0, first), write);
    if (first < data.length) this.storage.set(data.subarray(first), 0);
    this.held += data.length;
    if (this.held > size) {
      this.start = (this.start + this.held - size) % size;
      this.held = size;
    }
  }

  /** A copy of the held bytes, oldest first. */
  contents(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.held);
    this.copyInto(out);
    return out;
  }

  /** Shrink the storage to exactly the bytes held (for a history that is kept while its stream is closed). */
  compact(): void {
    if (this.start !== 0 || this.storage.length !== this.held) this.storage = this.contents();
    this.start = 0;
  }

  /** Forget everything (the window was reset). */
  clear(): void {
    this.storage = Buffer.alloc(0);
    this.start = 0;
    this.held = 0;
  }

  /** Make the storage at least `size` bytes (and at most {@link capacity}), keeping the held bytes in order. */
  private reserve(size: number): void {
    if (this.storage.length >= size) return;
    const grown = Math.min(this.capacity, Math.max(size, this.storage.length * 2, MIN_STORAGE));
    // Not from the shared pool: a kept history must not pin an 8 KiB pool slab.
    const next = Buffer.allocUnsafeSlow(grown);
    this.copyInto(next);
    this.storage = next;
    this.start = 0;
  }

  private copyInto(target: Buffer): void {
    const size = this.storage.length;
    const first = Math.min(this.held, size - this.start);
    this.storage.copy(target, 0, this.start, this.start + first);
    if (first < this.held) this.storage.copy(target, first, 0, this.held - first);
  }
}
