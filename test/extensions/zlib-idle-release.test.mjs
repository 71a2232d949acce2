// zlibIdleTimeout: an idle zlib stream is closed and its memory given back. With context takeover the direction keeps
// its last window of bytes and the next stream starts from it (RFC 7692 §7.1.1), so the compressor still refers back
// and the decompressor still resolves the peer's back-references; without it the next stream starts empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import zlib from 'node:zlib';
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

test('an idle compressor is closed and reopened from its window: the next message refers back as a kept one does', async () => {
  const ours = new PerMessageDeflate({ zlibIdleTimeout: 5 });
  ours.params = {};
  const wsSender = new WsPerMessageDeflate({});
  wsSender.params = {};
  const wsPeer = new WsPerMessageDeflate({ isServer: true });
  wsPeer.params = {};
  const [deflater] = await streamsOpenedBy(async () => assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO));
  assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO_AGAIN, 'busy: the context is kept');
  assert.ok(deflater !== undefined && zlibStreams.open.has(deflater));
  await closed(deflater);
  const [reopened] = await streamsOpenedBy(async () => {
    const third = await compress(ours, Buffer.from('Hello'));
    // ws's compressor, never closed, sends the same bytes for its third "Hello": a 10-byte back-reference.
    for (let i = 0; i < 2; i++) await compress(wsSender, Buffer.from('Hello'));
    assert.deepEqual(third, await compress(wsSender, Buffer.from('Hello')));
    assert.deepEqual(third, hex('02 13 00 00'));
    for (const frame of [HELLO, HELLO_AGAIN, third]) assert.deepEqual(await decompress(wsPeer, frame), Buffer.from('Hello'));
  });
  assert.ok(reopened !== undefined && reopened !== deflater, 'a new zlib stream');
  ours.cleanup();
  wsSender.cleanup();
  wsPeer.cleanup();
});

test('without context takeover an idle compressor is closed and reopened empty: the bytes do not change', async () => {
  const ours = new PerMessageDeflate({ zlibIdleTimeout: 5 });
  ours.params = { client_no_context_takeover: true };
  const [deflater] = await streamsOpenedBy(async () => assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO));
  assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO, 'each message starts empty');
  await closed(deflater);
  assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO);
  ours.cleanup();
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

test('an idle decompressor is closed and reopened from its window: the peer\'s back-reference still resolves', async () => {
  const ours = new PerMessageDeflate({ isServer: true, zlibIdleTimeout: 5 });
  ours.params = {};
  const [inflater] = await streamsOpenedBy(async () => assert.deepEqual(await decompress(ours, HELLO), Buffer.from('Hello')));
  await closed(inflater);
  const [reopened] = await streamsOpenedBy(async () => {
    assert.deepEqual(await decompress(ours, HELLO_AGAIN), Buffer.from('Hello'), 'the back-reference resolves');
  });
  assert.ok(reopened !== undefined && reopened !== inflater, 'a new zlib stream');
  ours.cleanup();
});

test('a reopened decompressor takes its window back from a stored block, not a zlib dictionary', async () => {
  // Node keeps a copy of a `dictionary` option for the stream's whole life; a stored block (RFC 1951 §3.2.4) fills
  // the fresh inflater's window with the same bytes and leaves nothing behind.
  const inputs = new Map();
  const realTransform = zlib.InflateRaw.prototype._transform;
  zlib.InflateRaw.prototype._transform = function (chunk, ...rest) {
    if (!inputs.has(this)) inputs.set(this, Buffer.from(chunk));
    return realTransform.call(this, chunk, ...rest);
  };
  const ours = new PerMessageDeflate({ isServer: true, zlibIdleTimeout: 5 });
  ours.params = {};
  try {
    const [inflater] = await streamsOpenedBy(async () => assert.deepEqual(await decompress(ours, HELLO), Buffer.from('Hello')));
    await closed(inflater);
    const [reopened] = await streamsOpenedBy(async () => {
      assert.deepEqual(await decompress(ours, HELLO_AGAIN), Buffer.from('Hello'));
    });
    // BFINAL 0 and BTYPE 00 in one byte, LEN 5 and NLEN ~5 little-endian, then the window: "Hello".
    assert.deepEqual(inputs.get(reopened), Buffer.concat([hex('00 05 00 fa ff'), Buffer.from('Hello')]));
  } finally {
    zlib.InflateRaw.prototype._transform = realTransform;
    ours.cleanup();
  }
});

test('the window a reopened decompressor takes back does not count against maxPayload', async () => {
  const ours = new PerMessageDeflate({ isServer: true, zlibIdleTimeout: 5 }, false, 8);
  ours.params = {};
  const [inflater] = await streamsOpenedBy(async () => assert.deepEqual(await decompress(ours, HELLO), Buffer.from('Hello')));
  await closed(inflater);
  // 5 bytes of window and a 5-byte message: 10 inflated bytes in all, but only the message's 5 are the message's.
  assert.deepEqual(await decompress(ours, HELLO_AGAIN), Buffer.from('Hello'));
  ours.cleanup();
});

test('an idle compressor keeps only its newest 4 KiB: a reopened one refers back within them, never further', async () => {
  const ours = new PerMessageDeflate({ zlibIdleTimeout: 5 });
  ours.params = {};
  const wsPeer = new WsPerMessageDeflate({ isServer: true });
  wsPeer.params = {};
  let seed = 99;
  const noise = Buffer.alloc(8192, 0).map(() => (seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 16);
  await idleRelease(async () => assert.deepEqual(await decompress(wsPeer, await compress(ours, noise)), noise));
  const recent = noise.subarray(8192 - 1024);
  const recentFrame = await compress(ours, recent);
  assert.ok(recentFrame.length < 16, `the last 1 KiB is one back-reference (${recentFrame.length} B)`);
  assert.deepEqual(await decompress(wsPeer, recentFrame), recent);
  // The first 1 KiB lies 8 KiB back: in the peer's window, but beyond what the compressor kept.
  const old = noise.subarray(0, 1024);
  const oldFrame = await compress(ours, old);
  assert.ok(oldFrame.length > 1000, `the first 1 KiB is sent as literals (${oldFrame.length} B)`);
  assert.deepEqual(await decompress(wsPeer, oldFrame), old);
  ours.cleanup();
  wsPeer.cleanup();
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
  for (const zlibIdleTimeout of [0, -1, Number.NaN, 2 ** 31]) {
    const ours = new PerMessageDeflate({ zlibIdleTimeout });
    ours.params = {};
    assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO_AGAIN, String(zlibIdleTimeout));
    ours.cleanup();
  }
});

test('zlibIdleTimeout left out: the idle timer is armed for 10 s, unref\'d', async () => {
  const delays = [];
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = (callback, delay, ...args) => {
    const timer = realSetTimeout(callback, delay, ...args);
    delays.push({ delay, timer });
    return timer;
  };
  const ours = new PerMessageDeflate({});
  ours.params = {};
  try {
    assert.deepEqual(await compress(ours, Buffer.from('Hello')), HELLO);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  const armed = delays.filter(({ delay }) => delay === 10000);
  assert.equal(armed.length, 1);
  assert.equal(armed[0].timer.hasRef(), false);
  ours.cleanup();
});

/** Deterministic JSON-like text, so that messages refer back to each other. */
function messages(count, minLength, maxLength) {
  const words = ['"id":', '"user"', '"name":', 'alpha', 'beta', 'gamma', 'delta', '{', '}', ',', '[', ']', 'true', 'null'];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const out = [];
  for (let i = 0; i < count; i++) {
    const length = minLength + (next() % (maxLength - minLength + 1));
    let text = '';
    while (text.length < length) text += words[next() % words.length] + (next() % 100);
    out.push(Buffer.from(text.slice(0, length)));
  }
  return out;
}

/** Waits (bounded) until the stream opened by this pipe is closed by its idle timer. */
async function idleRelease(work) {
  const [stream] = await streamsOpenedBy(work);
  if (stream !== undefined) await closed(stream);
}

for (const windowBits of [9, 15]) {
  const sizes = windowBits === 9 ? [60, 700] : [3000, 20000];
  test(`window bits ${windowBits}: a compressor released many times, with more traffic than its window, stays decodable`, async () => {
    const params = { client_max_window_bits: windowBits };
    const ours = new PerMessageDeflate({ zlibIdleTimeout: 5 });
    ours.params = params;
    const wsPeer = new WsPerMessageDeflate({ isServer: true });
    wsPeer.params = params;
    const all = messages(24, ...sizes);
    let total = 0;
    for (const [i, data] of all.entries()) {
      const send = async () => {
        const frame = await compress(ours, data);
        assert.ok(frame.length < data.length, `message ${i} is compressed`);
        assert.deepEqual(await decompress(wsPeer, frame), data, `message ${i}`);
      };
      total += data.length;
      if (i % 5 === 4) await idleRelease(send);
      else await send();
    }
    assert.ok(total > 4 * (1 << windowBits));
    ours.cleanup();
    wsPeer.cleanup();
  });

  test(`window bits ${windowBits}: a decompressor released many times inflates ws's context-taking messages exactly`, async () => {
    const params = { client_max_window_bits: windowBits };
    const ours = new PerMessageDeflate({ isServer: true, zlibIdleTimeout: 5 });
    ours.params = params;
    const wsSender = new WsPerMessageDeflate({});
    wsSender.params = params;
    for (const [i, data] of messages(24, ...sizes).entries()) {
      const frame = await compress(wsSender, data);
      // A message in two frames now and then: the release never falls between them.
      const receive = async () => {
        if (i % 3 === 1) {
          const cut = frame.length >> 1;
          const head = await decompress(ours, frame.subarray(0, cut), false);
          const tail = await decompress(ours, frame.subarray(cut), true);
          assert.deepEqual(Buffer.concat([head, tail]), data, `message ${i}`);
        } else {
          assert.deepEqual(await decompress(ours, frame), data, `message ${i}`);
        }
      };
      if (i % 5 === 4) await idleRelease(receive);
      else await receive();
    }
    ours.cleanup();
    wsSender.cleanup();
  });
}
