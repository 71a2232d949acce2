// node:diagnostics_channel events: every sockwire:* channel and the undici:* channels the client publishes on, each
// payload compared field by field with what the scenario did (real loopback server and clients, raw peers for
// protocol errors). Subscriptions are removed after each test.
import test from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { createRequire } from 'node:module';
import { buildFrame } from '../helpers/frame-bytes.mjs';
import { upgradeRequest } from '../helpers/server-helpers.mjs';
import { WebSocket, startServer, openClient, rawUpgrade, readToClose, onceEvent, nextEvent, withTimeout } from './helpers.mjs';

const require = createRequire(import.meta.url);
const pubsubStats = require('../../dist/cjs/features/pubsub-stats.js');
const diagnosticsModule = require('../../dist/cjs/features/diagnostics.js');
const handshakeOutcome = require('../../dist/cjs/features/handshake-outcome.js');

const T = { timeout: 20000 };

/** Record what `name` publishes during test `t`. */
function record(t, name) {
  const messages = [];
  const listener = (message) => messages.push(message);
  diagnostics.subscribe(name, listener);
  t.after(() => diagnostics.unsubscribe(name, listener));
  return messages;
}

/** The messages about `sockets` (sockets of earlier tests may still be closing while this one records). */
function about(messages, ...sockets) {
  return messages.filter((message) => sockets.includes(message.websocket));
}

/** Resolves with the first message published on `name` after this call. */
function nextMessage(t, name) {
  return withTimeout(
    new Promise((resolve) => {
      const listener = (message) => {
        diagnostics.unsubscribe(name, listener);
        resolve(message);
      };
      diagnostics.subscribe(name, listener);
      t.after(() => diagnostics.unsubscribe(name, listener));
    }),
    `message on ${name}`,
  );
}

/** `message.duration` is a plausible elapsed time; the rest is returned for an exact comparison. */
function withoutDuration(message) {
  const { duration, ...rest } = message;
  assert.equal(typeof duration, 'number');
  assert.ok(duration >= 0 && duration < 60000, `duration ${duration}`);
  return rest;
}

/** Close messages keyed by side, durations checked and dropped (the two sides close in no fixed order). */
function bySide(messages) {
  assert.equal(messages.length, 2);
  return Object.fromEntries(messages.map((m) => [m.isServer ? 'server' : 'client', withoutDuration(m)]));
}

test('sockwire:server:upgrade, accepted: request, 101, the new socket and the handshake time', T, async (t) => {
  const upgrades = record(t, 'sockwire:server:upgrade');
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  await openClient(t, wss);
  const [ws, request] = await accepted;
  assert.equal(upgrades.length, 1);
  assert.deepEqual(withoutDuration(upgrades[0]), { server: wss, request, accepted: true, status: 101, reason: '', websocket: ws });
  assert.equal(upgrades[0].request, request);
  assert.equal(upgrades[0].websocket, ws);
});

test('sockwire:server:upgrade, refused: status and reason for verifyClient, a custom message, a bad request, wsClientError', T, async (t) => {
  const upgrades = record(t, 'sockwire:server:upgrade');
  const requests = [];
  const wss = await startServer(t, {
    verifyClient: (info, done) => {
      requests.push(info.req);
      if (info.req.headers['x-custom']) done(false, 429, 'Slow down');
      else done(false);
    },
  });
  const port = wss.address().port;
  const send = async (headers) => {
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await onceEvent(socket, 'connect');
    socket.write(upgradeRequest({ headers }));
    return (await readToClose(socket)).toString().split('\r\n')[0];
  };
  assert.equal(await send({}), 'HTTP/1.1 401 Unauthorized');
  assert.equal(await send({ 'X-Custom': '1' }), 'HTTP/1.1 429 Too Many Requests');
  assert.equal(await send({ 'Sec-WebSocket-Key': 'short' }), 'HTTP/1.1 400 Bad Request');
  // A wsClientError listener answers by itself; the event names the status sockwire would have sent.
  wss.once('wsClientError', (_error, socket) => socket.end('HTTP/1.1 418 I\'m a Teapot\r\nConnection: close\r\n\r\n'));
  assert.equal(await send({ 'Sec-WebSocket-Version': '99' }), "HTTP/1.1 418 I'm a Teapot");
  assert.equal(upgrades.length, 4);
  const shapes = upgrades.map(withoutDuration).map(({ server, request, ...rest }) => {
    assert.equal(server, wss);
    assert.equal(typeof request.headers, 'object');
    return rest;
  });
  assert.deepEqual(shapes, [
    { accepted: false, status: 401, reason: 'Unauthorized', websocket: null },
    { accepted: false, status: 429, reason: 'Slow down', websocket: null },
    { accepted: false, status: 400, reason: 'Missing or invalid Sec-WebSocket-Key header', websocket: null },
    { accepted: false, status: 400, reason: 'Missing or invalid Sec-WebSocket-Version header', websocket: null },
  ]);
  assert.equal(upgrades[0].request, requests[0]);
  assert.equal(upgrades[1].request, requests[1]);
});

test('sockwire:websocket:open on both sides: protocol, extensions, remote address and port', T, async (t) => {
  const opens = record(t, 'sockwire:websocket:open');
  const wss = await startServer(t, { perMessageDeflate: true, handleProtocols: () => 'chat' });
  const accepted = onceEvent(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`, ['chat', 'json']);
  t.after(() => client.terminate());
  const order = [];
  client.on('open', () => order.push(['open event', opens.length]));
  await onceEvent(client, 'open');
  const [ws] = await accepted;
  assert.deepEqual(opens, [
    { websocket: ws, isServer: true, protocol: 'chat', extensions: 'permessage-deflate', remoteAddress: '127.0.0.1', remotePort: client._socket.localPort },
    { websocket: client, isServer: false, protocol: 'chat', extensions: 'permessage-deflate', remoteAddress: '127.0.0.1', remotePort: wss.address().port },
  ]);
  // Published just before the 'open' event.
  assert.deepEqual(order, [['open event', 2]]);
});

test('sockwire:websocket:close: code, reason, who closed, wasClean and how long it was open', T, async (t) => {
  const closes = record(t, 'sockwire:websocket:close');
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  const both = Promise.all([nextEvent(ws, 'close'), nextEvent(client, 'close')]);
  ws.close(4000, 'bye');
  await both;
  assert.deepEqual(bySide(about(closes, client, ws)), {
    client: { websocket: client, isServer: false, code: 4000, reason: 'bye', closedBy: 'remote', wasClean: true },
    server: { websocket: ws, isServer: true, code: 4000, reason: 'bye', closedBy: 'local', wasClean: true },
  });

  // A terminated client: 1006 on both sides, not clean; the client closed it, the server saw the transport go.
  closes.length = 0;
  const accepted2 = onceEvent(wss, 'connection');
  const client2 = await openClient(t, wss);
  const [ws2] = await accepted2;
  const both2 = Promise.all([nextEvent(ws2, 'close'), nextEvent(client2, 'close')]);
  client2.terminate();
  await both2;
  assert.deepEqual(bySide(about(closes, client2, ws2)), {
    client: { websocket: client2, isServer: false, code: 1006, reason: '', closedBy: 'local', wasClean: false },
    server: { websocket: ws2, isServer: true, code: 1006, reason: '', closedBy: 'transport', wasClean: false },
  });
});

test('sockwire:websocket:close: duration is undefined when nobody subscribed while the socket opened', T, async (t) => {
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  const closes = record(t, 'sockwire:websocket:close');
  const closed = nextEvent(ws, 'close');
  client.close(1000);
  await closed;
  const [server] = about(closes, ws);
  assert.deepEqual(server, { websocket: ws, isServer: true, code: 1000, reason: '', closedBy: 'remote', wasClean: true, duration: undefined });
});

test('sockwire:websocket:error: the error the socket reports and its code', T, async (t) => {
  const errors = record(t, 'sockwire:websocket:error');
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const { socket } = await rawUpgrade(t, wss.address().port);
  const [ws] = await accepted;
  const emitted = nextEvent(ws, 'error');
  socket.resume();
  socket.write(buildFrame({ opcode: 1, payload: 'unmasked' }));
  const [error] = await emitted;
  assert.deepEqual(about(errors, ws), [{ websocket: ws, isServer: true, error, code: 'WS_ERR_EXPECTED_MASK' }]);
  assert.equal(about(errors, ws)[0].error, error);
});

test('sockwire:websocket:error: a client that cannot connect reports the Node error code', T, async (t) => {
  const errors = record(t, 'sockwire:websocket:error');
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  await new Promise((resolve) => server.close(resolve));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const closed = nextEvent(client, 'close');
  const [error] = await nextEvent(client, 'error');
  await closed;
  assert.deepEqual(about(errors, client), [{ websocket: client, isServer: false, error, code: 'ECONNREFUSED' }]);
});

test('sockwire:websocket:ping / pong: received frames with their payload, on both sides', T, async (t) => {
  const pings = record(t, 'sockwire:websocket:ping');
  const pongs = record(t, 'sockwire:websocket:pong');
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  const pong = nextEvent(client, 'pong');
  client.ping('p1');
  await pong;
  const serverPong = nextEvent(ws, 'pong');
  ws.ping(Buffer.from([7]));
  await serverPong;
  assert.deepEqual(pings, [
    { websocket: ws, isServer: true, payload: Buffer.from('p1') },
    { websocket: client, isServer: false, payload: Buffer.from([7]) },
  ]);
  assert.deepEqual(pongs, [
    { websocket: client, isServer: false, payload: Buffer.from('p1') },
    { websocket: ws, isServer: true, payload: Buffer.from([7]) },
  ]);
});

test('undici:websocket:open / close / ping / pong: undici payload shapes, client sockets only', T, async (t) => {
  const opens = record(t, 'undici:websocket:open');
  const closes = record(t, 'undici:websocket:close');
  const pings = record(t, 'undici:websocket:ping');
  const pongs = record(t, 'undici:websocket:pong');
  const wss = await startServer(t, { perMessageDeflate: true });
  const accepted = onceEvent(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  t.after(() => client.terminate());
  const upgraded = onceEvent(client, 'upgrade');
  await onceEvent(client, 'open');
  const [response] = await upgraded;
  const [ws] = await accepted;
  assert.deepEqual(about(opens, client), [
    {
      address: client._socket.address(),
      protocol: '',
      extensions: response.headers['sec-websocket-extensions'],
      websocket: client,
      handshakeResponse: { status: 101, statusText: 'Switching Protocols', headers: response.headers },
    },
  ]);
  assert.equal(opens[0].address.port, client._socket.localPort);
  assert.match(opens[0].extensions, /^permessage-deflate/);
  const gotPing = nextEvent(client, 'ping');
  ws.ping('hb');
  await gotPing;
  const gotPong = nextEvent(client, 'pong');
  client.ping();
  await gotPong;
  const closed = nextEvent(client, 'close');
  ws.close(1001, 'going');
  await closed;
  await nextEvent(ws, 'close').catch(() => {});
  assert.deepEqual(pings, [{ payload: Buffer.from('hb'), websocket: client }]);
  assert.deepEqual(pongs, [{ payload: Buffer.alloc(0), websocket: client }]);
  assert.deepEqual(about(closes, client), [{ websocket: client, code: 1001, reason: 'going' }]);
});

test('undici:websocket:socket_error: the transport error of an open client (a reset)', T, async (t) => {
  const errors = record(t, 'undici:websocket:socket_error');
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  const closed = nextEvent(client, 'close');
  ws._socket.resetAndDestroy();
  const [code] = await closed;
  assert.equal(code, 1006);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof Error);
  assert.equal(errors[0].code, 'ECONNRESET');
});

test('sockwire:server:upgrade: heads port mode refuses itself are published with request null', T, async (t) => {
  const upgrades = record(t, 'sockwire:server:upgrade');
  const wss = await startServer(t);
  const port = wss.address().port;
  const fields = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
  const answer = async (head) => {
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.on('error', () => {});
    await onceEvent(socket, 'connect');
    socket.write(head);
    return (await readToClose(socket)).toString();
  };
  const refused = (status, reason) => ({ server: wss, request: null, accepted: false, status, reason, websocket: null, duration: undefined });
  assert.equal(await answer(`GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n${fields}\r\n`), 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  assert.deepEqual(upgrades, [refused(400, 'Request head refused: more than one Host field')]);
  const big = await answer(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(65536)}\r\n${fields}\r\n`);
  assert.equal(big, 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n');
  assert.deepEqual(upgrades, [refused(400, 'Request head refused: more than one Host field'), refused(431, 'Request head refused: the head is too large')]);
});

test('sockwire:pubsub:gap and sockwire:pubsub:state: published by the adapter calls, with the server', T, async (t) => {
  const wss = await startServer(t);
  const gap = nextMessage(t, 'sockwire:pubsub:gap');
  const states = record(t, 'sockwire:pubsub:state');
  const failure = new Error('broker gone');
  pubsubStats.notePubSubState(wss._hub, 'ready');
  pubsubStats.notePubSubGap(wss._hub, { topic: 'news', origin: 'b', expected: 3, received: 5 });
  pubsubStats.notePubSubState(wss._hub, 'error', failure);
  assert.deepEqual(await gap, { server: wss, topic: 'news', origin: 'b', expected: 3, received: 5 });
  assert.deepEqual(states, [
    { server: wss, state: 'ready', error: undefined },
    { server: wss, state: 'error', error: failure },
  ]);
});

/** A proxy over `target` that records every property read (a payload being built reads its fields). */
function traced(target) {
  const reads = [];
  const proxy = new Proxy(target, {
    get(object, name, receiver) {
      reads.push(name);
      return Reflect.get(object, name, receiver);
    },
  });
  return { proxy, reads };
}

/** Every publisher once, on traced inputs: a client-side socket, a server hub and a gap. Returns what each read. */
function publishEverything(wss) {
  const ws = traced({ _isServer: false, _socket: null, protocol: '', extensions: '' });
  const hub = traced(wss._hub);
  const gap = traced({ topic: 'news', origin: 'b', expected: 1, received: 2 });
  const error = new Error('x');
  diagnosticsModule.observeOpen(ws.proxy, undefined);
  diagnosticsModule.observeClose(ws.proxy, 1000, Buffer.from('bye'), 'local', true);
  diagnosticsModule.observeError(ws.proxy, error);
  diagnosticsModule.observeTransportError(ws.proxy, error);
  for (const kind of ['ping', 'pong']) {
    if (diagnosticsModule.controlFramesObserved(kind)) diagnosticsModule.publishControlFrame(ws.proxy, kind, Buffer.alloc(0));
  }
  handshakeOutcome.noteRefusal(hub.proxy, null, 400, 'no');
  handshakeOutcome.noteAccepted(hub.proxy, null, ws.proxy);
  pubsubStats.notePubSubGap(hub.proxy, gap.proxy);
  pubsubStats.notePubSubState(hub.proxy, 'ready');
  return { ws: ws.reads, hub: hub.reads, gap: gap.reads };
}

test('nothing is built without subscribers: no publisher reads a field of the socket, the gap or the server', T, async (t) => {
  const wss = await startServer(t);
  const names = Object.values(diagnosticsModule.CHANNEL_NAMES);
  for (const name of names) assert.equal(diagnostics.channel(name).hasSubscribers, false, name);
  // Unobserved: the hub is read only for its counters (counting never depends on subscribers), nothing else at all.
  assert.deepEqual(publishEverything(wss), { ws: [], hub: ['counters', 'counters', 'counters'], gap: [] });
  // Observed: the same calls read the fields the payloads carry, and publish on every channel.
  const published = new Map(names.map((name) => [name, 0]));
  for (const name of names) {
    const listener = () => published.set(name, published.get(name) + 1);
    diagnostics.subscribe(name, listener);
    t.after(() => diagnostics.unsubscribe(name, listener));
  }
  const reads = publishEverything(wss);
  assert.ok(reads.ws.includes('protocol') && reads.ws.includes('_isServer'), `socket reads: ${reads.ws.join(',')}`);
  assert.ok(reads.hub.includes('server'), `hub reads: ${reads.hub.join(',')}`);
  assert.deepEqual(reads.gap, ['topic', 'origin', 'expected', 'received']);
  const expected = { 'sockwire:server:upgrade': 2, 'undici:websocket:ping': 1, 'undici:websocket:pong': 1 };
  for (const name of names) assert.equal(published.get(name), expected[name] ?? 1, name);
});

test('unsubscribing stops delivery', T, async (t) => {
  const channel = diagnostics.channel('sockwire:websocket:open');
  assert.equal(channel.hasSubscribers, false);
  const seen = [];
  const listener = (message) => seen.push(message.isServer);
  channel.subscribe(listener);
  const wss = await startServer(t);
  await openClient(t, wss);
  channel.unsubscribe(listener);
  assert.equal(channel.hasSubscribers, false);
  await openClient(t, wss);
  assert.deepEqual(seen.sort(), [false, true]);
});
