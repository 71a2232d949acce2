// Hostile HTTP/2 input against a sockwire server, from a raw peer that writes frames by hand: CONNECT floods past
// SETTINGS_MAX_CONCURRENT_STREAMS, RST_STREAM in the middle of a WebSocket message, a stream (and a session) that
// never sends anything, bad :protocol values, extended CONNECTs without :path, :scheme or :authority. Each gets its
// status or its reset, the other streams keep working and the process does not crash.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { clientOptions, closed, nextMessage, openClient, sockwire, startH2 } from '../helpers/h2-fixture.mjs';
import { TYPE, connectPairs, maskedFrame, rawH2 } from '../helpers/h2-frames.mjs';

/** RFC 9113 §7 error codes. */
const NO_ERROR = 0x0;
const PROTOCOL_ERROR = 0x1;
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function server(options = {}) {
  const h2 = await startH2({ secure: false, ...options });
  cleanups.push(() => h2.close());
  h2.wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  return h2;
}
async function peer(port, options) {
  const raw = await rawH2(port, options);
  cleanups.push(() => raw.close());
  return raw;
}
/** Still serving: a fresh sockwire client echoes. */
async function stillServes(h2) {
  const ws = await openClient(h2.url('/'), clientOptions(false));
  ws.send('ok?');
  const [reply] = await nextMessage(ws);
  ws.terminate();
  return reply.toString();
}

test('a CONNECT flood past the stream limit: the first streams open, the rest are refused', async () => {
  const h2 = await server({ server: { settings: { maxConcurrentStreams: 10 } } });
  // Before the peer acknowledged our SETTINGS, streams past the limit are refused one by one (RFC 9113 §5.1.2).
  const early = await peer(h2.port, { ack: false });
  const ids = Array.from({ length: 40 }, (_, i) => 1 + 2 * i);
  for (const id of ids) early.headers(id, connectPairs('/flood'));
  await early.until(() => ids.every((id) => early.outcome(id) !== undefined), 'an answer on every stream');
  const outcomes = ids.map((id) => early.outcome(id));
  assert.deepEqual(outcomes.slice(0, 10), Array(10).fill({ status: 200 }));
  assert.deepEqual(outcomes.slice(10), Array(30).fill({ reset: REFUSED_STREAM }));
  assert.equal(h2.wss.clients.size, 10);
  // After the ACK the limit is binding: Node ends that session (GOAWAY), its WebSockets close 1006, others live on.
  const bystander = await openClient(h2.url('/'), clientOptions(false));
  const late = await peer(h2.port);
  await late.until((frames) => frames.some((f) => f.type === TYPE.SETTINGS && f.flags === 1), 'the SETTINGS ACK');
  for (const id of ids) late.headers(id, connectPairs('/flood'));
  await late.until((frames) => frames.some((f) => f.type === TYPE.GOAWAY), 'GOAWAY').catch(() => {});
  assert.ok(late.closed || late.frames.some((f) => f.type === TYPE.GOAWAY));
  bystander.send('still there?');
  assert.equal((await nextMessage(bystander))[0].toString(), 'still there?');
  bystander.terminate();
  assert.equal(await stillServes(h2), 'ok?');
});

test('port mode limits one session to 256 concurrent WebSockets by default', async () => {
  const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', http2: true });
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  await once(wss, 'listening');
  const raw = await peer(wss.address().port, { ack: false });
  await raw.until((frames) => frames.some((f) => f.type === TYPE.SETTINGS && f.flags === 0), 'the server SETTINGS');
  const settings = raw.frames.find((f) => f.type === TYPE.SETTINGS && f.flags === 0).payload;
  const values = new Map();
  for (let i = 0; i < settings.length; i += 6) values.set(settings.readUInt16BE(i), settings.readUInt32BE(i + 2));
  // RFC 9113 §6.5.2 / RFC 8441 §3: MAX_CONCURRENT_STREAMS (0x3), INITIAL_WINDOW_SIZE (0x4), ENABLE_CONNECT_PROTOCOL (0x8).
  assert.equal(values.get(0x3), 256);
  assert.equal(values.get(0x4), 1024 * 1024);
  assert.equal(values.get(0x8), 1);
});

test('RST_STREAM in the middle of a message closes that WebSocket (1006) and no other', async () => {
  const h2 = await server();
  const raw = await peer(h2.port);
  const closes = [];
  h2.wss.on('connection', (ws) => ws.on('close', (code) => closes.push(code)));
  raw.headers(1, connectPairs('/a'));
  raw.headers(3, connectPairs('/b'));
  await raw.until(() => raw.outcome(1) && raw.outcome(3), 'both answers');
  assert.deepEqual([raw.outcome(1), raw.outcome(3)], [{ status: 200 }, { status: 200 }]);
  // Half a frame: the header promises 100 bytes, 10 arrive, then the stream is reset.
  raw.data(1, maskedFrame(0x1, Buffer.from('0123456789'), 100));
  raw.rst(1, CANCEL);
  await raw.until(() => closes.length === 1, "the first socket's close");
  assert.deepEqual(closes, [1006]);
  raw.data(3, maskedFrame(0x1, Buffer.from('hello')));
  await raw.until(() => raw.dataOf(3).length >= 7, 'the echo on stream 3');
  assert.deepEqual([...raw.dataOf(3)], [0x81, 5, ...Buffer.from('hello')]);
  assert.equal(h2.wss.clients.size, 1);
});

test('bad :protocol values are 400; the match is case-insensitive; an empty value is a malformed request', async () => {
  const h2 = await server();
  const raw = await peer(h2.port);
  const cases = [
    ['websocket2', { status: 400 }],
    ['h2c', { status: 400 }],
    ['web socket', { status: 400 }],
    ['WebSocket', { status: 200 }]
  ];
  cases.forEach(([value], i) => raw.headers(1 + 2 * i, connectPairs('/', { ':protocol': value })));
  await raw.until(() => cases.every((_, i) => raw.outcome(1 + 2 * i)), 'every answer');
  assert.deepEqual(cases.map((_, i) => raw.outcome(1 + 2 * i)), cases.map(([, expected]) => expected));
  raw.headers(9, connectPairs('/', { ':protocol': '' }));
  await raw.until(() => raw.outcome(9), 'the empty :protocol answer');
  assert.deepEqual(raw.outcome(9), { reset: PROTOCOL_ERROR });
  assert.equal(await stillServes(h2), 'ok?');
});

test('an extended CONNECT without :path, :scheme or :authority, or with a wrong version, is refused', async () => {
  const h2 = await server();
  const raw = await peer(h2.port);
  const cases = [
    [{ ':path': null }, { reset: PROTOCOL_ERROR }],
    [{ ':scheme': null }, { reset: PROTOCOL_ERROR }],
    [{ ':authority': null }, { reset: PROTOCOL_ERROR }],
    [{ 'sec-websocket-version': null }, { status: 400 }],
    [{ 'sec-websocket-version': '8' }, { status: 400 }],
    [{ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }, { status: 200 }]
  ];
  cases.forEach(([changes], i) => raw.headers(1 + 2 * i, connectPairs('/', changes)));
  await raw.until(() => cases.every((_, i) => raw.outcome(1 + 2 * i)), 'every answer');
  assert.deepEqual(cases.map((_, i) => raw.outcome(1 + 2 * i)), cases.map(([, expected]) => expected));
  // The refused streams were closed by the server (END_STREAM on the answer, then RST_STREAM NO_ERROR).
  await raw.until(
    (frames) => [7, 9].every((id) => frames.some((f) => f.streamId === id && f.type === 3 && f.payload.readUInt32BE(0) === NO_ERROR)),
    'RST_STREAM NO_ERROR after each refusal'
  );
  assert.equal(await stillServes(h2), 'ok?');
});

test('a stream that never sends data stays an idle WebSocket and blocks nobody; garbage closes with 1002', async () => {
  const h2 = await server();
  const raw = await peer(h2.port);
  raw.headers(1, connectPairs('/idle'));
  await raw.until(() => raw.outcome(1), 'the idle stream answer');
  assert.deepEqual(raw.outcome(1), { status: 200 });
  assert.equal(await stillServes(h2), 'ok?');
  raw.headers(3, connectPairs('/garbage'));
  await raw.until(() => raw.outcome(3), 'the second answer');
  // An unmasked client frame: RFC 6455 §5.1 says close with 1002.
  raw.data(3, Buffer.from([0x81, 0x02, 0x68, 0x69]));
  await raw.until(() => raw.dataOf(3).length >= 4, 'the close frame');
  const close = raw.dataOf(3);
  assert.equal(close[0], 0x88);
  assert.equal(close.readUInt16BE(2), 1002);
  // The session lives on: the idle stream is still open.
  assert.equal(raw.closed, false);
  assert.equal([...h2.wss.clients].filter((ws) => ws.readyState === 1).length, 1);
});

test('port mode: a session that never opens a WebSocket stream is cut at handshakeTimeout', async () => {
  const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', http2: true, handshakeTimeout: 300 });
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  await once(wss, 'listening');
  const port = wss.address().port;
  const silent = net.connect(port, '127.0.0.1');
  silent.on('error', () => {});
  silent.resume();
  await once(silent, 'close', { signal: AbortSignal.timeout(8000) });
  // A session that does open a WebSocket in time is kept past the deadline.
  const ws = await openClient(`ws://127.0.0.1:${port}/`, clientOptions(false));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(ws.readyState, 1);
  ws.close();
  assert.deepEqual(await closed(ws), [1005, '']);
});
