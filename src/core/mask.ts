/**
 * RFC 6455 §5.3 masking: XOR with a 4-byte key, repeated. Works on 64-bit or 32-bit words where the buffers allow
 * it, which is several times faster than a byte loop for payloads past a few dozen bytes.
 */

/** Below this many bytes a plain byte loop beats setting up typed-array views. */
const WORD_THRESHOLD = 64;
/** From this many bytes 64-bit words win over 32-bit ones, even with the key made into a BigInt per call. */
const WIDE_THRESHOLD = 128;

/**
 * V8 compiles XOR on `BigInt64Array` elements to plain 64-bit machine operations since 11.3 (Node 20): with them
 * a 1 MiB unmask costs about a third of the 32-bit loop (bench/hot-path.mjs). Older engines allocate a BigInt per
 * operation, so they keep the 32-bit loop.
 */
const WIDE_WORDS = ((): boolean => {
  const [major, minor] = process.versions.v8.split('.').map(Number);
  return major > 11 || (major === 11 && minor >= 3);
})();

/**
 * XOR `length` bytes of `source` with `mask` into `output` starting at `offset`
 * (the seed's `BufferUtil.mask`). `source` and `output` must not overlap unless they are the same bytes.
 */
export function mask(source: Buffer, maskKey: Uint8Array, output: Buffer, offset: number, length: number): void {
  xorInto(source, 0, maskKey, output, offset, length);
}

/** XOR `buffer` in place with `mask` (the seed's `BufferUtil.unmask`). */
export function unmask(buffer: Buffer, maskKey: Uint8Array): void {
  xorInto(buffer, 0, maskKey, buffer, 0, buffer.length);
}

/**
 * XOR `length` bytes of `source` from `sourceStart` with `maskKey` (byte i with key byte i mod 4) into `output` from
 * `outputStart`, in one pass when both addresses share their alignment mod 8 (mod 4 for the 32-bit loop); otherwise
 * copied first, then XORed in place. The two ranges must not overlap unless they are the same bytes.
 */
export function xorInto(
  source: Uint8Array,
  sourceStart: number,
  maskKey: Uint8Array,
  output: Uint8Array,
  outputStart: number,
  length: number
): void {
  let i = 0;
  if (length >= WORD_THRESHOLD) {
    const wide = WIDE_WORDS && length >= WIDE_THRESHOLD;
    // Typed-array words must be aligned: 8 bytes for 64-bit words, 4 for 32-bit ones.
    const align = wide ? 7 : 3;
    let sourceAddress = source.byteOffset + sourceStart;
    const outputAddress = output.byteOffset + outputStart;
    if ((sourceAddress & align) !== (outputAddress & align)) {
      // Different alignments: copy (memmove speed), then XOR the copy in place on whole words.
      output.set(source.subarray(sourceStart, sourceStart + length), outputStart);
      source = output;
      sourceStart = outputStart;
      sourceAddress = outputAddress;
    }
    // Byte steps until both sides are aligned, then whole words with the key rotated to the current phase.
    const head = (align + 1 - (sourceAddress & align)) & align;
    for (; i < head; i++) output[outputStart + i] = source[sourceStart + i] ^ maskKey[i & 3];
    const key = rotatedKey(maskKey, head);
    const inPlace = source.buffer === output.buffer && sourceAddress === outputAddress;
    if (wide) {
      const words = (length - head) >>> 3;
      xorWide(inPlace ? null : source.buffer, sourceAddress + head, output.buffer, outputAddress + head, words, key);
      i = head + words * 8;
    } else {
      const words = (length - head) >>> 2;
      xorNarrow(inPlace ? null : source.buffer, sourceAddress + head, output.buffer, outputAddress + head, words, key);
      i = head + words * 4;
    }
  } else {
    const m0 = maskKey[0];
    const m1 = maskKey[1];
    const m2 = maskKey[2];
    const m3 = maskKey[3];
    const end = length & ~3;
    for (; i < end; i += 4) {
      output[outputStart + i] = source[sourceStart + i] ^ m0;
      output[outputStart + i + 1] = source[sourceStart + i + 1] ^ m1;
      output[outputStart + i + 2] = source[sourceStart + i + 2] ^ m2;
      output[outputStart + i + 3] = source[sourceStart + i + 3] ^ m3;
    }
  }
  for (; i < length; i++) output[outputStart + i] = source[sourceStart + i] ^ maskKey[i & 3];
}

/**
 * `words` 64-bit words at `outputAddress` = the words at `sourceAddress` (or, with no source, themselves) XOR the
 * 32-bit `key` twice. Sixteen words per iteration: the loop then runs at about memory speed.
 */
function xorWide(
  source: ArrayBufferLike | null,
  sourceAddress: number,
  output: ArrayBufferLike,
  outputAddress: number,
  words: number,
  key: number
): void {
  const wideKey = BigInt.asIntN(64, BigInt(key >>> 0) * 0x100000001n);
  const out = new BigInt64Array(output, outputAddress, words);
  const unrolledEnd = words & ~15;
  let w = 0;
  // In place (no source) is the same loop reading the output.
  const from = source === null ? out : new BigInt64Array(source, sourceAddress, words);
  for (; w < unrolledEnd; w += 16) {
    out[w] = from[w] ^ wideKey;
    out[w + 1] = from[w + 1] ^ wideKey;
    out[w + 2] = from[w + 2] ^ wideKey;
    out[w + 3] = from[w + 3] ^ wideKey;
    out[w + 4] = from[w + 4] ^ wideKey;
    out[w + 5] = from[w + 5] ^ wideKey;
    out[w + 6] = from[w + 6] ^ wideKey;
    out[w + 7] = from[w + 7] ^ wideKey;
    out[w + 8] = from[w + 8] ^ wideKey;
    out[w + 9] = from[w + 9] ^ wideKey;
    out[w + 10] = from[w + 10] ^ wideKey;
    out[w + 11] = from[w + 11] ^ wideKey;
    out[w + 12] = from[w + 12] ^ wideKey;
    out[w + 13] = from[w + 13] ^ wideKey;
    out[w + 14] = from[w + 14] ^ wideKey;
    out[w + 15] = from[w + 15] ^ wideKey;
  }
  for (; w < words; w++) out[w] = from[w] ^ wideKey;
}

/** The same on 32-bit words (engines without fast BigInt64 XOR, and payloads below {@link WIDE_THRESHOLD}). */
function xorNarrow(
  source: ArrayBufferLike | null,
  sourceAddress: number,
  output: ArrayBufferLike,
  outputAddress: number,
  words: number,
  key: number
): void {
  const out = new Int32Array(output, outputAddress, words);
  // Four words per iteration: V8 keeps the loop tight, about twice the speed of one word at a time.
  const unrolledEnd = words & ~3;
  let w = 0;
  const from = source === null ? out : new Int32Array(source, sourceAddress, words);
  for (; w < unrolledEnd; w += 4) {
    out[w] = from[w] ^ key;
    out[w + 1] = from[w + 1] ^ key;
    out[w + 2] = from[w + 2] ^ key;
    out[w + 3] = from[w + 3] ^ key;
  }
  for (; w < words; w++) out[w] = from[w] ^ key;
}

/** The 4-byte key starting at byte `phase`, as the 32-bit word typed arrays use on this platform. */
function rotatedKey(maskKey: Uint8Array, phase: number): number {
  const b0 = maskKey[phase & 3];
  const b1 = maskKey[(phase + 1) & 3];
  const b2 = maskKey[(phase + 2) & 3];
  const b3 = maskKey[(phase + 3) & 3];
  return LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
