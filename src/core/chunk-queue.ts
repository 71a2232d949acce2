/**
 * The reader's input: socket chunks kept as they arrived (views, no copies), consumed from the front. Reads return
 * views when the bytes lie in one chunk and copy only when a field or payload spans chunks.
 */
import { unmask, xorInto } from './mask';

/** Holds the current key while unmasking (synchronous, so one per process is enough). */
const MASK_SCRATCH = Buffer.alloc(4);
/** Up to this many bytes a piece is unmasked by a byte loop here (the word loops pay off beyond it). */
const SMALL_PAYLOAD = 32;

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
   * `count` bytes: a view when they lie in one chunk, else copied together. A non-zero `maskWord` unmasks them
   * (RFC 6455 §5.3). A payload spanning chunks is unmasked while it is copied, one pass from each chunk into the
   * target. `exact` asks for a Buffer that starts its own ArrayBuffer (so an 'arraybuffer' message needs no copy);
   * without it a large masked target starts at the first piece's address mod 8, so the word loop can read the
   * chunks and write the target aligned on both sides in that one pass.
   */
  read(count: number, maskWord = 0, exact = true): Buffer {
    const first = this.chunks[0];
    if (count <= first.length - this.offset) {
      const view = first.subarray(this.offset, this.offset + count);
      this.advance(count);
      if (maskWord !== 0) unmaskPiece(view, maskWord);
      return view;
    }
    const target = maskWord === 0 || exact ? Buffer.allocUnsafe(count) : alignedTarget(count, first.byteOffset + this.offset);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length - this.offset, count - filled);
      if (maskWord === 0) chunk.copy(target, filled, this.offset, this.offset + take);
      else xorInto(chunk, this.offset, keyAt(maskWord, filled), target, filled, take);
      filled += take;
      this.advance(take);
    }
    return target;
  }
}

/** `count` bytes whose first byte has the address `address` has, mod 8 (the spare bytes are never exposed). */
function alignedTarget(count: number, address: number): Buffer {
  const spare = Buffer.allocUnsafe(count + 7);
  const shift = (address - spare.byteOffset) & 7;
  return spare.subarray(shift, shift + count);
}

/**
 * A copy of the unread bytes from `skip` to the end, unmasked as payload bytes `skip…` of a frame whose payload
 * starts at the front (the key rotated by `skip`). Nothing is consumed. The copy is gathered from the back, so
 * checking what just arrived costs only the newest chunks, however many are queued.
 */
export function copyUnread(queue: ChunkQueue, skip: number, maskWord: number): Buffer {
  const target = Buffer.allocUnsafe(queue.length - skip);
  let remaining = target.length;
  for (let i = queue.chunks.length - 1; remaining > 0; i--) {
    const chunk = queue.chunks[i];
    const readable = i === 0 ? chunk.length - queue.offset : chunk.length;
    const take = Math.min(readable, remaining);
    remaining -= take;
    if (maskWord === 0) chunk.copy(target, remaining, chunk.length - take);
    else xorInto(chunk, chunk.length - take, keyAt(maskWord, skip + remaining), target, remaining, take);
  }
  return target;
}

/** Unmask a whole payload in place. */
function unmaskPiece(piece: Buffer, word: number): void {
  if (piece.length > SMALL_PAYLOAD) {
    MASK_SCRATCH.writeUInt32BE(word, 0);
    unmask(piece, MASK_SCRATCH);
    return;
  }
  // Small payloads (most messages): XOR straight from the key word, no scratch key and no call.
  const m0 = word >>> 24;
  const m1 = (word >>> 16) & 0xff;
  const m2 = (word >>> 8) & 0xff;
  const m3 = word & 0xff;
  const length = piece.length;
  const end = length & ~3;
  let i = 0;
  for (; i < end; i += 4) {
    piece[i] ^= m0;
    piece[i + 1] ^= m1;
    piece[i + 2] ^= m2;
    piece[i + 3] ^= m3;
  }
  if (i < length) piece[i] ^= m0;
  if (i + 1 < length) piece[i + 1] ^= m1;
  if (i + 2 < length) piece[i + 2] ^= m2;
}

/** The 4-byte key for bytes starting `done` bytes into the payload (rotated by `done` mod 4), in the scratch. */
function keyAt(maskWord: number, done: number): Uint8Array {
  const shift = (done & 3) * 8;
  MASK_SCRATCH.writeUInt32BE(shift === 0 ? maskWord : ((maskWord << shift) | (maskWord >>> (32 - shift))) >>> 0, 0);
  return MASK_SCRATCH;
}
