/**
 * RFC 6455 §5.3 masking: XOR with a 4-byte key, repeated. Works on 32-bit words where the buffers allow it,
 * which is several times faster than a byte loop for payloads past a few dozen bytes.
 */

/** Below this many bytes a plain byte loop beats setting up typed-array views. */
const WORD_THRESHOLD = 64;

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

function xorInto(
  source: Uint8Array,
  sourceStart: number,
  maskKey: Uint8Array,
  output: Uint8Array,
  outputStart: number,
  length: number
): void {
  const m0 = maskKey[0];
  const m1 = maskKey[1];
  const m2 = maskKey[2];
  const m3 = maskKey[3];
  let i = 0;
  const sourceAddress = source.byteOffset + sourceStart;
  const outputAddress = output.byteOffset + outputStart;
  if (length >= WORD_THRESHOLD && (sourceAddress & 3) === (outputAddress & 3)) {
    // Byte steps until both sides are 4-aligned, then whole words with the key rotated to the current phase.
    const head = (4 - (sourceAddress & 3)) & 3;
    for (; i < head; i++) output[outputStart + i] = source[sourceStart + i] ^ maskKey[i & 3];
    const words = (length - head) >>> 2;
    const sourceWords = new Uint32Array(source.buffer, sourceAddress + head, words);
    const outputWords = new Uint32Array(output.buffer, outputAddress + head, words);
    const rotated = new Uint8Array(4);
    for (let k = 0; k < 4; k++) rotated[k] = maskKey[(head + k) & 3];
    const key = new Uint32Array(rotated.buffer)[0];
    for (let w = 0; w < words; w++) outputWords[w] = sourceWords[w] ^ key;
    i = head + words * 4;
  } else {
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
