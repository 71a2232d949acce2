// Broadcast and topics: exact frames on the wire, except/filter, ordering with send(), topics lifecycle, and
// permessage-deflate shared once (server_no_context_takeover) or per socket (context takeover).
import test from 'node:test';
import assert from 'node:assert/strict';
import { constants, inflateRawSync } from 'node:zlib';
import { startServer, openClient, onceEvent, rawUpgrade, rawFrames, withTimeout, WebSocket } from './helpers.mjs';

const T = { timeout: 10000 };

/** Open `count` sockwire clients and return them with their server-side sockets, in the same order. */
async function connectMany(t, wss, count, options) {
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const accepted = onceEvent(wss, 'connection');
    const client = await openClient(t, wss, options);
    const [server] = await accepted;
    pairs.push({ client, server });
  }
  return pairs;
}

/** Next `count` messages of `client` as [text, isBinary]. */
function nextMessages(client, count) {
  const got = [];
  return withTimeout(
    new Promise((resolve) => {
      const onMessage = (data, isBinary) => {
        got.push([Buffer.from(data).toString(), isBinary]);
        if (got.length === count) {
          client.off('message', onMessage);
          resolve(got);
        }
      };
      client.on('message', onMessage);
    }),
    'messages',
  );
}

test('broadcast writes the same exact frame to every client; except and filter exclude', T, async (t) => {
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const raw = await rawUpgrade(t, wss.address().port);
  await accepted;
  const pairs = await connectMany(t, wss, 3);
  const all = pairs.map(({ client }) => nextMessages(client, 1));
  const rawGot = rawFrames(raw.socket, raw.rest, 1);
  assert.deepEqual(wss.broadcast('hello'), { written: 4, queued: 0, dropped: 0 });
  for (const got of await Promise.all(all)) assert.deepEqual(got, [['hello', false]]);
  const [frame] = await rawGot;
  assert.deepEqual({ fin: frame.fin, rsv1: frame.rsv1, opcode: frame.opcode, payload: frame.payload.toString() }, {
    fin: true,
    rsv1: false,
    opcode: 1,
    payload: 'hello',
  });

  const excluded = pairs[0];
  const filtered = pairs[1];
  const seen = [];
  for (const [i, { client }] of pairs.entries()) client.on('message', (data, isBinary) => seen.push([i, data.toString(), isBinary]));
  const result = wss.broadcast(Buffer.from('bin'), { except: excluded.server, filter: (ws) => ws !== filtered.server });
  // The raw client and pairs[2] receive it.
  assert.deepEqual(result, { written: 2, queued: 0, dropped: 0 });
  const last = nextMessages(pairs[2].client, 1);
  assert.deepEqual(await last, [['bin', true]]);
  wss.broadcast('text as binary', { except: [excluded.server, filtered.server], binary: true });
  assert.deepEqual(await nextMessages(pairs[2].client, 1), [['text as binary', true]]);
  assert.deepEqual(seen, [
    [2, 'bin', true],
    [2, 'text as binary', true],
  ]);
});

test('broadcast keeps order with send() on each socket and skips closed sockets', T, async (t) => {
  const wss = await startServer(t);
  const [a, b] = await connectMany(t, wss, 2);
  const got = nextMessages(a.client, 3);
  a.server.send('1');
  wss.broadcast('2');
  a.server.send('3');
  assert.deepEqual(await got, [
    ['1', false],
    ['2', false],
    ['3', false],
  ]);
  b.server.close();
  assert.deepEqual(wss.broadcast('only a'), { written: 1, queued: 0, dropped: 0 });
  assert.deepEqual(await nextMessages(a.client, 1), [['only a', false]]);
});

test('topics: subscribe, publish, unsubscribe, topics list, cleanup on close', T, async (t) => {
  const wss = await startServer(t);
  const [a, b, c] = await connectMany(t, wss, 3);
  assert.equal(a.server.subscribe('news'), true);
  assert.equal(a.server.subscribe('news'), false);
  assert.equal(b.server.subscribe('news'), true);
  assert.equal(b.server.subscribe('sport'), true);
  assert.deepEqual(a.server.topics, ['news']);
  assert.deepEqual(b.server.topics, ['news', 'sport']);
  assert.deepEqual(c.server.topics, []);
  const seen = [];
  for (const [name, { client }] of [['a', a], ['b', b], ['c', c]]) client.on('message', (data) => seen.push(`${name}:${data}`));
  assert.deepEqual(wss.publish('news', 'n1'), { written: 2, queued: 0, dropped: 0 });
  assert.deepEqual(wss.publish('sport', 's1', { except: b.server }), { written: 0, queued: 0, dropped: 0 });
  assert.deepEqual(wss.publish('none', 'x'), { written: 0, queued: 0, dropped: 0 });
  assert.equal(a.server.unsubscribe('news'), true);
  assert.equal(a.server.unsubscribe('news'), false);
  wss.publish('news', 'n2');
  const closed = onceEvent(b.server, 'close');
  b.client.close();
  await closed;
  assert.deepEqual(b.server.topics, []);
  assert.deepEqual(wss.publish('news', 'n3'), { written: 0, queued: 0, dropped: 0 });
  // A marker through `c` proves the earlier frames were delivered (same server, sent before it).
  const marker = nextMessages(a.client, 1);
  a.server.send('end');
  await marker;
  assert.deepEqual(seen.sort(), ['a:end', 'a:n1', 'b:n1', 'b:n2']);
  assert.throws(() => a.client.subscribe('news'), { message: 'subscribe() is only available on sockets accepted by a WebSocketServer' });
  assert.throws(() => wss.broadcast(new Blob(['x'])), { name: 'TypeError' });
});

test('deflate without context takeover: compressed once, the same bytes to every client', T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } });
  const extension = { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover' };
  const rawA = await rawUpgrade(t, wss.address().port, extension);
  const rawB = await rawUpgrade(t, wss.address().port, extension);
  const [pair] = await connectMany(t, wss, 1);
  const text = 'sockwire '.repeat(300);
  const fromClient = nextMessages(pair.client, 1);
  const framesA = rawFrames(rawA.socket, rawA.rest, 1);
  const framesB = rawFrames(rawB.socket, rawB.rest, 1);
  assert.deepEqual(wss.broadcast(text), { written: 3, queued: 0, dropped: 0 });
  const [[a], [b]] = await Promise.all([framesA, framesB]);
  assert.equal(a.rsv1, true);
  assert.equal(a.opcode, 1);
  assert.ok(a.payload.length < text.length / 10);
  assert.deepEqual(a.payload, b.payload);
  // RFC 7692 §7.2.2: append 00 00 ff ff and inflate.
  assert.equal(inflateRawSync(Buffer.concat([a.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }).toString(), text);
  assert.deepEqual(await fromClient, [[text, false]]);
});

test('deflate with context takeover: each socket compresses with its own context', T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: { threshold: 0 } });
  const pairs = await connectMany(t, wss, 2);
  assert.equal(pairs[0].client.extensions, 'permessage-deflate');
  const text = 'context '.repeat(200);
  const got = pairs.map(({ client }) => nextMessages(client, 2));
  wss.broadcast(text);
  wss.broadcast(text, { compress: false });
  for (const messages of await Promise.all(got)) {
    assert.deepEqual(messages, [
      [text, false],
      [text, false],
    ]);
  }
  assert.equal(pairs[0].client.readyState, WebSocket.OPEN);
});
