// zlibIdleTimeout through the public API: a sockwire server closes both of its zlib streams while idle, keeps their
// windows, and the next message goes out exactly as if nothing had been closed (raw frame bytes on the ws client's
// socket); the ws client, which kept its own streams, inflates it, and the server inflates the client's next
// message, which refers back to the first one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { trackZlibStreams } from '../helpers/zlib-streams.mjs';

const require = createRequire(import.meta.url);
const sockwire = require('../../dist/cjs/index.js');
const ws = require('ws');

const zlibStreams = trackZlibStreams();
// RFC 7692 §7.2.3.1 / §7.2.3.2 in a server frame: FIN + RSV1 + text, length, payload.
const FRESH = Buffer.from('c107f248cdc9c90700', 'hex');
const REFERENCE = Buffer.from('c105f200110000', 'hex');

/** Race `promise` against a bounded, ref'd timer (the idle timer itself is unref'd). */
function bounded(promise, label, ms = 10000) {
  let timer;
  const guard = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Resolves once `count` of `streams` have emitted 'close'. */
function closeOf(streams, count) {
  let closed = 0;
  return new Promise((resolve) => {
    if (count <= 0) resolve();
    for (const stream of streams) stream.once('close', () => ++closed === count && resolve());
  });
}

/**
 * Two echoes of "Hello" from a ws client through a sockwire server, with `pause` run between them. Returns the raw
 * server frames and how many of the four zlib streams of the session (each side's deflater and inflater) were
 * still open after the pause.
 */
async function echoSession(zlibIdleTimeout, pause) {
  const perMessageDeflate = { threshold: 0, ...(zlibIdleTimeout === undefined ? {} : { zlibIdleTimeout }) };
  const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  await once(wss, 'listening');
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  const client = new ws.WebSocket(`ws://127.0.0.1:${wss.address().port}/`, { perMessageDeflate: { threshold: 0 } });
  await bounded(once(client, 'open'), 'open');
  const raw = [];
  client._socket.on('data', (chunk) => raw.push(chunk));
  const frames = [];
  const echo = async () => {
    const start = Buffer.concat(raw).length;
    const received = bounded(once(client, 'message'), 'echo');
    client.send('Hello');
    const [data] = await received;
    assert.equal(data.toString(), 'Hello');
    frames.push(Buffer.concat(raw).subarray(start));
  };
  const before = new Set(zlibStreams.open);
  await echo();
  const session = [...zlibStreams.open].filter((stream) => !before.has(stream));
  await pause(session);
  const openAfterPause = session.filter((stream) => zlibStreams.open.has(stream)).length;
  await echo();
  client.close();
  await bounded(once(client, 'close'), 'close');
  await new Promise((resolve) => wss.close(resolve));
  return { frames, openAfterPause };
}

test('after an idle release the server reopens both streams from their windows: the same bytes as a kept context', async () => {
  // The ws client never releases, so the two streams that close are the server's deflater and inflater. On a slow
  // machine some may have closed before the first echo resolved: wait only for those still open.
  const { frames, openAfterPause } = await echoSession(5, async (session) => {
    const stillOpen = session.filter((stream) => zlibStreams.open.has(stream));
    await bounded(closeOf(stillOpen, stillOpen.length - 2), 'idle release');
  });
  assert.equal(openAfterPause, 2);
  assert.deepEqual(frames, [FRESH, REFERENCE]);
});

test('zlibIdleTimeout 0 never closes a stream (ws behaviour)', async () => {
  const { frames, openAfterPause } = await echoSession(0, () => delay(100));
  assert.equal(openAfterPause, 4);
  assert.deepEqual(frames, [FRESH, REFERENCE]);
});

test('by default the streams outlive a short pause (the default delay is 10 s)', async () => {
  const { frames, openAfterPause } = await echoSession(undefined, () => delay(100));
  assert.equal(openAfterPause, 4);
  assert.deepEqual(frames, [FRESH, REFERENCE]);
});
