// UTF-8 validation (RFC 3629 as RFC 6455 §8.1 requires): whole buffers, the JS scanner, and the streaming validator
// fed at every split point. The reference is the WHATWG decoder (TextDecoder, fatal), which rejects eagerly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { hex, createRandom } from '../helpers/core-util.mjs';

const require = createRequire(import.meta.url);
const { isValidUtf8, scanUtf8, Utf8StreamValidator } = require('../../dist/cjs/core/utf8.js');

/** Reference: whole-buffer validity. */
function referenceValid(bytes) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Reference: index of the first byte after which the prefix can no longer become valid, or -1. */
function referenceFirstBad(bytes) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return -1;
}

/** Push `pieces`; return the index of the first push that returned false (or -1) and end()'s result. */
function streamResult(pieces) {
  const validator = new Utf8StreamValidator();
  for (let i = 0; i < pieces.length; i++) {
    if (!validator.push(pieces[i])) return { failedAt: i, ended: false };
  }
  return { failedAt: -1, ended: validator.end() };
}

const VALID = [
  '',
  '00',
  '7f',
  'c2 80',
  'df bf',
  'e0 a0 80',
  'ed 9f bf', // U+D7FF, just below the surrogates
  'ee 80 80', // U+E000, just above
  'ef bf bf',
  'f0 90 80 80', // U+10000
  'f4 8f bf bf', // U+10FFFF
  Buffer.from('Hello-µ@ßöäüàá-UTF-8!! ĀŁ ☃ 𝄞 日本語 💩').toString('hex')
];

const INVALID = {
  'lone continuation': '80',
  'continuation at end of ASCII': '41 bf',
  'overlong 2-byte NUL': 'c0 80',
  'overlong 2-byte 7f': 'c1 bf',
  'overlong 3-byte': 'e0 80 80',
  'overlong 3-byte max': 'e0 9f bf',
  'overlong 4-byte': 'f0 80 80 80',
  'overlong 4-byte max': 'f0 8f bf bf',
  'surrogate D800': 'ed a0 80',
  'surrogate DFFF': 'ed bf bf',
  'surrogate pair as CESU-8': 'ed a0 bd ed b2 a9',
  'above U+10FFFF': 'f4 90 80 80',
  'lead f5': 'f5 80 80 80',
  'lead f8 (5-byte form)': 'f8 88 80 80 80',
  'lead fc (6-byte form)': 'fc 84 80 80 80 80',
  'byte fe': 'fe',
  'byte ff': 'ff',
  'truncated 2-byte': 'c2',
  'truncated 3-byte': 'e2 82',
  'truncated 4-byte': 'f0 9f 98',
  'ASCII inside a sequence': 'e2 41 ac',
  'Autobahn 6.4.1 shape': 'ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80 65 64 69 74 65 64'
};

test('isValidUtf8 and scanUtf8 accept valid vectors', () => {
  for (const vector of VALID) {
    const bytes = hex(vector);
    assert.equal(isValidUtf8(bytes), true, vector);
    assert.equal(scanUtf8(bytes, 0, bytes.length), bytes.length, vector);
  }
});

test('isValidUtf8 rejects overlongs, surrogates, > U+10FFFF, bad leads, stray continuations and truncation', () => {
  for (const [name, vector] of Object.entries(INVALID)) {
    assert.equal(isValidUtf8(hex(vector)), false, name);
    assert.equal(referenceValid(hex(vector)), false, `reference agrees: ${name}`);
  }
});

test('scanUtf8: -1 for never-valid input; the complete prefix for a truncated tail', () => {
  assert.equal(scanUtf8(hex('c0 80'), 0, 2), -1);
  assert.equal(scanUtf8(hex('ed a0 80'), 0, 3), -1);
  assert.equal(scanUtf8(hex('f4 90'), 0, 2), -1);
  assert.equal(scanUtf8(hex('41 e0 9f'), 0, 3), -1);
  assert.equal(scanUtf8(hex('41 80'), 0, 2), -1);
  assert.equal(scanUtf8(hex('41 42 e2 82'), 0, 4), 2);
  assert.equal(scanUtf8(hex('41 f0 9f 98'), 0, 4), 1);
  assert.equal(scanUtf8(hex('41 f0'), 0, 2), 1);
  // start/end select a window.
  assert.equal(scanUtf8(hex('ff 41 c2 80 ff'), 1, 4), 3);
  assert.equal(scanUtf8(hex('ff 41 c2 80 ff'), 2, 3), 0);
  assert.equal(scanUtf8(hex('ff'), 1, 1), 0);
});

test('every 1- and 2-byte input agrees with the WHATWG decoder (isValidUtf8, scanUtf8, stream validator)', () => {
  const one = Buffer.alloc(1);
  for (let a = 0; a < 256; a++) {
    one[0] = a;
    assert.equal(isValidUtf8(one), referenceValid(one), `byte ${a}`);
  }
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      const bytes = Buffer.from([a, b]);
      const valid = referenceValid(bytes);
      assert.equal(isValidUtf8(bytes), valid, bytes.toString('hex'));
      assert.equal(scanUtf8(bytes, 0, 2) === 2, valid, `scan ${bytes.toString('hex')}`);
      const split = streamResult([bytes.subarray(0, 1), bytes.subarray(1)]);
      assert.equal(split.failedAt === -1 && split.ended, valid, `stream ${bytes.toString('hex')}`);
    }
  }
});

test('every 3- and 4-byte lead with every second byte and boundary continuations agrees with the reference', () => {
  const tails = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xff];
  for (let lead = 0xe0; lead <= 0xff; lead++) {
    for (let second = 0; second < 256; second++) {
      for (const third of tails) {
        const three = Buffer.from([lead, second, third]);
        assert.equal(isValidUtf8(three), referenceValid(three), three.toString('hex'));
        assert.equal(scanUtf8(three, 0, 3) === 3, referenceValid(three), `scan ${three.toString('hex')}`);
        for (const fourth of [0x41, 0x80, 0xbf, 0xc0]) {
          const four = Buffer.from([lead, second, third, fourth]);
          const valid = referenceValid(four);
          assert.equal(isValidUtf8(four), valid, four.toString('hex'));
          const bad = referenceFirstBad(four);
          const bytewise = streamResult([...four].map((b) => Buffer.from([b])));
          assert.equal(bytewise.failedAt, bad, `first bad byte of ${four.toString('hex')}`);
          if (bad === -1) assert.equal(bytewise.ended, valid, `end ${four.toString('hex')}`);
        }
      }
    }
  }
});

test('stream validator: a valid text split at every point (two pieces, three pieces) is accepted', () => {
  const bytes = Buffer.from('a€𝄞ß日\u0000z💩');
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(streamResult([bytes.subarray(0, i), bytes.subarray(i)]), { failedAt: -1, ended: true }, `at ${i}`);
    for (let j = i; j <= bytes.length; j++) {
      const pieces = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
      assert.deepEqual(streamResult(pieces), { failedAt: -1, ended: true }, `at ${i},${j}`);
    }
  }
  assert.deepEqual(streamResult([...bytes].map((b) => Buffer.from([b]))), { failedAt: -1, ended: true });
});

test('stream validator fails at the first piece that makes the prefix invalid, for every split point', () => {
  for (const [name, vector] of Object.entries(INVALID)) {
    for (const prefix of ['', '41', 'e2 82 ac', 'f0 9f 92 a9']) {
      const bytes = Buffer.concat([hex(prefix), hex(vector), hex('42 43')]);
      const bad = referenceFirstBad(bytes);
      for (let i = 0; i <= bytes.length; i++) {
        const result = streamResult([bytes.subarray(0, i), bytes.subarray(i)]);
        if (bad === -1) {
          // Only truncated vectors (followed by ASCII they are not truncated any more... unless bad) end up here.
          assert.equal(result.failedAt, -1, `${name} at ${i}`);
          continue;
        }
        assert.equal(result.failedAt, bad < i ? 0 : 1, `${name} with prefix ${prefix} split at ${i}`);
      }
      const bytewise = streamResult([...bytes].map((b) => Buffer.from([b])));
      assert.equal(bytewise.failedAt, bad, `${name} one byte at a time`);
    }
  }
});

test('stream validator: end() is false for an incomplete last sequence and resets the state', () => {
  const validator = new Utf8StreamValidator();
  assert.equal(validator.push(hex('41 f0 9f')), true);
  assert.equal(validator.push(hex('98')), true);
  assert.equal(validator.end(), false);
  // After end() the carried bytes are gone: a fresh sequence validates on its own.
  assert.equal(validator.push(hex('80')), false);
  const again = new Utf8StreamValidator();
  assert.equal(again.push(hex('e2')), true);
  assert.equal(again.end(), false);
  assert.equal(again.push(hex('41')), true);
  assert.equal(again.end(), true);
});

test('stream validator: empty pieces change nothing; a carried sequence completed across several pieces', () => {
  const validator = new Utf8StreamValidator();
  const empty = Buffer.alloc(0);
  assert.equal(validator.push(empty), true);
  assert.equal(validator.push(hex('f0')), true);
  assert.equal(validator.push(empty), true);
  assert.equal(validator.push(hex('9f')), true);
  assert.equal(validator.push(hex('98')), true);
  assert.equal(validator.push(hex('80 41 c3')), true);
  assert.equal(validator.push(hex('a9')), true);
  assert.equal(validator.end(), true);
});

test('stream validator: a carried lead followed by a bad byte fails in the piece that brings it', () => {
  for (const [first, second] of [
    ['e2', '28'],
    ['e0', '80'],
    ['ed', 'a0'],
    ['f4', '90'],
    ['f0 9f', '41'],
    ['c3', 'c3']
  ]) {
    const validator = new Utf8StreamValidator();
    assert.equal(validator.push(hex(first)), true, first);
    assert.equal(validator.push(hex(second)), false, `${first} | ${second}`);
  }
});

test('stream validator agrees with the reference on random mixes of valid and broken text (seeded, 400 cases)', () => {
  const random = createRandom(0x07f8);
  const parts = ['41', 'c3 a9', 'e2 82 ac', 'f0 9f 92 a9', 'ed 9f bf', 'f4 8f bf bf'].map(hex);
  const broken = ['80', 'c0 af', 'ed b0 80', 'f4 90 80 80', 'ff', 'e2 82'].map(hex);
  for (let n = 0; n < 400; n++) {
    const list = [];
    const count = random.int(0, 12);
    for (let k = 0; k < count; k++) list.push(random.bool(0.08) ? random.pick(broken) : random.pick(parts));
    const bytes = Buffer.concat(list);
    const pieces = [];
    let at = 0;
    while (at < bytes.length) {
      const size = random.int(0, 5);
      pieces.push(bytes.subarray(at, at + size));
      at += size;
    }
    const bad = referenceFirstBad(bytes);
    const result = streamResult(pieces);
    if (bad === -1) {
      assert.deepEqual(result, { failedAt: -1, ended: referenceValid(bytes) }, bytes.toString('hex'));
    } else {
      // The failing piece is the one holding byte `bad`.
      let end = 0;
      let expected = -1;
      for (let i = 0; i < pieces.length; i++) {
        end += pieces[i].length;
        if (bad < end) {
          expected = i;
          break;
        }
      }
      assert.equal(result.failedAt, expected, bytes.toString('hex'));
    }
  }
});
