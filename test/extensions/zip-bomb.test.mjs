// The inflate size guard: a 1 GiB "zip bomb" (about 1 MB on the wire) must stop with 1009 as soon as the output
// passes maxPayload, as one message or as 10,000 fragments, without memory growing anywhere near 1 GiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { constants, inflateRawSync } from 'node:zlib';
import { zipBomb } from '../helpers/zip-bomb.mjs';

const require = createRequire(import.meta.url);
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');

const MiB = 1 << 20;
/** Generous bound on RSS growth: maxPayload (1 MiB) plus zlib state and GC slack — 1/16 of the bomb. */
const RSS_BOUND = 64 * MiB;

function decompress(ext, data, fin) {
  return new Promise((resolve) => ext.decompress(data, fin, (error, out) => resolve({ error, out })));
}

/** Run `fn` while sampling RSS; returns its result and the peak growth over the starting RSS. */
async function withPeakRss(fn) {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

test('the bomb construction is sound: 4 copies inflate to exactly 4 MiB of zeros', async () => {
  const small = await zipBomb(4);
  const out = inflateRawSync(Buffer.concat([small, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
  assert.equal(out.length, 4 * MiB);
  assert.equal(out.indexOf(1), -1);
});

test('1 GiB of zeros as one message, maxPayload 1 MiB: RangeError 1009, memory stays bounded', async () => {
  const bomb = await zipBomb(1024);
  assert.ok(bomb.length < 1.1 * MiB, `bomb is ${bomb.length} bytes`);
  const ext = new PerMessageDeflate({ maxPayload: MiB });
  ext.accept([{}]);
  const { result, growth } = await withPeakRss(() => decompress(ext, bomb, true));
  assert.ok(result.error instanceof RangeError);
  assert.equal(result.error.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.equal(result.error.message, 'Max payload size exceeded');
  assert.equal(result.error.closeCode, 1009);
  assert.equal(result.out, undefined);
  assert.ok(growth < RSS_BOUND, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
  // The guard leaves the instance usable for a new message.
  const next = await decompress(ext, Buffer.from('f248cdc9c90700', 'hex'), true);
  assert.equal(next.out.toString(), 'Hello');
  ext.cleanup();
});

test('the same bomb as 10,000 fragments: stops at the fragment that passes 1 MiB in total', async () => {
  const bomb = await zipBomb(1024);
  const ext = new PerMessageDeflate({ maxPayload: MiB, isServer: true });
  ext.accept([{}]);
  const count = 10000;
  const size = Math.ceil(bomb.length / count);
  const { result, growth } = await withPeakRss(async () => {
    let delivered = 0;
    // Like a receiver: the next fragment goes in only after the previous one inflated.
    for (let i = 0; i < count; i++) {
      const fin = i === count - 1;
      const { error, out } = await decompress(ext, bomb.subarray(i * size, (i + 1) * size), fin);
      if (error) return { error, index: i, delivered };
      delivered += out.length;
    }
    return { index: count, delivered };
  });
  assert.equal(result.error?.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.equal(result.error.closeCode, 1009);
  assert.ok(result.delivered <= MiB, `delivered ${result.delivered}`);
  assert.ok(result.index < 100, `stopped at fragment ${result.index}`);
  assert.ok(growth < RSS_BOUND, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
  ext.cleanup();
});

test('without maxPayload (0) the output is not limited (a 64 MiB message inflates fully)', async () => {
  const bomb = await zipBomb(64);
  const ext = new PerMessageDeflate();
  ext.accept([{}]);
  const { error, out } = await decompress(ext, bomb, true);
  assert.equal(error, null);
  assert.equal(out.length, 64 * MiB);
  ext.cleanup();
});
