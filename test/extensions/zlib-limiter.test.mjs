// The zlib concurrency limiter: FIFO order, the cap, release-once, ws's reading of odd limits, and its use by
// PerMessageDeflate across instances (process-wide, sized by the first instance).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const { ZlibLimiter, sharedZlibLimiter } = require('../../dist/cjs/extensions/zlib-limiter.js');
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');

test('jobs start in arrival order and never more than `concurrency` at once', () => {
  const limiter = new ZlibLimiter(2);
  const started = [];
  const releases = [];
  let running = 0;
  let peak = 0;
  for (let i = 0; i < 6; i++) {
    limiter.add((release) => {
      started.push(i);
      running += 1;
      peak = Math.max(peak, running);
      releases[i] = () => {
        running -= 1;
        release();
      };
    });
  }
  assert.deepEqual(started, [0, 1]);
  assert.equal(limiter.pending, 2);
  assert.equal(limiter.queued, 4);
  releases[1]();
  assert.deepEqual(started, [0, 1, 2]);
  releases[0]();
  assert.deepEqual(started, [0, 1, 2, 3]);
  for (const i of [3, 2, 4, 5]) releases[i]();
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(peak, 2);
  assert.equal(limiter.pending, 0);
  assert.equal(limiter.queued, 0);
});

test('a second release of the same job frees nothing more', () => {
  const limiter = new ZlibLimiter(1);
  const started = [];
  let first;
  limiter.add((release) => {
    started.push('a');
    first = release;
  });
  limiter.add(() => started.push('b')); // never released
  limiter.add(() => started.push('c'));
  first();
  first();
  assert.deepEqual(started, ['a', 'b']);
  assert.equal(limiter.pending, 1);
});

test('a job may release synchronously; thousands of jobs run without growing the queue', () => {
  const limiter = new ZlibLimiter(3);
  let count = 0;
  for (let i = 0; i < 5000; i++) limiter.add((release) => {
    count += 1;
    release();
  });
  assert.equal(count, 5000);
  assert.equal(limiter.pending, 0);
  assert.equal(limiter.queued, 0);
});

test('limits read like ws: 0, negative or NaN = no limit; fractions round up', () => {
  assert.equal(new ZlibLimiter(0).concurrency, Infinity);
  assert.equal(new ZlibLimiter(-1).concurrency, Infinity);
  assert.equal(new ZlibLimiter(Number.NaN).concurrency, Infinity);
  assert.equal(new ZlibLimiter(1.5).concurrency, 2);
  assert.equal(new ZlibLimiter(10).concurrency, 10);
  const open = new ZlibLimiter(0);
  let started = 0;
  for (let i = 0; i < 100; i++) open.add(() => (started += 1));
  assert.equal(started, 100);
});

function compress(ext, data, order, label) {
  return new Promise((resolve) =>
    ext.compress(data, true, (err, out) => {
      order.push(label);
      resolve(err ?? out);
    })
  );
}

test('PerMessageDeflate: one process-wide limiter sized by the first instance; it serialises instances', async () => {
  // This file runs in its own process, so this is the first PerMessageDeflate here.
  const a = new PerMessageDeflate({ concurrencyLimit: 1 });
  const b = new PerMessageDeflate({ concurrencyLimit: 50 });
  const limiter = sharedZlibLimiter(7);
  assert.equal(limiter.concurrency, 1);
  a.params = {};
  b.params = {};
  const order = [];
  // With one slot, b's tiny job waits for a's large one although zlib's thread pool could run both.
  const big = compress(a, randomBytes(4 << 20), order, 'big');
  const small = compress(b, Buffer.from('x'), order, 'small');
  assert.equal(limiter.pending, 1);
  assert.equal(limiter.queued, 1);
  await Promise.all([big, small]);
  assert.deepEqual(order, ['big', 'small']);
  assert.equal(limiter.pending, 0);
  a.cleanup();
  b.cleanup();
});

test('a job cancelled while waiting for a slot fails at once and gives its slot back when granted', async () => {
  const limiter = sharedZlibLimiter(1);
  const a = new PerMessageDeflate();
  const b = new PerMessageDeflate();
  const c = new PerMessageDeflate();
  for (const x of [a, b, c]) x.params = {};
  const order = [];
  const big = compress(a, randomBytes(4 << 20), order, 'a');
  const waiting = compress(b, Buffer.from('y'), order, 'b');
  assert.equal(limiter.queued, 1);
  b.cleanup();
  const cancelled = await waiting;
  assert.equal(cancelled.message, 'The deflate stream was closed while data was being processed');
  const after = compress(c, Buffer.from('Hello'), order, 'c');
  await Promise.all([big, after]);
  assert.deepEqual(order, ['b', 'a', 'c']);
  assert.deepEqual(await after, Buffer.from('f248cdc9c90700', 'hex'));
  assert.equal(limiter.pending, 0);
  assert.equal(limiter.queued, 0);
  for (const x of [a, b, c]) x.cleanup();
});
