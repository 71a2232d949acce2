/**
 * The reader's input: socket chunks kept as they arrived (views, no copies), consumed from the front. Reads return
 * views when the bytes lie in one chunk and copy only when a field or payload spans chunks.
 */
import { unmask } from './mask';

/** Holds the current key while unmasking (synchronous, so one per process is enough). */
const MASK_SCRATCH = Buffer.alloc(4);

/** Unread input bytes, front first. */
export class ChunkQueue {
  /** chunks[0] is read from `offset`. */
  chunks: Buffer[] = [];
  offset = 0;
  /** Bytes not yet read. */
  length = 0;

  /** Append a chunk as it arrived (kept as a view). */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Drop everything. */
  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }

  /** Consume `count` bytes of the front chunk. */
  advance(count: number): void {
    this.length -= count;
    this.offset += count;
    if (this.offset === this.chunks[0].length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** One byte. */
  readByte(): number {
    const byte = this.chunks[0][this.offset];
    this.advance(1);
    return byte;
  }

  /** A big-endian 16-bit value (RFC 6455 §5.2 network byte order). */
  readUInt16(): number {
    const chunk = this.chunks[0];
    if (chunk.length - this.offset >= 2) {
      const value = (chunk[this.offset] << 8) | chunk[this.offset + 1];
      this.advance(2);
      return value;
    }
    return (this.readByte() << 8) | this.readByte();
  }

  /** A big-endian 32-bit value. */
  readUInt32(): number {
    const chunk = this.chunks[0];
    if (chunk.length - this.offset >= 4) {
      const value = chunk.readUInt32BE(this.offset);
      this.advance(4);
      return value;
    }
    return this.readUInt16() * 0x10000 + this.readUInt16();
  }

  /**
   * Like {@link read}, unmasking (RFC 6455 §5.3). A payload spanning chunks is unmasked piece by piece in place,
   * while each piece is still in cache, then copied: one pass less over a large payload than copy-then-unmask.
   */
  readUnmasked(count: number, maskWord: number): Buffer {
    const first = this.chunks[0];
    if (count <= first.length - this.offset) {
      const view = first.subarray(this.offset, this.offset + count);
      this.advance(count);
      MASK_SCRATCH.writeUInt32BE(maskWord, 0);
      unmask(view, MASK_SCRATCH);
      return view;
    }
    const target = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length - this.offset, count - filled);
      const piece = chunk.subarray(this.offset, this.offset + take);
      // The key continues where the previous piece stopped: rotate it by the bytes already done.
      const shift = (filled & 3) * 8;
      MASK_SCRATCH.writeUInt32BE(shift === 0 ? maskWord : ((maskWord << shift) | (maskWord >>> (32 - shift))) >>> 0, 0);
      unmask(piece, MASK_SCRATCH);
      piece.copy(target, filled);
      filled += take;
      this.advance(take);
    }
    return target;
  }

  /** `count` bytes as a view when they lie in one chunk, else copied together. */
  read(count: number): Buffer {
    const first = this.chunks[0];
    const available = first.length - this.offset;
    if (count <= available) {
      const view = first.subarray(this.offset, this.offset + count);
      this.advance(count);
      return view;
    }
    const target = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length - this.offset, count - filled);
      chunk.copy(target, filled, this.offset, this.offset + take);
      filled += take;
      this.advance(take);
    }
    return target;
  }
}
