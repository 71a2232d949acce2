// `for await (const { data, isBinary } of ws)`: order, types, the end at 'close', the socket's error rethrown,
// pause-when-behind back-pressure, and leaving the loop (which closes nothing and undoes our pause).
import test from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, delay, nextEvent, startServer } from './helpers.mjs';

const T = { timeout: 20000 };

/** A client; the servers below send at once, so loops start before 'open' to see every message. */
function client(t, wss, options) {
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}`, options);
  t.after(() => ws.terminate());
  return ws;
}

async function openClient(t, wss, options) {
  const ws = client(t, wss, options);
  await nextEvent(ws, 'open');
  return ws;
}

test('yields { data, isBinary } in order until close; text as a Buffer, binary per binaryType', T, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => {
    ws.send('one');
    ws.send(Buffer.from([1, 2]));
    ws.send('three', () => ws.close(1000));
  });
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  ws.binaryType = 'arraybuffer';
  // Iteration may start before the socket is open.
  const messages = [];
  for await (const message of ws) messages.push(message);
  assert.deepEqual(
    messages.map(({ data, isBinary }) => [isBinary, isBinary ? [...new Uint8Array(data)] : String(data)]),
    [[false, 'one'], [true, [1, 2]], [false, 'three']]
  );
  assert.ok(Buffer.isBuffer(messages[0].data));
  assert.ok(messages[1].data instanceof ArrayBuffer);
  assert.equal(ws.readyState, WebSocket.CLOSED);
  // A closed socket ends at once.
  for await (const message of ws) assert.fail(`unexpected ${message}`);
});

test('the socket\'s error is thrown at the end of the loop, after the messages that came before it', T, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => {
    ws.send('fine');
    // Invalid UTF-8 in a text frame: the client fails the connection with 1007 (RFC 6455 §8.1).
    ws._socket.write(Buffer.from([0x81, 0x02, 0xc3, 0x28]));
  });
  const ws = client(t, wss);
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const { data } of ws) seen.push(String(data));
    })(),
    { code: 'WS_ERR_INVALID_UTF8' }
  );
  assert.deepEqual(seen, ['fine']);
});

test('a loop that falls behind pauses the socket and resumes it once caught up; nothing is lost', T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: false });
  const count = 64;
  const size = 64 * 1024;
  wss.on('connection', (ws) => {
    for (let i = 0; i < count; i++) ws.send(Buffer.alloc(size, i));
    ws.close(1000);
  });
  const ws = client(t, wss, { perMessageDeflate: false });
  let pausedSeen = false;
  const firstBytes = [];
  for await (const { data } of ws) {
    firstBytes.push(data[0]);
    if (firstBytes.length > 20) continue;
    await delay(10);
    // Behind by more than the high-water mark (1 MiB = 16 messages here): paused until the loop takes one.
    pausedSeen ||= ws.isPaused;
  }
  assert.equal(ws.isPaused, false);
  assert.equal(pausedSeen, true, 'the socket was paused while the loop was behind');
  assert.deepEqual(firstBytes, [...Array(count).keys()]);
});

test('breaking out of the loop closes nothing, removes its listeners and undoes its pause', T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: false });
  wss.on('connection', (ws) => {
    for (let i = 0; i < 40; i++) ws.send(Buffer.alloc(64 * 1024, i));
  });
  const ws = await openClient(t, wss, { perMessageDeflate: false });
  const listeners = () => ['message', 'error', 'close'].map((name) => ws.listenerCount(name));
  const before = listeners();
  let first;
  for await (const message of ws) {
    first = message.data[0];
    // Fall behind long enough for the iterator to pause the socket, then leave.
    await delay(100);
    assert.equal(ws.isPaused, true);
    break;
  }
  assert.equal(first, 0);
  assert.equal(ws.readyState, WebSocket.OPEN);
  assert.equal(ws.isPaused, false);
  assert.deepEqual(listeners(), before);
  // The socket goes on delivering to ordinary listeners, and a new loop can start.
  await nextEvent(ws, 'message');
  const iterator = ws[Symbol.asyncIterator]();
  const { value, done } = await iterator.next();
  assert.equal(done, false);
  assert.ok(value.data[0] > 0);
  await iterator.return();
  assert.equal(ws.readyState, WebSocket.OPEN);
});
