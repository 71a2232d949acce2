// WebSocketStream against real loopback servers: the WHATWG/Chrome behaviours (opened/closed, close codes and
// their validation, aborting before open, failures and unclean closes, cancel/abort carrying a WebSocketError's
// code, message types both ways).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketStream, WebSocketError, closeServer, startServer, unusedPort, withTimeout, delay } from './helpers.mjs';

const T = { timeout: 20000 };

/** An echo server that also records what it received and the close code/reason it saw. */
async function echoServer(t, options = {}) {
  const wss = await startServer(t, options);
  const seen = { messages: [], closes: [] };
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      seen.messages.push([isBinary, isBinary ? [...data] : String(data)]);
      if (String(data) !== 'no-echo') ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => seen.closes.push([code, String(reason)]));
  });
  return { wss, seen, url: `ws://127.0.0.1:${wss.address().port}` };
}

test('opened gives readable/writable/protocol/extensions; text is a string, binary a Uint8Array, both ways', T, async (t) => {
  const { seen, url } = await echoServer(t, { handleProtocols: (set) => [...set][1], perMessageDeflate: true });
  const wss = new WebSocketStream(`${url}/path`, { protocols: ['a', 'b'] });
  assert.equal(wss.url, `${url}/path`);
  const { readable, writable, protocol, extensions } = await wss.opened;
  assert.equal(protocol, 'b');
  assert.equal(extensions, 'permessage-deflate');
  const writer = writable.getWriter();
  const reader = readable.getReader();
  await writer.write('hello');
  await writer.write(new Uint8Array([1, 2, 3]));
  await writer.write(new Uint16Array([0x0201]).buffer);
  await writer.write(42);
  const received = [];
  for (let i = 0; i < 4; i++) received.push((await reader.read()).value);
  assert.equal(received[0], 'hello');
  assert.ok(received[1] instanceof Uint8Array && !Buffer.isBuffer(received[1]));
  assert.deepEqual([...received[1]], [1, 2, 3]);
  assert.equal(received[1].byteOffset, 0);
  assert.equal(received[1].buffer.byteLength, 3);
  assert.deepEqual([...received[2]], [1, 2]);
  assert.equal(received[3], '42');
  assert.deepEqual(seen.messages, [[false, 'hello'], [true, [1, 2, 3]], [true, [1, 2]], [false, '42']]);
  wss.close();
  assert.deepEqual(await wss.closed, { closeCode: 1005, reason: '' });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  await assert.rejects(writer.write('late'), TypeError);
});

test('close({ closeCode, reason }) sends them; a reason alone means 1000; the server\'s code resolves closed', T, async (t) => {
  const { seen, url } = await echoServer(t);
  const a = new WebSocketStream(url);
  await a.opened;
  a.close({ closeCode: 3001, reason: 'done here' });
  assert.deepEqual(await a.closed, { closeCode: 3001, reason: 'done here' });
  const b = new WebSocketStream(url);
  await b.opened;
  b.close({ reason: 'just a reason' });
  assert.deepEqual(await b.closed, { closeCode: 1000, reason: 'just a reason' });
  assert.deepEqual(seen.closes, [[3001, 'done here'], [1000, 'just a reason']]);
});

test('a server close code reaches closed and ends the readable', T, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => {
    ws.send('last words');
    ws.close(4001, 'bye');
  });
  const stream = new WebSocketStream(`ws://127.0.0.1:${wss.address().port}`);
  const { readable } = await stream.opened;
  const reader = readable.getReader();
  assert.deepEqual(await reader.read(), { value: 'last words', done: false });
  assert.deepEqual(await reader.read(), { value: undefined, done: true });
  assert.deepEqual(await stream.closed, { closeCode: 4001, reason: 'bye' });
});

test('close() validates like the standard: InvalidAccessError for codes, SyntaxError for long reasons', T, async (t) => {
  const { url } = await echoServer(t);
  const stream = new WebSocketStream(url);
  await stream.opened;
  for (const closeCode of [999, 1001, 1005, 1006, 2999, 5000, 3000.5]) {
    assert.throws(() => stream.close({ closeCode }), (error) => error instanceof DOMException && error.name === 'InvalidAccessError', `code ${closeCode}`);
  }
  assert.throws(() => stream.close({ closeCode: 1000, reason: 'x'.repeat(124) }), (error) => error instanceof DOMException && error.name === 'SyntaxError');
  assert.throws(() => new WebSocketError('m', { closeCode: 1001 }), (error) => error.name === 'InvalidAccessError');
  const error = new WebSocketError('custom', { reason: 'r' });
  assert.ok(error instanceof DOMException);
  assert.deepEqual([error.name, error.message, error.closeCode, error.reason], ['WebSocketError', 'custom', 1000, 'r']);
  stream.close({ closeCode: 1000, reason: 'é'.repeat(61) });
  assert.deepEqual(await stream.closed, { closeCode: 1000, reason: 'é'.repeat(61) });
});

test('bad URLs throw a SyntaxError DOMException synchronously', () => {
  for (const url of ['not a url', 'ftp://example.com/', 'ws://example.com/#fragment']) {
    assert.throws(() => new WebSocketStream(url), (error) => error instanceof DOMException && error.name === 'SyntaxError', url);
  }
});

test('a signal aborted before construction: no connection at all; opened and closed reject with its reason', T, async (t) => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => closeServer(server));
  let connections = 0;
  server.on('connection', () => connections++);
  const reason = new Error('changed my mind');
  const stream = new WebSocketStream(`ws://127.0.0.1:${server.address().port}`, { signal: AbortSignal.abort(reason) });
  await assert.rejects(stream.opened, (error) => error === reason);
  await assert.rejects(stream.closed, (error) => error === reason);
  await delay(50);
  assert.equal(connections, 0);
});

test('aborting during the handshake fails the connection with the signal\'s reason; after open it does nothing', T, async (t) => {
  // A server that accepts TCP and never answers the upgrade.
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => closeServer(server));
  const controller = new AbortController();
  const stream = new WebSocketStream(`ws://127.0.0.1:${server.address().port}`, { signal: controller.signal });
  const [socket] = await once(server, 'connection');
  const peerClosed = once(socket, 'close');
  controller.abort();
  await assert.rejects(stream.opened, (error) => error instanceof DOMException && error.name === 'AbortError');
  await assert.rejects(stream.closed, (error) => error.name === 'AbortError');
  await withTimeout(peerClosed, 'the aborted TCP connection closes');

  const { seen, url } = await echoServer(t);
  const late = new AbortController();
  const open = new WebSocketStream(url, { signal: late.signal });
  await open.opened;
  late.abort();
  await delay(30);
  open.close({ closeCode: 1000 });
  assert.deepEqual(await open.closed, { closeCode: 1000, reason: '' });
  assert.deepEqual(seen.closes, [[1000, '']]);
});

test('close() before open fails the connection: opened and closed reject with a WebSocketError', T, async (t) => {
  const { url } = await echoServer(t);
  const stream = new WebSocketStream(url);
  stream.close();
  await assert.rejects(stream.opened, (error) => error instanceof WebSocketError && error.closeCode === null);
  await assert.rejects(stream.closed, WebSocketError);
});

test('a refused connection rejects opened and closed with a WebSocketError', T, async () => {
  const stream = new WebSocketStream(`ws://127.0.0.1:${await unusedPort()}`);
  await assert.rejects(stream.opened, (error) => error instanceof WebSocketError && /ECONNREFUSED/.test(error.message));
  await assert.rejects(stream.closed, WebSocketError);
});

test('an unclean close rejects closed with closeCode 1006 and errors both streams', T, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => ws.terminate());
  const stream = new WebSocketStream(`ws://127.0.0.1:${wss.address().port}`);
  const { readable, writable } = await stream.opened;
  const error = await stream.closed.then(() => null, (e) => e);
  assert.ok(error instanceof WebSocketError);
  assert.equal(error.closeCode, 1006);
  await assert.rejects(readable.getReader().read(), (e) => e === error);
  await assert.rejects(writable.getWriter().write('x'), (e) => e === error);
});

test('readable.cancel() and writer.abort() close with the code of a WebSocketError reason; writer.close() with none', T, async (t) => {
  const { seen, url } = await echoServer(t);
  const a = new WebSocketStream(url);
  await (await a.opened).readable.cancel(new WebSocketError('stop', { closeCode: 4000, reason: 'cancelled' }));
  assert.deepEqual(await a.closed, { closeCode: 4000, reason: 'cancelled' });
  const b = new WebSocketStream(url);
  await (await b.opened).writable.abort(new WebSocketError('stop', { closeCode: 3999, reason: 'aborted' }));
  assert.deepEqual(await b.closed, { closeCode: 3999, reason: 'aborted' });
  const c = new WebSocketStream(url);
  await (await c.opened).writable.getWriter().close();
  assert.deepEqual(await c.closed, { closeCode: 1005, reason: '' });
  const d = new WebSocketStream(url);
  await (await d.opened).readable.cancel(new Error('not a WebSocketError'));
  assert.deepEqual(await d.closed, { closeCode: 1005, reason: '' });
  assert.deepEqual(seen.closes, [[4000, 'cancelled'], [3999, 'aborted'], [1005, ''], [1005, '']]);
});

test('writer.write() rejects once the connection is gone', T, async (t) => {
  const { url, wss } = await echoServer(t);
  const stream = new WebSocketStream(url);
  const { writable } = await stream.opened;
  const writer = writable.getWriter();
  await writer.write('no-echo');
  const [server] = wss.clients;
  server.close(1001, 'leaving');
  assert.deepEqual(await stream.closed, { closeCode: 1001, reason: 'leaving' });
  await assert.rejects(writer.write('too late'));
});

test('close() while the reader is behind: the socket is read to its end (clean close), what does not fit is dropped', T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: false });
  const size = 256 * 1024;
  wss.on('connection', (ws) => ws.on('message', () => [...Array(20).keys()].forEach((i) => ws.send(Buffer.alloc(size, i)))));
  const stream = new WebSocketStream(`ws://127.0.0.1:${wss.address().port}`, { readableHighWaterMark: size, perMessageDeflate: false });
  const { readable, writable } = await stream.opened;
  await writable.getWriter().write('go');
  // Wait until the first message is queued (the socket is then paused), without reading it.
  const reader = readable.getReader();
  const first = await reader.read();
  stream.close({ closeCode: 1000 });
  assert.deepEqual(await stream.closed, { closeCode: 1000, reason: '' });
  const rest = [];
  for (let result = await reader.read(); !result.done; result = await reader.read()) rest.push(result.value[0]);
  assert.equal(first.value[0], 0);
  // What was kept is an in-order run of messages no bigger than the high-water mark plus one message.
  assert.ok(rest.length <= 2, `kept ${rest.length}`);
  rest.forEach((value, i) => assert.equal(value, i + 1));
});
