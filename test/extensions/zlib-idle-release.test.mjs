// zlibIdleTimeout: an idle compressor is closed and the next message starts from an empty window (RFC 7692 §7.1.1),
// which every inflater that kept its window still decodes; an idle decompressor is closed only when the peer resets
// its own context, never when the peer may still refer to earlier messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { trackZlibStreams } from '../helpers/zlib-streams.mjs';

const require = createRequire(import.meta.url);
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');
const WsPerMessageDeflate = require('ws').PerMessageDeflate;

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello" alone, and "Hello" again referring to the first one.
const HELLO = hex('f2 48 cd c9 c9 07 00');
const HELLO_AGAIN = hex('f2 00 11 00 00');

const zlibStreams = trackZlibStreams();

function compress(ext, data, fin = true) {
  return new Promise((resolve, reject) => ext.compress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
}

function decompress(ext, data, fin = true) {
  return new Promise((resolve, reject) => ext.decompress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * Resolves on `stream`'s 'close'. The idle timer is unref'd (an idle connection must not keep a process alive), so a
 * ref'd timer keeps this test's event loop running meanwhile and bounds the wait.
 */
async function closed(stream) {
  if (!zlibStreams.open.has(stream)) return; // closed already (the tracker saw its 'close')
  let timer;
  const limit = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the zlib stream was not closed within 5 s')), 5000);
  });
  try {
    await Promise.race([once(stream, 'close'), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The zlib streams opened by `work` (by identity), once it has run. */
async function streamsOpenedBy(work) {
  const before = new Set(zlibStreams.open);
  await work();
  return [...zlibStreams.open].filter((stream) => !before.has(stream));
}

test('an idle compressor is closed; the next message starts from an empty window and ws still inflates all', async () => {
  const ours = new PerMessageDeflate({ zlibIdleTimeout: 5 });
  ours.params = {};
  const wsPeer = new WsPerMessageDeflate({ isServer: true });
  wsPeer.params = {};
  const [deflater] = await streamsOpenedBy(async () => assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO));
  assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO_AGAIN, 'busy: the context is kept');
  assert.ok(deflater !== undefined && zlibStreams.open.has(deflater));
  await closed(deflater);
  // A fresh context: the same bytes as the very first message, not a reference to it.
  const third = await compress(ours, Buffer.from('Hello'));
  assert.deepEqual(third, HELLO);
  for (const frame of [HELLO, HELLO_AGAIN, third]) assert.deepEqual(await decompress(wsPeer, frame), Buffer.from('Hello'));
  ours.cleanup();
  wsPeer.cleanup();
});

test('a fragmented message is never cut: the compressor waits for the message to end', async () => {
  const ours = new PerMessageDeflate({ zlibIdleTimeout: 1 });
  ours.params = {};
  const reader = new PerMessageDeflate({ isServer: true });
  reader.params = {};
  const [deflater] = await streamsOpenedBy(async () => compress(ours, Buffer.from('Hel'), false));
  // Let timers run well past the timeout while the message is half sent: a second timer that is armed after the
  // first fragment fires after the compressor's would have.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(zlibStreams.open.has(deflater), 'still open in the middle of a message');
  const tail = await compress(ours, Buffer.from('lo'), true);
  assert.deepEqual(tail, hex('ca c9 07 00'));
  assert.deepEqual(await decompress(reader, hex('f2 48 cd 01 00 00 00 ff ff'), false), Buffer.from('Hel'));
  assert.deepEqual(await decompress(reader, tail, true), Buffer.from('lo'));
  await closed(deflater);
  ours.cleanup();
  reader.cleanup();
});

test('a decompressor keeps its window while the peer uses context takeover', async () => {
  const ours = new PerMessageDeflate({ isServer: true, zlibIdleTimeout: 5 });
  ours.params = {};
  const [inflater] = await streamsOpenedBy(async () => assert.deepEqual(await decompress(ours, HELLO), Buffer.from('Hello')));
  // The compressor's idle timer is armed after the decompressor's would have been, with the same delay, so once the
  // compressor has closed, a released decompressor would have closed too.
  const [deflater] = await streamsOpenedBy(async () => compress(ours, Buffer.from('Hello')));
  await closed(deflater);
  assert.ok(zlibStreams.open.has(inflater), 'the inflater is still open');
  assert.deepEqual(await decompress(ours, HELLO_AGAIN), Buffer.from('Hello'), 'the back-reference still resolves');
  ours.cleanup();
});

test('a decompressor is closed while idle when the peer resets its context (client_no_context_takeover)', async () => {
  const ours = new PerMessageDeflate({ isServer: true, zlibIdleTimeout: 5 });
  ours.params = { client_no_context_takeover: true };
  const [inflater] = await streamsOpenedBy(async () => assert.deepEqual(await decompress(ours, HELLO), Buffer.from('Hello')));
  await closed(inflater);
  assert.deepEqual(await decompress(ours, HELLO), Buffer.from('Hello'), 'a fresh inflater for the next message');
  ours.cleanup();
});

test('zlibIdleTimeout 0, negative, NaN or beyond the timer range: nothing is ever released (ws behaviour)', async () => {
  for (const zlibIdleTimeout of [0, -1, Number.NaN, 2 ** 31, undefined]) {
    const ours = new PerMessageDeflate({ zlibIdleTimeout });
    ours.params = {};
    assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO_AGAIN, String(zlibIdleTimeout));
    ours.cleanup();
  }
});
