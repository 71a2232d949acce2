// WindowHistory: the ring of the last window of bytes a zlib direction keeps across an idle release. Checked against
// a plain model (the last `capacity` bytes of everything appended) through growth, wrapping, compaction and reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { WindowHistory } = require('../../dist/cjs/extensions/window-history.js');

/** Bytes 0, 1, 2, … (mod 251, so runs do not line up with power-of-two sizes) starting at `from`. */
function counting(from, length) {
  return Buffer.from(Array.from({ length }, (_, i) => (from + i) % 251));
}

test('an empty history holds nothing, and appending nothing keeps it so', () => {
  const history = new WindowHistory(1024);
  history.append(Buffer.alloc(0));
  assert.equal(history.length, 0);
  assert.deepEqual(history.contents(), Buffer.alloc(0));
});

test('bytes below the capacity are kept in order across appends', () => {
  const history = new WindowHistory(1024);
  history.append(Buffer.from('Hello, '));
  history.append(Buffer.from('world'));
  assert.equal(history.length, 12);
  assert.equal(history.contents().toString(), 'Hello, world');
});

test('past the capacity only the newest bytes stay, oldest first, across the wrap', () => {
  const history = new WindowHistory(512);
  let written = 0;
  for (const size of [100, 300, 200, 7, 511, 1, 333]) {
    history.append(counting(written, size));
    written += size;
    const held = Math.min(written, 512);
    assert.equal(history.length, held);
    assert.deepEqual(history.contents(), counting(written - held, held));
  }
});

test('one append of the capacity or more keeps its last capacity bytes', () => {
  const history = new WindowHistory(256);
  history.append(Buffer.from('old'));
  history.append(counting(0, 1000));
  assert.equal(history.length, 256);
  assert.deepEqual(history.contents(), counting(1000 - 256, 256));
});

test('compact keeps the bytes, and appends after it wrap correctly', () => {
  const history = new WindowHistory(512);
  history.append(counting(0, 400));
  history.append(counting(400, 300)); // wrapped: the ring starts mid-buffer
  history.compact();
  assert.deepEqual(history.contents(), counting(700 - 512, 512));
  history.append(counting(700, 50));
  assert.deepEqual(history.contents(), counting(750 - 512, 512));

  const small = new WindowHistory(32768);
  small.append(Buffer.from('abc'));
  small.compact();
  small.append(Buffer.from('def'));
  assert.equal(small.contents().toString(), 'abcdef');
});

test('clear forgets everything; the history then fills again from empty', () => {
  const history = new WindowHistory(512);
  history.append(counting(0, 600));
  history.clear();
  assert.equal(history.length, 0);
  assert.deepEqual(history.contents(), Buffer.alloc(0));
  history.append(Buffer.from('again'));
  assert.equal(history.contents().toString(), 'again');
});

test('contents is a copy: later appends do not change it', () => {
  const history = new WindowHistory(512);
  history.append(Buffer.from('first'));
  const snapshot = history.contents();
  history.append(Buffer.from('second'));
  assert.equal(snapshot.toString(), 'first');
});
