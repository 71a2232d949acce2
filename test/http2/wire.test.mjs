// Wire checks of the sockwire client and server against raw node:http2 peers (RFC 8441): the client sends no
// extended CONNECT before the server's SETTINGS, falls back to HTTP/1.1 on a new connection when the setting is
// absent and on the same TLS connection when ALPN picks http/1.1, sends no Sec-WebSocket-Key/Upgrade/Connection,
// masks its frames; the server answers with :status 200 and no HTTP/1.1 handshake headers; the client treats any
// other status as a failure.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { ca, cert, clientOptions, closed, key, nextMessage, openClient, sockwire, startH2 } from '../helpers/h2-fixture.mjs';
import { connectHeaders, rawRequest, rawSession } from '../helpers/h2-raw-client.mjs';

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return server.address().port;
}

/** Frame types of RFC 9113 §6. */
const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, WINDOW_UPDATE: 8 };

test('no extended CONNECT before the server SETTINGS arrive (RFC 8441 §3)', async () => {
  const h2 = await startH2({ secure: false });
  cleanups.push(() => h2.close());
  h2.wss.on('connection', (ws) => ws.send('opened'));
  // A TCP relay that holds the server's bytes back and records the client's frame types.
  const seen = [];
  let released = false;
  const relay = net.createServer((client) => {
    const upstream = net.connect(h2.port, '127.0.0.1');
    const held = [];
    let buffered = Buffer.alloc(0);
    let prefaceSkipped = false;
    client.on('data', (chunk) => {
      upstream.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      if (!prefaceSkipped && buffered.length >= 24) {
        assert.equal(buffered.subarray(0, 24).toString('latin1'), 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
        buffered = buffered.subarray(24);
        prefaceSkipped = true;
      }
      while (prefaceSkipped && buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        seen.push({ type: buffered[3], released });
        buffered = buffered.subarray(9 + length);
      }
    });
    upstream.on('data', (chunk) => (released ? client.write(chunk) : held.push(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
    relay.release = () => {
      released = true;
      for (const chunk of held.splice(0)) client.write(chunk);
    };
  });
  const port = await listen(relay);
  const ws = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`, clientOptions(false));
  // Wait until the client's preface and SETTINGS went through, then give it time to (wrongly) send HEADERS.
  while (!seen.some((frame) => frame.type === FRAME.SETTINGS)) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(seen.filter((frame) => frame.type === FRAME.HEADERS).length, 0);
  relay.release();
  assert.equal((await nextMessage(ws))[0].toString(), 'opened');
  const headers = seen.filter((frame) => frame.type === FRAME.HEADERS);
  assert.equal(headers.length, 1);
  assert.equal(headers[0].released, true);
  ws.terminate();
});

test('falls back to HTTP/1.1 on a new connection when SETTINGS_ENABLE_CONNECT_PROTOCOL is absent (TLS, h2 by ALPN)', async () => {
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true });
  const wss = new sockwire.WebSocketServer({ noServer: true });
  let streams = 0;
  let tlsConnections = 0;
  server.on('stream', () => streams++);
  server.on('secureConnection', () => tlsConnections++);
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${req.httpVersion}`)));
  const port = await listen(server);
  const ws = new sockwire.WebSocket(`wss://127.0.0.1:${port}/`, clientOptions(true));
  assert.equal((await nextMessage(ws))[0].toString(), 'hello 1.1');
  assert.equal(ws.httpVersion, '1.1');
  assert.equal(streams, 0);
  assert.equal(tlsConnections, 2);
  ws.terminate();
});

test('when ALPN picks http/1.1 the upgrade goes over that same TLS connection; other waiters connect anew', async () => {
  const wss = new sockwire.WebSocketServer({ noServer: true });
  const h1 = https.createServer({ key, cert, ALPNProtocols: ['http/1.1'] });
  let tlsConnections = 0;
  const negotiated = [];
  h1.on('secureConnection', (socket) => {
    tlsConnections++;
    negotiated.push(socket.alpnProtocol);
  });
  h1.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${req.httpVersion}`)));
  const port = await listen(h1);
  const one = new sockwire.WebSocket(`wss://127.0.0.1:${port}/`, clientOptions(true));
  assert.equal((await nextMessage(one))[0].toString(), 'hello 1.1');
  assert.equal(one.httpVersion, '1.1');
  assert.equal(tlsConnections, 1);
  assert.deepEqual(negotiated, ['http/1.1']);
  one.terminate();
  // Three sockets waiting for one connection: the first takes it, the two others open their own.
  const three = [1, 2, 3].map(() => new sockwire.WebSocket(`wss://127.0.0.1:${port}/`, clientOptions(true)));
  const greetings = await Promise.all(three.map((ws) => nextMessage(ws)));
  assert.deepEqual(greetings.map(([data]) => data.toString()), ['hello 1.1', 'hello 1.1', 'hello 1.1']);
  assert.equal(tlsConnections, 4);
  for (const ws of three) ws.terminate();
});

test('falls back with h2c prior knowledge when the h2 server lacks the setting', async () => {
  const wss = new sockwire.WebSocketServer({ noServer: true });
  const greet = (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${req.httpVersion}`));

  // One cleartext port: HTTP/2 prior knowledge goes to an h2 server without the setting, the rest to HTTP/1.1.
  const h2c = http2.createServer();
  let h2Sessions = 0;
  h2c.on('session', () => h2Sessions++);
  const plain = http.createServer();
  plain.on('upgrade', greet);
  const splitter = net.createServer((socket) => {
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      (chunk.toString('latin1').startsWith('PRI * HTTP/2.0') ? h2c : plain).emit('connection', socket);
      socket.resume();
    });
  });
  const port = await listen(splitter);
  const prior = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`, clientOptions(false));
  assert.equal((await nextMessage(prior))[0].toString(), 'hello 1.1');
  assert.equal(h2Sessions, 1);
  prior.terminate();
});

test('the extended CONNECT carries the RFC 8441 headers, no Sec-WebSocket-Key, and masked frames', async () => {
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  const requests = [];
  const maskBits = [];
  server.on('stream', (stream, headers) => {
    requests.push({ ...headers });
    stream.respond({ ':status': 200, 'sec-websocket-protocol': 'chat' });
    stream.once('data', (frame) => {
      // RFC 6455 §5.3: client frames are masked over HTTP/2 too; unmask the 5-byte text "hello" and echo it.
      maskBits.push(frame[1] & 0x80);
      const length = frame[1] & 0x7f;
      const mask = frame.subarray(2, 6);
      const payload = Buffer.from(frame.subarray(6, 6 + length).map((byte, i) => byte ^ mask[i % 4]));
      stream.write(Buffer.concat([Buffer.from([0x81, length]), payload]));
    });
  });
  const port = await listen(server);
  const ws = new sockwire.WebSocket(`ws://user:p%40ss@127.0.0.1:${port}/path?q=1`, ['chat', 'other'], {
    ...clientOptions(false),
    origin: 'https://app.example',
    headers: { 'X-Custom': 'yes', Connection: 'keep-alive', Host: 'example.test' }
  });
  await once(ws, 'open');
  ws.send('hello');
  const [echo] = await nextMessage(ws);
  assert.equal(echo.toString(), 'hello');
  const [request] = requests;
  const names = Object.keys(request).sort();
  assert.deepEqual(names, [
    ':authority', ':method', ':path', ':protocol', ':scheme', 'authorization', 'origin',
    'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-version', 'x-custom'
  ]);
  assert.equal(request[':method'], 'CONNECT');
  assert.equal(request[':protocol'], 'websocket');
  assert.equal(request[':scheme'], 'http');
  assert.equal(request[':authority'], 'example.test');
  assert.equal(request[':path'], '/path?q=1');
  assert.equal(request['sec-websocket-version'], '13');
  assert.equal(request['sec-websocket-protocol'], 'chat,other');
  assert.equal(request['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
  assert.equal(request.authorization, 'Basic ' + Buffer.from('user:p@ss').toString('base64'));
  assert.equal(ws.protocol, 'chat');
  assert.equal(ws.extensions, '');
  assert.deepEqual(maskBits, [0x80]);
  ws.terminate();
});

test('the sockwire server answers :status 200 with only the negotiated headers', async () => {
  const h2 = await startH2({ secure: true, wss: { perMessageDeflate: true, handleProtocols: () => 'chat' } });
  cleanups.push(() => h2.close());
  const { session } = await rawSession(h2.origin);
  cleanups.push(() => session.destroy());
  const answer = await rawRequest(session, connectHeaders('/', { 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' }));
  assert.equal(answer.status, 200);
  const names = Object.keys(answer.headers).filter((name) => name !== 'date').sort();
  assert.deepEqual(names, [':status', 'sec-websocket-extensions', 'sec-websocket-protocol']);
  assert.equal(answer.headers['sec-websocket-extensions'], 'permessage-deflate');
  answer.stream.close(http2.constants.NGHTTP2_CANCEL);
});

test('the client fails on any status but 200 (RFC 8441 §5), 2xx included, and on a subprotocol it did not offer', async () => {
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  server.on('stream', (stream, headers) => {
    const status = { '/missing': 404, '/no-content': 204, '/created': 201 }[headers[':path']];
    if (status === 204) stream.respond({ ':status': 204 }, { endStream: true });
    else if (status !== undefined) {
      stream.respond({ ':status': status });
      stream.end(`status ${status}`);
    } else stream.respond({ ':status': 200, 'sec-websocket-protocol': 'unasked' });
  });
  const port = await listen(server);
  const failure = async (path) => {
    const ws = new sockwire.WebSocket(`ws://127.0.0.1:${port}${path}`, clientOptions(false));
    const events = [];
    ws.on('open', () => events.push('open'));
    ws.on('error', (error) => events.push(`error ${error.message}`));
    const [code] = await closed(ws);
    events.push(`close ${code}`);
    return events;
  };
  assert.deepEqual(await failure('/missing'), ['error Unexpected server response: 404', 'close 1006']);
  assert.deepEqual(await failure('/no-content'), ['error Unexpected server response: 204', 'close 1006']);
  assert.deepEqual(await failure('/created'), ['error Unexpected server response: 201', 'close 1006']);
  assert.deepEqual(await failure('/proto'), ['error Server sent a subprotocol but none was requested', 'close 1006']);
});

test("a status other than 200 goes to an 'unexpected-response' listener, as a non-101 does on HTTP/1.1", async () => {
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  server.on('stream', (stream) => {
    stream.respond({ ':status': 201, 'x-why': 'made' });
    stream.end('a body');
  });
  const port = await listen(server);
  const ws = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`, clientOptions(false));
  const events = [];
  ws.on('open', () => events.push('open'));
  ws.on('error', (error) => events.push(`error ${error.message}`));
  const [req, res] = await once(ws, 'unexpected-response');
  assert.equal(req, ws._req);
  assert.equal(res.statusCode, 201);
  assert.equal(res.httpVersion, '2.0');
  assert.equal(res.headers['x-why'], 'made');
  let body = '';
  for await (const chunk of res.stream) body += chunk;
  assert.equal(body, 'a body');
  // The listener owns the outcome: the socket is still connecting until the app ends it.
  assert.equal(ws.readyState, sockwire.WebSocket.CONNECTING);
  const closing = closed(ws);
  ws.terminate();
  assert.deepEqual(await closing, [1006, '']);
  assert.deepEqual(events, ['error WebSocket was closed before the connection was established']);
});

test('handshakeTimeout bounds a server that never sends SETTINGS', async () => {
  const silent = net.createServer((socket) => socket.on('data', () => {}));
  const port = await listen(silent);
  const ws = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`, clientOptions(false, { handshakeTimeout: 200 }));
  const events = [];
  ws.on('error', (error) => events.push(error.message));
  const [code] = await closed(ws);
  assert.deepEqual(events, ['Opening handshake has timed out']);
  assert.equal(code, 1006);
});

test('TLS options are honoured: without the test CA the certificate is refused', async () => {
  const h2 = await startH2({ secure: true });
  cleanups.push(() => h2.close());
  const ws = new sockwire.WebSocket(h2.url('/'), { http2: true });
  const events = [];
  ws.on('error', (error) => events.push(error.code));
  const [code] = await closed(ws);
  assert.deepEqual(events, ['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
  assert.equal(code, 1006);
  const trusted = await openClient(h2.url('/'), { http2: true, ca });
  assert.equal(trusted.httpVersion, '2.0');
  trusted.terminate();
});

test("the client's HTTP/1.1 opt-outs: ws: with http2: true, agent, createConnection, protocolVersion 8", async () => {
  // One TLS port serving both protocols; a cleartext HTTP/1.1-only port for ws:.
  const h2 = await startH2({ secure: true });
  cleanups.push(() => h2.close());
  const plain = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => new Promise((resolve) => plain.close(resolve)));
  await once(plain, 'listening');
  const seen = [];
  for (const wss of [h2.wss, plain]) wss.on('connection', (ws, req) => seen.push(`${req.url} ${req.httpVersion}`));
  const agent = new https.Agent({ ca });
  cleanups.push(() => agent.destroy());
  const cases = [
    ['/ws-scheme', `ws://127.0.0.1:${plain.address().port}/ws-scheme`, { http2: true }],
    ['/agent', h2.url('/agent'), { http2: true, agent }],
    // The app's own TLS connection (no ALPN): the allowHTTP1 server takes it as HTTP/1.1.
    ['/create-connection', h2.url('/create-connection'), { http2: true, createConnection: (options) => tls.connect({ ...options, ca, servername: '' }) }],
    ['/version-8', h2.url('/version-8'), { http2: true, ca, protocolVersion: 8 }]
  ];
  for (const [path, url, options] of cases) {
    const ws = await openClient(url, options);
    assert.equal(ws.httpVersion, '1.1', path);
    ws.terminate();
  }
  assert.deepEqual(seen, cases.map(([path]) => `${path} 1.1`));
});
