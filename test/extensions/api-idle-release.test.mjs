// zlibIdleTimeout through the public API: a sockwire server whose compressor was closed while idle sends the next
// message from an empty window (seen as raw frame bytes on the ws client's socket), and the ws client, which kept
// its window, inflates every message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { once } from 'node:events';
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

async function echoSession(zlibIdleTimeout) {
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
  if (zlibIdleTimeout !== undefined) {
    // The first echo uses four zlib streams (each side's deflater and inflater); only the server's deflater is
    // released. It may have closed already on a slow machine: then fewer than four are still open.
    const session = [...zlibStreams.open].filter((stream) => !before.has(stream));
    if (session.length === 4) await bounded(Promise.race(session.map((stream) => once(stream, 'close'))), 'idle release');
  }
  await echo();
  client.close();
  await bounded(once(client, 'close'), 'close');
  await new Promise((resolve) => wss.close(resolve));
  return frames;
}

test('after an idle release the server sends the next message from a fresh context; ws inflates it', async () => {
  assert.deepEqual(await echoSession(5), [FRESH, FRESH]);
});

test('without zlibIdleTimeout the context is kept (ws behaviour)', async () => {
  assert.deepEqual(await echoSession(undefined), [FRESH, REFERENCE]);
});
