/** UTF-8 validation (RFC 3629), whole-buffer and streaming, as RFC 6455 §8.1 requires for text and close reasons. */
import * as buffer from 'node:buffer';

/** Node ≥ 18.14 has a native validator; older 18.x falls back to the JS state machine below. */
const nativeIsUtf8: ((input: Uint8Array) => boolean) | undefined = (
  buffer as { isUtf8?: (input: Uint8Array) => boolean }
).isUtf8;

/** True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  if (nativeIsUtf8 !== undefined) return bytes.length === 0 || nativeIsUtf8(bytes);
  return scanUtf8(bytes, 0, bytes.length) === bytes.length;
}

/**
 * Length of the longest well-formed prefix of `bytes[start..end)` that ends on a code point boundary, or -1 if the
 * bytes contain something that can never become valid (a bad lead byte, a bad continuation, an overlong form…).
 * A truncated sequence at the very end is not an error: the prefix before it is returned.
 */
export function scanUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    const need = sequenceLength(lead);
    if (need === 0) return -1;
    const available = Math.min(end - i - 1, need - 1);
    for (let k = 1; k <= available; k++) {
      if (!isAllowedContinuation(lead, k, bytes[i + k])) return -1;
    }
    if (available < need - 1) return i - start;
    i += need;
  }
  return i - start;
}

/** Total bytes of the sequence a lead byte starts, or 0 for bytes that cannot start one. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** RFC 3629 §4: the second byte's range depends on the lead byte; later bytes are plain continuations. */
function isAllowedContinuation(lead: number, index: number, byte: number): boolean {
  if (index === 1) {
    if (lead === 0xe0) return byte >= 0xa0 && byte <= 0xbf;
    if (lead === 0xed) return byte >= 0x80 && byte <= 0x9f;
    if (lead === 0xf0) return byte >= 0x90 && byte <= 0xbf;
    if (lead === 0xf4) return byte >= 0x80 && byte <= 0x8f;
  }
  return byte >= 0x80 && byte <= 0xbf;
}

/**
 * Validates text that arrives in pieces (fragments, chunks). Each `push` fails as soon as the prefix seen so far
 * cannot be completed into valid UTF-8; a code point split across pieces is carried over.
 */
export class Utf8StreamValidator {
  /** Bytes of an incomplete trailing sequence (at most 3). */
  private carry = new Uint8Array(4);
  private carryLength = 0;

  /** Feed the next piece; false when the text so far is already invalid. */
  push(piece: Uint8Array): boolean {
    let offset = 0;
    if (this.carryLength > 0) {
      const need = sequenceLength(this.carry[0]);
      while (this.carryLength < need && offset < piece.length) this.carry[this.carryLength++] = piece[offset++];
      const scanned = scanUtf8(this.carry, 0, this.carryLength);
      if (scanned === -1) return false;
      if (this.carryLength < need) return true;
      this.carryLength = 0;
    }
    const length = piece.length - offset;
    if (length === 0) return true;
    // Fast path: everything up to the last (possibly incomplete) sequence goes to the native validator.
    const tail = incompleteTailLength(piece, offset, piece.length);
    const bodyEnd = piece.length - tail;
    if (bodyEnd > offset && !isValidUtf8(piece.subarray(offset, bodyEnd))) return false;
    if (tail > 0) {
      if (scanUtf8(piece, bodyEnd, piece.length) === -1) return false;
      this.carry.set(piece.subarray(bodyEnd), 0);
      this.carryLength = tail;
    }
    return true;
  }

  /** True when the text ended on a code point boundary; resets for the next message. */
  end(): boolean {
    const complete = this.carryLength === 0;
    this.carryLength = 0;
    return complete;
  }
}

/** Bytes at the end of `bytes[start..end)` that start a sequence too short to be complete (0–3). */
function incompleteTailLength(bytes: Uint8Array, start: number, end: number): number {
  for (let back = 1; back <= 3 && end - back >= start; back++) {
    const byte = bytes[end - back];
    if (byte < 0x80) return 0;
    if (byte >= 0xc0) {
      const need = sequenceLength(byte);
      return need > back ? back : 0;
    }
  }
  return 0;
}
