// wss.stats(): every counter driven by a real scenario over loopback (raw TCP peers where the exact wire bytes
// matter): traffic in and out, closes by code, refusals by status, abandoned handshakes, protocol errors,
// back-pressure drops, heartbeat timeouts, topics, and the pub/sub counters an adapter fills.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { buildFrame } from '../helpers/frame-bytes.mjs';
import { upgradeRequest } from '../helpers/server-helpers.mjs';
import { WebSocketServer, startServer, openClient, rawUpgrade, readToClose, onceEvent, nextEvent, maskedFrame, withTimeout } from './helpers.mjs';

const require = createRequire(import.meta.url);
const pubsubStats = require('../../dist/cjs/features/pubsub-stats.js');

const T = { timeout: 20000 };
const KEY = Buffer.from([1, 2, 3, 4]);

/** The stats of a server that has done nothing (startedAt aside). */
function emptyStats(startedAt) {
  return {
    startedAt,
    connections: { open: 0, accepted: 0 },
    handshakes: { pending: 0, refused: {}, aborted: 0 },
    messages: { in: 0, out: 0 },
    bytes: { wireIn: 0, wireOut: 0, payloadIn: 0, payloadOut: 0 },
    closes: {},
    errors: {},
    backpressure: { dropped: 0 },
    heartbeat: { timeouts: 0 },
    pubsub: { published: 0, delivered: 0, gaps: 0, state: null },
    topics: 0,
  };
}

/** `expected` merged over the empty stats, compared with the server's. */
function assertStats(wss, changes) {
  const stats = wss.stats();
  const expected = { ...emptyStats(stats.startedAt), ...changes };
  assert.deepEqual(stats, expected);
}

test('a new server reports zeros; startedAt is its creation time; stats() returns a fresh plain object', T, async (t) => {
  const before = Date.now();
  const wss = await startServer(t);
  const stats = wss.stats();
  assert.ok(stats.startedAt >= before && stats.startedAt <= Date.now());
  assert.deepEqual(stats, emptyStats(stats.startedAt));
  assert.notEqual(wss.stats(), stats);
  assert.equal(JSON.stringify(wss.stats()), JSON.stringify(stats));
});

test('traffic: exact wire and payload bytes in and out, a fragmented message counts once, close 1000 counted', T, async (t) => {
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const { socket } = await rawUpgrade(t, wss.address().port);
  const [ws] = await accepted;
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  const received = [];
  socket.on('data', (chunk) => received.push(chunk));
  socket.resume();
  // Masked client frames: text 'hello' (2 + 4 + 5), binary [1, 2, 3] (2 + 4 + 3), text 'ab' + 'cd' in two fragments.
  const frames = [
    buildFrame({ opcode: 1, payload: 'hello', key: KEY }),
    buildFrame({ opcode: 2, payload: Buffer.from([1, 2, 3]), key: KEY }),
    buildFrame({ opcode: 1, fin: false, payload: 'ab', key: KEY }),
    buildFrame({ opcode: 0, payload: 'cd', key: KEY }),
  ];
  const echoed = new Promise((resolve) => {
    let count = 0;
    ws.on('message', () => ++count === 3 && setImmediate(resolve));
  });
  socket.write(Buffer.concat(frames));
  await withTimeout(echoed, 'three messages');
  const wireIn = frames.reduce((sum, frame) => sum + frame.length, 0);
  // Unmasked server frames: 2 + 5, 2 + 3, 2 + 4.
  assertStats(wss, {
    connections: { open: 1, accepted: 1 },
    messages: { in: 3, out: 3 },
    bytes: { wireIn, wireOut: 18, payloadIn: 12, payloadOut: 12 },
  });
  assert.equal(wireIn, 11 + 9 + 8 + 8);
  // The client closes with 1000 'bye' (2 + 4 + 5); the server echoes it (2 + 5).
  const closeFrame = buildFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), key: KEY });
  const peerClosed = onceEvent(socket, 'close');
  socket.write(closeFrame);
  await nextEvent(ws, 'close');
  assertStats(wss, {
    connections: { open: 0, accepted: 1 },
    messages: { in: 3, out: 3 },
    bytes: { wireIn: wireIn + closeFrame.length, wireOut: 18 + 7, payloadIn: 12, payloadOut: 12 },
    closes: { 1000: 1 },
  });
  await peerClosed;
  assert.equal(Buffer.concat(received).length, 25, 'the counted bytes are the bytes the peer received');
});

test('compressed traffic: payload bytes count the message, wire bytes the deflated frames', T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: { threshold: 0 } });
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss, { perMessageDeflate: true });
  const [ws] = await accepted;
  assert.equal(ws.extensions, 'permessage-deflate');
  const text = 'a'.repeat(4000);
  client.send(text);
  await nextEvent(ws, 'message');
  const sent = new Promise((resolve) => ws.send(text, resolve));
  await withTimeout(sent, 'server send');
  const { messages, bytes } = wss.stats();
  assert.deepEqual(messages, { in: 1, out: 1 });
  assert.equal(bytes.payloadIn, 4000);
  assert.equal(bytes.payloadOut, 4000);
  assert.ok(bytes.wireIn > 6 && bytes.wireIn < 200, `wire in ${bytes.wireIn}`);
  assert.ok(bytes.wireOut > 2 && bytes.wireOut < 200, `wire out ${bytes.wireOut}`);
});

test('closes by code: 4001 from the server, 1006 for a terminated peer, 1005 for an empty close frame', T, async (t) => {
  const wss = await startServer(t);
  let closed = 0;
  const allClosed = new Promise((resolve) => {
    wss.on('connection', (ws) => ws.on('close', () => ++closed === 3 && resolve()));
  });
  const first = await openClient(t, wss);
  const [ws1] = [...wss.clients];
  ws1.close(4001, 'policy');
  await nextEvent(first, 'close');
  const second = await openClient(t, wss);
  second.terminate();
  const { socket } = await rawUpgrade(t, wss.address().port);
  socket.resume();
  socket.write(buildFrame({ opcode: 8, key: KEY }));
  await withTimeout(allClosed, 'three closes');
  assert.deepEqual(wss.stats().closes, { 1005: 1, 1006: 1, 4001: 1 });
  assert.deepEqual(wss.stats().connections, { open: 0, accepted: 3 });
});

test('refused handshakes by status: 400 path, 400 bad request, 401 verifyClient, 403 origin, 429 authenticate, 503 full', T, async (t) => {
  const wss = await startServer(t, {
    path: '/ws',
    allowedOrigins: ['http://ok.test'],
    maxConnections: 1,
    verifyClient: ({ req }) => req.headers['x-deny'] === undefined,
    authenticate: (req) => (req.headers['x-status'] ? Number(req.headers['x-status']) : { user: 'u' }),
  });
  const port = wss.address().port;
  const connect = async (path, headers) => {
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await onceEvent(socket, 'connect');
    socket.write(upgradeRequest({ path, headers }));
    return socket;
  };
  const send = async (path, headers) => (await readToClose(await connect(path, headers))).toString().split('\r\n')[0];
  const origin = { Origin: 'http://ok.test' };
  assert.equal(await send('/other', origin), 'HTTP/1.1 400 Bad Request');
  assert.equal(await send('/ws', { ...origin, 'Sec-WebSocket-Version': '12' }), 'HTTP/1.1 400 Bad Request');
  assert.equal(await send('/ws', { ...origin, 'X-Deny': '1' }), 'HTTP/1.1 401 Unauthorized');
  assert.equal(await send('/ws', { Origin: 'http://evil.test' }), 'HTTP/1.1 403 Forbidden');
  assert.equal(await send('/ws', { ...origin, 'X-Status': '429' }), 'HTTP/1.1 429 Too Many Requests');
  const accepted = onceEvent(wss, 'connection');
  await connect('/ws', origin);
  await accepted;
  assert.equal(await send('/ws', origin), 'HTTP/1.1 503 Service Unavailable');
  const { handshakes, connections } = wss.stats();
  assert.deepEqual(handshakes, { pending: 0, refused: { 400: 2, 401: 1, 403: 1, 429: 1, 503: 1 }, aborted: 0 });
  assert.deepEqual(connections, { open: 1, accepted: 1 });
});

/** Heads that port mode's own parser refuses before any request exists (Node's parser refuses only some of them). */
const UPGRADE_FIELDS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
const BAD_HEADS = {
  twoHosts: `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n${UPGRADE_FIELDS}\r\n`,
  extraSpace: `GET  / HTTP/1.1\r\nHost: a\r\n${UPGRADE_FIELDS}\r\n`,
  http12: `GET / HTTP/1.2\r\nHost: a\r\n${UPGRADE_FIELDS}\r\n`,
  tooLarge: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(65536)}\r\n${UPGRADE_FIELDS}\r\n`,
  endedMidHead: 'GET / HTTP/1.1\r\nHost: a\r\n',
};

/** Send `head` on a raw connection (ending it for the mid-head case); resolves with the response's status line. */
async function statusLine(t, port, name) {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  await onceEvent(socket, 'connect');
  socket.write(BAD_HEADS[name]);
  if (name === 'endedMidHead') socket.end();
  return (await readToClose(socket)).toString().split('\r\n')[0];
}

test('port mode: heads its parser refuses (two Host fields, extra space, HTTP/1.2, too large, ended) are counted', T, async (t) => {
  const wss = await startServer(t);
  const port = wss.address().port;
  assert.equal(await statusLine(t, port, 'twoHosts'), 'HTTP/1.1 400 Bad Request');
  assert.deepEqual(wss.stats().handshakes, { pending: 0, refused: { 400: 1 }, aborted: 0 });
  assert.equal(await statusLine(t, port, 'extraSpace'), 'HTTP/1.1 400 Bad Request');
  assert.equal(await statusLine(t, port, 'http12'), 'HTTP/1.1 400 Bad Request');
  assert.equal(await statusLine(t, port, 'tooLarge'), 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.equal(await statusLine(t, port, 'endedMidHead'), 'HTTP/1.1 400 Bad Request');
  assert.deepEqual(wss.stats().handshakes, { pending: 0, refused: { 400: 4, 431: 1 }, aborted: 0 });
  assert.deepEqual(wss.stats().connections, { open: 0, accepted: 0 });
});

test('server mode: what Node\'s parser answers itself (HTTP/1.2, too large, ended) never reaches sockwire, uncounted', T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  t.after(() => new Promise((resolve) => wss.close(() => server.close(() => resolve()))));
  server.listen(0, '127.0.0.1');
  await onceEvent(server, 'listening');
  const port = server.address().port;
  assert.equal(await statusLine(t, port, 'http12'), 'HTTP/1.1 400 Bad Request');
  assert.equal(await statusLine(t, port, 'tooLarge'), 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.equal(await statusLine(t, port, 'endedMidHead'), 'HTTP/1.1 400 Bad Request');
  assert.deepEqual(wss.stats().handshakes, { pending: 0, refused: {}, aborted: 0 });
});

test('handshakes: pending while authenticate runs, aborted when the client leaves first', T, async (t) => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let entered;
  const inAuthenticate = new Promise((resolve) => (entered = resolve));
  const wss = await startServer(t, {
    authenticate: (req) => {
      entered({ closed: nextEvent(req.socket, 'close') });
      return gate;
    },
  });
  const socket = net.connect(wss.address().port, '127.0.0.1');
  t.after(() => socket.destroy());
  await onceEvent(socket, 'connect');
  socket.write(upgradeRequest());
  const serverSide = await withTimeout(inAuthenticate, 'authenticate called');
  assert.equal(wss.stats().handshakes.pending, 1);
  // A reset (not a FIN, which leaves the server's side half-open and writable) ends the server's socket.
  socket.resetAndDestroy();
  await serverSide.closed;
  // authenticate accepts only now: the upgrade is abandoned, neither refused nor accepted.
  release({ user: 'late' });
  await gate;
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(wss.stats().handshakes, { pending: 0, refused: {}, aborted: 1 });
  assert.deepEqual(wss.stats().connections, { open: 0, accepted: 0 });
});

test('errors by code: an unmasked client frame counts WS_ERR_EXPECTED_MASK; the close counts the code close reports', T, async (t) => {
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const { socket } = await rawUpgrade(t, wss.address().port);
  const [ws] = await accepted;
  const error = nextEvent(ws, 'error');
  socket.resume();
  socket.write(buildFrame({ opcode: 1, payload: 'no mask' }));
  assert.equal((await error)[0].code, 'WS_ERR_EXPECTED_MASK');
  await nextEvent(ws, 'close');
  const { errors, closes } = wss.stats();
  assert.deepEqual(errors, { WS_ERR_EXPECTED_MASK: 1 });
  // The server sent 1002, stopped reading (RFC 6455 §7.1.7: fail the connection) and so never saw a close frame:
  // 'close' reports 1006 (§7.1.5), and that is the code counted.
  assert.deepEqual(closes, { 1006: 1 });
});

test('errors nobody listens to on the socket are counted too (reported through connectionError)', T, async (t) => {
  const wss = await startServer(t);
  const reported = onceEvent(wss, 'connectionError');
  const { socket } = await rawUpgrade(t, wss.address().port);
  socket.resume();
  socket.write(maskedFrame(1, Buffer.from([0xff, 0xfe])));
  const [error] = await reported;
  assert.equal(error.code, 'WS_ERR_INVALID_UTF8');
  assert.deepEqual(wss.stats().errors, { WS_ERR_INVALID_UTF8: 1 });
});

test('back-pressure drops: every dropped send() and broadcast recipient is counted; closeOnBackpressureLimit closes 1008', T, async (t) => {
  const limit = 64 * 1024;
  const wss = await startServer(t, { maxBackpressure: limit });
  const accepted = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws] = await accepted;
  client.pause();
  const chunk = Buffer.alloc(16 * 1024);
  let dropped = 0;
  for (let i = 0; i < 4000 && dropped < 5; i++) if (ws.send(chunk) === 'dropped') dropped++;
  assert.equal(dropped, 5);
  const result = wss.broadcast(chunk);
  assert.deepEqual(result, { written: 0, queued: 0, dropped: 1 });
  assert.equal(wss.stats().backpressure.dropped, 6);

  const strict = await startServer(t, { maxBackpressure: limit, closeOnBackpressureLimit: true });
  const acceptedStrict = onceEvent(strict, 'connection');
  const slow = await openClient(t, strict);
  const [victim] = await acceptedStrict;
  slow.pause();
  let status;
  for (let i = 0; i < 4000 && status !== 'dropped'; i++) status = victim.send(chunk);
  assert.equal(status, 'dropped');
  slow.resume();
  const [code] = await nextEvent(victim, 'close');
  assert.equal(code, 1008);
  assert.equal(strict.stats().backpressure.dropped, 1);
  assert.deepEqual(strict.stats().closes, { 1008: 1 });
});

test('heartbeat timeouts: a peer that stops reading is counted once, as a timeout, an error and a 1006 close', T, async (t) => {
  const wss = await startServer(t, { heartbeat: { interval: 100, timeout: 100 } });
  const accepted = onceEvent(wss, 'connection');
  await rawUpgrade(t, wss.address().port);
  const [ws] = await accepted;
  ws.on('error', () => {});
  await nextEvent(ws, 'close');
  const stats = wss.stats();
  assert.deepEqual(stats.heartbeat, { timeouts: 1 });
  assert.deepEqual(stats.errors, { WS_ERR_HEARTBEAT_TIMEOUT: 1 });
  assert.deepEqual(stats.closes, { 1006: 1 });
  // The heartbeat's ping (2 bytes) is the only frame the server wrote.
  assert.deepEqual(stats.bytes, { wireIn: 0, wireOut: 2, payloadIn: 0, payloadOut: 0 });
});

test('topics gauge and publish(): subscribers counted as a gauge, each delivered copy as a message out', T, async (t) => {
  const wss = await startServer(t);
  const sockets = [];
  wss.on('connection', (ws) => sockets.push(ws));
  const a = await openClient(t, wss);
  const b = await openClient(t, wss);
  assert.equal(sockets.length, 2, 'each connection event came before its client opened');
  sockets[0].subscribe('news');
  sockets[1].subscribe('news');
  sockets[1].subscribe('sport');
  assert.equal(wss.stats().topics, 2);
  const got = Promise.all([nextEvent(a, 'message'), nextEvent(b, 'message')]);
  assert.deepEqual(wss.publish('news', 'hi!'), { written: 2, queued: 0, dropped: 0 });
  await got;
  const { messages, bytes } = wss.stats();
  assert.deepEqual(messages, { in: 0, out: 2 });
  assert.deepEqual(bytes, { wireIn: 0, wireOut: 10, payloadIn: 0, payloadOut: 6 });
  sockets[1].unsubscribe('sport');
  assert.equal(wss.stats().topics, 1);
});

test('pub/sub counters are filled through one call per adapter event (published, delivered, gaps, state)', T, async (t) => {
  const wss = await startServer(t);
  const hub = wss._hub;
  pubsubStats.notePubSubState(hub, 'connecting');
  pubsubStats.notePubSubState(hub, 'ready');
  pubsubStats.notePubSubPublished(hub);
  pubsubStats.notePubSubPublished(hub);
  pubsubStats.notePubSubDelivered(hub);
  pubsubStats.notePubSubGap(hub, { topic: 'news', origin: 'server-b', expected: 7, received: 9 });
  assert.deepEqual(wss.stats().pubsub, { published: 2, delivered: 1, gaps: 1, state: 'ready' });
});
