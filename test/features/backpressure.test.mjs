// Back-pressure: with maxBackpressure a slow reader never makes the server hold more than the limit plus one
// message; send() reports written / queued / dropped; 'drain' fires once the buffer empties; nothing accepted is
// lost; closeOnBackpressureLimit closes with 1008 instead of dropping.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openClient, onceEvent, nextEvent, withTimeout } from './helpers.mjs';

const T = { timeout: 20000 };
const LIMIT = 64 * 1024;
const SIZE = 16 * 1024;
/** Upper bound of sends in one test: far beyond what loopback kernel buffers absorb (a few MiB). */
const MAX_SENDS = 4000;

function message(index) {
  const data = Buffer.alloc(SIZE, index & 0xff);
  data.writeUInt32BE(index, 0);
  return data;
}

/** Send as fast as possible to a paused reader until `stopAfterDrops` sends were dropped (bounded). */
function flood(ws, stopAfterDrops) {
  const statuses = [];
  let maxBuffered = 0;
  let drops = 0;
  for (let i = 0; i < MAX_SENDS && drops < stopAfterDrops; i++) {
    const status = ws.send(message(i));
    statuses.push(status);
    if (status === 'dropped') drops++;
    maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
  }
  return { statuses, maxBuffered };
}

/** Collect `count` messages on `client` (bounded). */
function collect(client, count) {
  const received = [];
  return withTimeout(
    new Promise((resolve) => {
      client.on('message', (data) => {
        received.push(data.readUInt32BE(0));
        if (received.length === count) resolve(received);
      });
    }),
    `${count} messages`,
    10000,
  );
}

test('slow reader: memory stays within limit + one message, nothing accepted is lost, then drain', T, async (t) => {
  const wss = await startServer(t, { maxBackpressure: LIMIT });
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  client.pause();
  const { statuses, maxBuffered } = flood(ws, 20);
  assert.ok(maxBuffered <= LIMIT + SIZE, `held ${maxBuffered} bytes`);
  // Order of outcomes: written while the kernel takes it, then queued, then dropped once the limit is reached.
  const firstQueued = statuses.indexOf('queued');
  const firstDropped = statuses.indexOf('dropped');
  assert.ok(firstQueued > 0 && firstDropped > firstQueued, `queued at ${firstQueued}, dropped at ${firstDropped}`);
  assert.ok(statuses.slice(0, firstQueued).every((s) => s === 'written'));
  assert.deepEqual(new Set(statuses), new Set(['written', 'queued', 'dropped']));
  const expected = statuses.flatMap((status, index) => (status === 'dropped' ? [] : [index]));
  const drained = nextEvent(ws, 'drain', 10000);
  const received = collect(client, expected.length);
  client.resume();
  assert.deepEqual(await received, expected);
  await drained;
  assert.equal(ws.bufferedAmount, 0);
  assert.equal(ws.send('after drain'), 'written');
});

test('a dropped send calls back with WS_ERR_BACKPRESSURE_LIMIT; without the option send() returns undefined', T, async (t) => {
  const wss = await startServer(t, { maxBackpressure: 1 });
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  client.pause();
  let status;
  for (let i = 0; i < MAX_SENDS && status !== 'queued'; i++) status = ws.send(message(i));
  assert.equal(status, 'queued');
  const error = await withTimeout(new Promise((resolve) => assert.equal(ws.send('x', resolve), 'dropped')), 'callback');
  assert.equal(error.code, 'WS_ERR_BACKPRESSURE_LIMIT');
  assert.equal(error.message, 'Message dropped: the back-pressure limit is reached');

  const plain = await startServer(t);
  const acceptedPlain = onceEvent(plain, 'connection');
  await openClient(t, plain);
  const [other] = await acceptedPlain;
  assert.equal(other.send('x'), undefined);
});

test('closeOnBackpressureLimit closes a slow reader with 1008 after what was accepted', T, async (t) => {
  const wss = await startServer(t, { maxBackpressure: LIMIT, closeOnBackpressureLimit: true });
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  client.pause();
  const { statuses, maxBuffered } = flood(ws, 1);
  assert.equal(statuses.at(-1), 'dropped');
  assert.ok(maxBuffered <= LIMIT + SIZE + 64, `held ${maxBuffered} bytes`);
  assert.equal(ws.readyState, 2);
  // Later sends are refused as well.
  assert.equal(ws.send('late'), 'dropped');
  const expected = statuses.length - 1;
  const received = [];
  client.on('message', (data) => received.push(data.readUInt32BE(0)));
  const clientClosed = nextEvent(client, 'close', 10000);
  const serverClosed = nextEvent(ws, 'close', 10000);
  client.resume();
  const [code, reason] = await clientClosed;
  assert.equal(code, 1008);
  assert.equal(reason.toString(), 'Back-pressure limit exceeded');
  assert.deepEqual(received, Array.from({ length: expected }, (_, i) => i));
  assert.equal((await serverClosed)[0], 1008);
});
