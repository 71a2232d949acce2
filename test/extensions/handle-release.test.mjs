// cleanup() releases the zlib handles: 10,000 create/use/cleanup cycles leave no zlib stream open and RSS flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const zlib = require('node:zlib');
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');

const MiB = 1 << 20;
const HELLO = Buffer.from('f248cdc9c90700', 'hex');

// Count the raw zlib streams that get used (every use goes through _transform) and watch each for its 'close'.
const open = new Set();
const seen = new WeakSet();
let created = 0;
for (const Stream of [zlib.DeflateRaw, zlib.InflateRaw]) {
  const original = Stream.prototype._transform;
  Stream.prototype._transform = function (...args) {
    if (!seen.has(this)) {
      seen.add(this);
      created += 1;
      open.add(this);
      this.once('close', () => open.delete(this));
    }
    return original.apply(this, args);
  };
}

/** 'close' is emitted on a later tick; wait a bounded number of turns for it. */
async function settle() {
  for (let turn = 0; turn < 100 && open.size > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function cycle(keep) {
  const ext = new PerMessageDeflate();
  ext.params = {};
  const out = await new Promise((resolve) => ext.compress(Buffer.from('Hello'), true, (_e, r) => resolve(r)));
  assert.deepEqual(out, HELLO);
  const back = await new Promise((resolve) => ext.decompress(HELLO, true, (_e, r) => resolve(r)));
  assert.equal(back.toString(), 'Hello');
  if (keep) return ext;
  ext.cleanup();
  return undefined;
}

test('control: each used instance holds one deflate and one inflate stream until cleanup', async () => {
  const before = created;
  const kept = [];
  for (let i = 0; i < 20; i++) kept.push(await cycle(true));
  await settle();
  assert.equal(created - before, 40);
  assert.equal(open.size, 40);
  for (const ext of kept) ext.cleanup();
  await settle();
  assert.equal(open.size, 0);
});

test('10,000 open/use/cleanup cycles: every zlib stream is closed, RSS stays flat', async () => {
  const before = created;
  for (let i = 0; i < 2000; i++) await cycle(false); // warm-up: heap and allocator reach a steady state
  await settle();
  const rssAfterWarmUp = process.memoryUsage().rss;
  for (let i = 0; i < 8000; i++) await cycle(false);
  await settle();
  assert.equal(created - before, 20000);
  assert.equal(open.size, 0);
  const growth = process.memoryUsage().rss - rssAfterWarmUp;
  assert.ok(growth < 32 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB over 8,000 cycles`);
});

test('streams dropped by errors (zlib error, size guard, final block) are closed too', async () => {
  const ext = new PerMessageDeflate({ maxPayload: 4 });
  ext.params = {};
  const run = (hex) => new Promise((resolve) => ext.decompress(Buffer.from(hex, 'hex'), true, (e) => resolve(e)));
  assert.equal((await run('ffffffff'))?.code, 'Z_DATA_ERROR');
  assert.equal((await run('f248cdc9c90700'))?.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.equal(await run('0300'), null); // an empty final block: the ended stream is replaced
  await settle();
  assert.equal(open.size, 0);
  ext.cleanup();
});
