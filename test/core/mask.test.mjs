// RFC 6455 §5.3 masking: the word-at-a-time XOR must equal a plain byte loop for every length, every alignment of
// source and output, in place and into another buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createRandom } from '../helpers/core-util.mjs';

const require = createRequire(import.meta.url);
const { mask, unmask, xorInto } = require('../../dist/cjs/core/mask.js');
const { randomMask } = require('../../dist/cjs/core/mask-pool.js');

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** The reference: byte i is XORed with key[i % 4]. */
function referenceMask(source, key, length) {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i] ^ key[i % 4];
  return out;
}

/** A view of `length` bytes starting `shift` bytes into a fresh ArrayBuffer (so its address mod 4 is `shift`). */
function viewAt(shift, length, fill) {
  const backing = Buffer.alloc(shift + length + 8, 0xee);
  const view = backing.subarray(shift, shift + length);
  fill.copy(view, 0, 0, length);
  return { backing, view };
}

test('RFC 6455 §5.7: masking "Hello" with 37 fa 21 3d gives 7f 9f 4d 51 58', () => {
  const data = Buffer.from('Hello');
  unmask(data, KEY);
  assert.equal(data.toString('hex'), '7f9f4d5158');
  unmask(data, KEY);
  assert.equal(data.toString(), 'Hello');
});

test('unmask matches the byte loop for lengths 0..200 at every source alignment', () => {
  const random = createRandom(0x5eed01);
  const key = random.bytes(4);
  for (let length = 0; length <= 200; length++) {
    const source = random.bytes(length);
    const expected = referenceMask(source, key, length);
    for (let shift = 0; shift < 4; shift++) {
      const { backing, view } = viewAt(shift, length, source);
      unmask(view, key);
      assert.deepEqual(view, expected, `length ${length} shift ${shift}`);
      // Bytes around the view are untouched.
      for (let i = 0; i < shift; i++) assert.equal(backing[i], 0xee);
      for (let i = shift + length; i < backing.length; i++) assert.equal(backing[i], 0xee);
    }
  }
});

test('mask into another buffer matches the byte loop for every length 0..200, source shift, output shift and offset', () => {
  const random = createRandom(0x5eed02);
  for (let length = 0; length <= 200; length++) {
    const key = random.bytes(4);
    const source = random.bytes(length);
    const expected = referenceMask(source, key, length);
    for (let sourceShift = 0; sourceShift < 4; sourceShift++) {
      const { view: sourceView } = viewAt(sourceShift, length, source);
      for (let outputShift = 0; outputShift < 4; outputShift++) {
        for (const offset of [0, 1, 2, 3, 6]) {
          const output = Buffer.alloc(outputShift + offset + length + 4, 0xaa).subarray(outputShift);
          mask(sourceView, key, output, offset, length);
          assert.deepEqual(
            output.subarray(offset, offset + length),
            expected,
            `len ${length} s ${sourceShift} o ${outputShift}+${offset}`
          );
          for (let i = 0; i < offset; i++) assert.equal(output[i], 0xaa);
          for (let i = offset + length; i < output.length; i++) assert.equal(output[i], 0xaa);
          // The source is left as it was.
          assert.deepEqual(sourceView, source);
        }
      }
    }
  }
});

test('mask with the output being the source masks in place (the encoder does this for large payloads)', () => {
  const random = createRandom(0x5eed03);
  for (const length of [0, 3, 63, 64, 65, 127, 1000, 4099]) {
    const source = random.bytes(length);
    const key = random.bytes(4);
    const expected = referenceMask(source, key, length);
    for (let shift = 0; shift < 4; shift++) {
      const { view } = viewAt(shift, length, source);
      mask(view, key, view, 0, length);
      assert.deepEqual(view, expected, `length ${length} shift ${shift}`);
    }
  }
});

test('64-bit word path: lengths around 128 and 16-word blocks, every source and output address mod 8', () => {
  const random = createRandom(0x5eed05);
  for (const length of [127, 128, 129, 135, 136, 255, 256, 257, 263, 1031, 4100]) {
    const key = random.bytes(4);
    const source = random.bytes(length);
    const expected = referenceMask(source, key, length);
    for (let sourceShift = 0; sourceShift < 8; sourceShift++) {
      const { view } = viewAt(sourceShift, length, source);
      const inPlace = viewAt(sourceShift, length, source);
      unmask(inPlace.view, key);
      assert.deepEqual(inPlace.view, expected, `in place, length ${length} shift ${sourceShift}`);
      for (let outputShift = 0; outputShift < 8; outputShift++) {
        const output = Buffer.alloc(outputShift + length + 8, 0xaa);
        mask(view, key, output, outputShift, length);
        assert.deepEqual(output.subarray(outputShift, outputShift + length), expected, `len ${length} s ${sourceShift} o ${outputShift}`);
        for (let i = 0; i < outputShift; i++) assert.equal(output[i], 0xaa);
        for (let i = outputShift + length; i < output.length; i++) assert.equal(output[i], 0xaa);
        assert.deepEqual(view, source);
      }
    }
  }
});

test('xorInto from a start inside the source: every source and output address mod 8, one pass or copy-then-XOR', () => {
  const random = createRandom(0x5eed06);
  for (const length of [1, 63, 64, 127, 128, 129, 263, 1031]) {
    const key = random.bytes(4);
    const source = random.bytes(length);
    const expected = referenceMask(source, key, length);
    for (let sourceStart = 0; sourceStart < 8; sourceStart++) {
      // The source range begins `sourceStart` bytes into a view that itself starts at address 5 mod 8.
      const { view: sourceView } = viewAt(5, sourceStart + length, Buffer.concat([Buffer.alloc(sourceStart, 0x77), source]));
      for (let outputStart = 0; outputStart < 8; outputStart++) {
        const output = Buffer.alloc(outputStart + length + 8, 0xaa);
        xorInto(sourceView, sourceStart, key, output, outputStart, length);
        const where = `len ${length} source start ${sourceStart} output start ${outputStart}`;
        assert.deepEqual(output.subarray(outputStart, outputStart + length), expected, where);
        for (let i = 0; i < outputStart; i++) assert.equal(output[i], 0xaa, where);
        for (let i = outputStart + length; i < output.length; i++) assert.equal(output[i], 0xaa, where);
        assert.deepEqual(sourceView.subarray(sourceStart), source, where);
      }
    }
  }
});

test('mask only writes `length` bytes even when the source is longer', () => {
  const source = Buffer.alloc(100, 0xff);
  const output = Buffer.alloc(100, 0);
  mask(source, Buffer.from([1, 2, 3, 4]), output, 0, 70);
  assert.deepEqual(output.subarray(0, 70), referenceMask(source, [1, 2, 3, 4], 70));
  assert.deepEqual(output.subarray(70), Buffer.alloc(30, 0));
});

test('a zero key leaves data unchanged; masking twice restores it (large buffer, word path)', () => {
  const random = createRandom(0x5eed04);
  const data = random.bytes(1 << 16);
  const copy = Buffer.from(data);
  unmask(data, Buffer.alloc(4));
  assert.deepEqual(data, copy);
  const key = random.bytes(4);
  unmask(data, key);
  assert.notDeepEqual(data, copy);
  assert.deepEqual(data, referenceMask(copy, key, copy.length));
  unmask(data, key);
  assert.deepEqual(data, copy);
});

test('the key may be any Uint8Array (not only a Buffer)', () => {
  const data = Buffer.from('Hello, world! Hello, world! Hello, world! Hello, world! Hello, world!');
  const expected = referenceMask(data, KEY, data.length);
  unmask(data, new Uint8Array(KEY));
  assert.deepEqual(data, expected);
});

test('randomMask fills exactly 4 bytes and keeps producing fresh keys past the pool refill', () => {
  const seen = new Set();
  const target = Buffer.alloc(6, 0xcc);
  // 8192-byte pool / 4 = 2048 keys per refill; go past three refills.
  for (let i = 0; i < 7000; i++) {
    randomMask(target);
    seen.add(target.readUInt32BE(0));
    assert.equal(target[4], 0xcc);
    assert.equal(target[5], 0xcc);
  }
  // 7000 draws from 2^32 values: collisions are possible but a handful at most; a stuck pool gives far fewer.
  assert.ok(seen.size > 6900, `only ${seen.size} distinct keys`);
});
