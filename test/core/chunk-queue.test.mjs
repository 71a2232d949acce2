// The reader's input queue: payloads that span socket chunks are unmasked while they are copied out, in one pass
// from each chunk into the target. Every piece size, chunk address mod 8 and payload start mod 8 must give exactly
// the bytes of a plain reference XOR (RFC 6455 §5.3), masked and unmasked, and the target must be where it is asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createRandom } from '../helpers/core-util.mjs';

const require = createRequire(import.meta.url);
const { ChunkQueue, copyUnread } = require('../../dist/cjs/core/chunk-queue.js');

/** The reference: payload byte i is XORed with key byte i mod 4 (the key word big-endian, as on the wire). */
function referenceXor(bytes, maskWord, from = 0) {
  const key = Buffer.alloc(4);
  key.writeUInt32BE(maskWord >>> 0, 0);
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] ^ key[(from + i) & 3];
  return out;
}

/** A copy of `bytes` starting `shift` bytes into a fresh ArrayBuffer (so its address mod 8 is `shift`). */
function chunkAt(shift, bytes) {
  const view = Buffer.alloc(shift + bytes.length + 8, 0xee).subarray(shift, shift + bytes.length);
  bytes.copy(view);
  return view;
}

/**
 * Queue `lead` filler bytes, the payload and a 5-byte trailer, cut into pieces of the odd `sizes` (cycled), chunk
 * k placed at address (base + 3k) mod 8: some neighbouring pieces share the target's alignment, others do not.
 */
function queueOf(lead, payload, trailer, sizes, base) {
  const wire = Buffer.concat([Buffer.alloc(lead, 0x11), payload, trailer]);
  const queue = new ChunkQueue();
  for (let at = 0, k = 0; at < wire.length; k++) {
    const size = Math.min(sizes[k % sizes.length], wire.length - at);
    queue.push(chunkAt((base + 3 * k) & 7, wire.subarray(at, at + size)));
    at += size;
  }
  for (let i = 0; i < lead; i++) queue.readByte();
  return queue;
}

const LENGTHS = [2, 5, 63, 64, 127, 129, 200, 1031, 4100];
const PIECES = [[1], [3, 7], [13, 61], [129, 257, 61], [1021, 13]];
const KEYS = [0, 0x37fa213d, 0x80000001];

test('read across chunks equals the reference XOR for every piece size, payload start and chunk address mod 8', () => {
  const random = createRandom(0xc4a11);
  const trailer = Buffer.from([1, 2, 3, 4, 5]);
  for (const length of LENGTHS) {
    const payload = random.bytes(length);
    for (const sizes of PIECES) {
      for (let lead = 0; lead < 8; lead++) {
        for (let base = 0; base < 8; base++) {
          for (const maskWord of KEYS) {
            for (const exact of [true, false]) {
              const queue = queueOf(lead, payload, trailer, sizes, base);
              const got = queue.read(length, maskWord, exact);
              const where = `len ${length} pieces ${sizes} lead ${lead} base ${base} key ${maskWord} exact ${exact}`;
              assert.deepEqual(got, referenceXor(payload, maskWord), where);
              assert.equal(queue.length, trailer.length, where);
              assert.deepEqual(queue.read(trailer.length), trailer, where);
            }
          }
        }
      }
    }
  }
});

test('a payload spanning chunks: exact targets start their own ArrayBuffer; others share the first piece\'s address mod 8', () => {
  const random = createRandom(0xc4a12);
  const payload = random.bytes(70001);
  for (let lead = 0; lead < 8; lead++) {
    for (let base = 0; base < 8; base++) {
      const firstAddress = (base + lead) & 7;
      const exact = queueOf(lead, payload, Buffer.alloc(0), [65536], base).read(payload.length, 0x37fa213d, true);
      assert.equal(exact.byteOffset, 0);
      assert.equal(exact.buffer.byteLength, payload.length);
      const aligned = queueOf(lead, payload, Buffer.alloc(0), [65536], base).read(payload.length, 0x37fa213d, false);
      assert.equal(aligned.byteOffset & 7, firstAddress, `lead ${lead} base ${base}`);
      assert.deepEqual(aligned, referenceXor(payload, 0x37fa213d));
      // Unmasked payloads gain nothing from alignment: a plain target.
      const plain = queueOf(lead, payload, Buffer.alloc(0), [65536], base).read(payload.length, 0, false);
      assert.equal(plain.byteOffset, 0);
      assert.deepEqual(plain, payload);
    }
  }
});

test('a payload inside one chunk is still a view of it, unmasked in place', () => {
  const payload = Buffer.from('a payload that fits in the first chunk, longer than the byte loop');
  const chunk = chunkAt(3, Buffer.concat([Buffer.from([9]), referenceXor(payload, 0x01020304)]));
  const queue = new ChunkQueue();
  queue.push(chunk);
  queue.readByte();
  const got = queue.read(payload.length, 0x01020304, false);
  assert.equal(got.buffer, chunk.buffer);
  assert.equal(got.byteOffset, chunk.byteOffset + 1);
  assert.deepEqual(got, payload);
});

test('copyUnread equals the reference XOR of the unread bytes from every skip, at every chunk address mod 8', () => {
  const random = createRandom(0xc4a13);
  for (const length of [5, 64, 200, 1031]) {
    const payload = random.bytes(length);
    for (const sizes of PIECES) {
      for (let base = 0; base < 8; base++) {
        for (const maskWord of KEYS) {
          for (const skip of [0, 1, 2, 3, 4, 7, Math.floor(length / 2), length - 1].filter((s) => s < length)) {
            for (const lead of [0, 5]) {
              const queue = queueOf(lead, payload, Buffer.alloc(0), sizes, base);
              const before = queue.length;
              const got = copyUnread(queue, skip, maskWord);
              const where = `len ${length} pieces ${sizes} base ${base} key ${maskWord} skip ${skip} lead ${lead}`;
              assert.deepEqual(got, referenceXor(payload.subarray(skip), maskWord, skip), where);
              // Nothing was consumed, and the queued bytes are still the masked wire bytes.
              assert.equal(queue.length, before, where);
              assert.deepEqual(queue.read(length), payload, where);
            }
          }
        }
      }
    }
  }
});
