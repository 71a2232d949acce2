// The server side of cross-process topics, over the in-memory adapter (helpers/memory-pubsub.mjs) so that loss,
// duplication and timing can be controlled: local delivery at once and no self-echo, gaps reported with the exact
// count, duplicates dropped, broker channels joined on 0→1 and left on 1→0 after the linger, one frame (one deflate)
// for all subscribers of a receiving server, and shutdown leaving nothing behind.
import test from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import diagnostics from 'node:diagnostics_channel';
import { MemoryBus, MemoryPubSub } from './helpers/memory-pubsub.mjs';
import { WebSocketServer, openClient, onceEvent, rawUpgrade, rawFrames, withTimeout } from '../features/helpers.mjs';

const T = { timeout: 15000 };

async function servers(t, bus, count, options = {}) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const pubsub = new MemoryPubSub(bus);
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', pubsub, ...options });
    wss.on('connection', (ws, req) => {
      for (const topic of new URL(req.url, 'http://x').searchParams.getAll('t')) ws.subscribe(topic);
    });
    t.after(() => wss.shutdown({ timeout: 100 }));
    await onceEvent(wss, 'listening');
    list.push(wss);
  }
  return list;
}

/** A client subscribed to `topics` (after the server saw it), recording what it receives. */
async function subscriber(t, wss, topics, options = {}) {
  const accepted = onceEvent(wss, 'connection');
  const ws = await openClient(t, wss, options, `/?${topics.map((topic) => `t=${encodeURIComponent(topic)}`).join('&')}`);
  const [server] = await accepted;
  const got = [];
  ws.on('message', (data, isBinary) => got.push([Buffer.from(data).toString(), isBinary]));
  return { ws, server, got, count: (n) => withTimeout(waitFor(() => got.length >= n), `${n} messages`) };
}

async function waitFor(check) {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test('local subscribers get a message at once; other servers once; the origin never twice', T, async (t) => {
  const bus = new MemoryBus();
  const [a, b] = await servers(t, bus, 2);
  const onA = await subscriber(t, a, ['room']);
  const onB = await subscriber(t, b, ['room']);
  assert.match(a.nodeId, /^[0-9a-f]{12}$/);
  assert.notEqual(a.nodeId, b.nodeId);
  assert.deepEqual(a.publish('room', 'hello'), { written: 1, queued: 0, dropped: 0 });
  b.publish('room', Buffer.from([1, 2, 3]));
  a.publish('room', 'second', { binary: true });
  await Promise.all([onA.count(3), onB.count(3)]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Local ones synchronously, the remote one when it arrives.
  assert.deepEqual(onA.got, [['hello', false], ['second', true], ['\u0001\u0002\u0003', true]]);
  assert.deepEqual(onB.got, [['\u0001\u0002\u0003', true], ['hello', false], ['second', true]]);
  assert.equal(a._pubsub.reporter.counters.published, 2);
  assert.equal(b._pubsub.reporter.counters.delivered, 2);
});

test('a lost message is a pubsubGap with the origin and the exact count; duplicates are dropped', T, async (t) => {
  const bus = new MemoryBus();
  const [a, b] = await servers(t, bus, 2);
  const onB = await subscriber(t, b, ['g']);
  let n = 0;
  bus.faults = (topic, envelope) => {
    n++;
    if (n === 3 || n === 4 || n === 7) return []; // lost
    if (n === 5) return [envelope, envelope]; // delivered twice
    return [envelope];
  };
  const gaps = [];
  b.on('pubsubGap', (gap) => gaps.push(gap));
  const published = [];
  const onChannel = (message) => published.push(message);
  diagnostics.subscribe('sockwire:pubsub:gap', onChannel);
  t.after(() => diagnostics.unsubscribe('sockwire:pubsub:gap', onChannel));
  for (let i = 1; i <= 10; i++) a.publish('g', `m${i}`);
  await onB.count(7);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(onB.got.map(([text]) => text), ['m1', 'm2', 'm5', 'm6', 'm8', 'm9', 'm10']);
  assert.deepEqual(gaps, [
    { topic: 'g', node: a.nodeId, missed: 2 },
    { topic: 'g', node: a.nodeId, missed: 1 }
  ]);
  assert.deepEqual({ ...b._pubsub.reporter.counters }, { published: 0, delivered: 7, missed: 3, duplicates: 1, dropped: 0, errors: 0 });
  // The same events in wss.stats() and on the sockwire:pubsub:gap channel (issue 17's observability).
  assert.deepEqual(b.stats().pubsub, { published: 0, delivered: 7, gaps: 2, state: 'ready' });
  assert.equal(a.stats().pubsub.published, 10);
  assert.deepEqual(
    published.map(({ server, ...gap }) => [server === b, gap]),
    [
      [true, { topic: 'g', origin: a.nodeId, expected: 3, received: 5 }],
      [true, { topic: 'g', origin: a.nodeId, expected: 7, received: 8 }]
    ]
  );
});

test('channels are joined on the first local subscriber and left after the linger when the last one goes', T, async (t) => {
  const bus = new MemoryBus();
  const [a] = await servers(t, bus, 1);
  const one = await subscriber(t, a, ['x']);
  const two = await subscriber(t, a, ['x', 'y']);
  assert.deepEqual(bus.calls, [['subscribe', 'x'], ['subscribe', 'y']]);
  const started = Date.now();
  one.ws.close();
  two.ws.close();
  await withTimeout(waitFor(() => bus.calls.length === 4), 'unsubscribes', 15000);
  assert.ok(Date.now() - started >= 1000, 'left only after the linger');
  assert.deepEqual(bus.calls.slice(2).sort(), [['unsubscribe', 'x'], ['unsubscribe', 'y']]);
  // Leaving and coming back within the linger (here: in the same tick) does not touch the broker.
  const three = await subscriber(t, a, ['z']);
  assert.equal(three.server.unsubscribe('z'), true);
  assert.equal(a._hub.topics.size, 0);
  assert.equal(three.server.subscribe('z'), true);
  assert.deepEqual(bus.calls.slice(4), [['subscribe', 'z']]);
  three.ws.terminate();
});

test('a receiving server frames (and deflates) each message once for all its subscribers', T, async (t) => {
  const bus = new MemoryBus();
  const [a] = await servers(t, bus, 1);
  const [b] = await servers(t, bus, 1, { perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } });
  const extension = { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover' };
  const raws = [];
  for (let i = 0; i < 3; i++) {
    const accepted = onceEvent(b, 'connection');
    const raw = await rawUpgrade(t, b.address().port, extension);
    const [ws] = await accepted;
    ws.subscribe('d');
    raws.push(raw);
  }
  const plain = await subscriber(t, b, ['d']);
  let deflates = 0;
  const original = zlib.deflateRawSync;
  zlib.deflateRawSync = (...args) => {
    deflates++;
    return original(...args);
  };
  t.after(() => {
    zlib.deflateRawSync = original;
  });
  const text = 'across servers '.repeat(100);
  const frames = raws.map(({ socket, rest }) => rawFrames(socket, rest, 1));
  a.publish('d', text);
  const got = await Promise.all(frames);
  await plain.count(1);
  assert.equal(deflates, 1);
  for (const [frame] of got) {
    assert.equal(frame.rsv1, true);
    assert.equal(frame.opcode, 1);
    assert.deepEqual(frame.payload, got[0][0].payload);
  }
  assert.equal(zlib.inflateRawSync(Buffer.concat([got[0][0].payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString(), text);
  assert.deepEqual(plain.got, [[text, false]]);
  // compress: false crosses the broker too.
  const next = raws.map(({ socket }) => rawFrames(socket, Buffer.alloc(0), 1));
  a.publish('d', text, { compress: false });
  for (const [frame] of await Promise.all(next)) {
    assert.equal(frame.rsv1, false);
    assert.equal(frame.payload.toString(), text);
  }
});

test('messages from one broker burst leave each subscriber socket in one writev, in order', T, async (t) => {
  const bus = new MemoryBus();
  const [a, b] = await servers(t, bus, 2);
  const first = await subscriber(t, b, ['burst']);
  const second = await subscriber(t, b, ['burst']);
  // What reaches the kernel: net.Socket's _write (one buffer) and _writev (several), with the buffers they carry.
  const dispatches = [first, second].map(({ server }) => {
    const socket = server._socket;
    const seen = [];
    const write = socket._write;
    const writev = socket._writev;
    socket._write = function (chunk, encoding, callback) {
      seen.push(1);
      return write.call(this, chunk, encoding, callback);
    };
    socket._writev = function (chunks, callback) {
      seen.push(chunks.length);
      return writev.call(this, chunks, callback);
    };
    return seen;
  });
  // The memory bus hands each envelope over in its own microtask, all of them before the turn ends.
  for (let i = 1; i <= 5; i++) a.publish('burst', `m${i}`);
  await Promise.all([first.count(5), second.count(5)]);
  const expected = [1, 2, 3, 4, 5].map((i) => [`m${i}`, false]);
  assert.deepEqual(first.got, expected);
  assert.deepEqual(second.got, expected);
  assert.deepEqual(dispatches, [[5], [5]]);
  // A big frame (header and payload as two buffers) joins the same writev, in its place.
  const big = 'x'.repeat(4096);
  a.publish('burst', 's1');
  a.publish('burst', big);
  a.publish('burst', 's2');
  a.publish('burst', 's3');
  await first.count(9);
  assert.deepEqual(first.got.slice(5).map(([text]) => text), ['s1', big, 's2', 's3']);
  assert.deepEqual(dispatches[0], [5, 5]);
  // A local publish is written at once, as before: its counts stay exact.
  assert.deepEqual(b.publish('burst', 'local'), { written: 2, queued: 0, dropped: 0 });
  assert.deepEqual(dispatches[0], [5, 5, 1]);
});

test('bad envelopes are a pubsubError (WS_ERR_PUBSUB_ENVELOPE), never a throw; events need no listener', T, async (t) => {
  const bus = new MemoryBus();
  const [b] = await servers(t, bus, 1);
  const onB = await subscriber(t, b, ['e']);
  const raw = new MemoryPubSub(bus);
  t.after(() => raw.close());
  const errors = [];
  raw.publish('e', Buffer.from('not an envelope'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  b.on('pubsubError', (error) => errors.push(error.code));
  const invalidText = Buffer.alloc(17);
  invalidText[0] = 1;
  invalidText.writeUIntBE(5, 2, 6);
  invalidText[16] = 0xff; // a text message that is not UTF-8
  raw.publish('e', invalidText);
  await withTimeout(waitFor(() => errors.length === 1), 'pubsubError');
  assert.deepEqual(errors, ['WS_ERR_PUBSUB_ENVELOPE']);
  assert.equal(onB.got.length, 0);
  assert.equal(b._pubsub.reporter.counters.errors, 2);
  assert.throws(() => new WebSocketServer({ noServer: true, pubsub: {} }), { name: 'TypeError', message: 'The "pubsub" option must be a PubSubAdapter' });
});

test('shutdown() closes the adapter and clears the linger timers', T, async (t) => {
  const bus = new MemoryBus();
  const pubsub = new MemoryPubSub(bus);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', pubsub });
  await onceEvent(wss, 'listening');
  wss.on('connection', (ws) => ws.subscribe('s'));
  const ws = await openClient(t, wss);
  await withTimeout(waitFor(() => bus.calls.length === 1), 'subscribed');
  let closed = 0;
  pubsub.on('close', () => closed++);
  const before = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
  const result = await wss.shutdown({ timeout: 1000 });
  assert.deepEqual(result, { total: 1, closed: 1, terminated: 0 });
  assert.equal(closed, 1);
  assert.equal(wss.stats().pubsub.state, 'closed');
  assert.equal(pubsub.listenerCount('message') + pubsub.listenerCount('error') + pubsub.listenerCount('ready'), 0);
  assert.ok(process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length <= before);
  assert.equal(wss.publish('s', 'after').written, 0);
  ws.terminate();
});
