// The WebSocketServer API over HTTP/2 (RFC 8441): admission hooks answer with HTTP/2 status responses, the
// negotiation hooks see an Http2ServerRequest-like request, one TLS port serves HTTP/1.1 upgrades and HTTP/2
// extended CONNECTs, port mode creates the HTTP/2 server itself, SETTINGS_ENABLE_CONNECT_PROTOCOL is advertised only
// while a WebSocketServer serves there, and an app's own 'request' listener no longer turns CONNECTs into 405.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import { ca, cert, clientOptions, closed, key, nextConnection, nextMessage, openClient, sockwire, startH2 } from '../helpers/h2-fixture.mjs';
import { connectHeaders, rawRequest, rawSession } from '../helpers/h2-raw-client.mjs';

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function start(options) {
  const h2 = await startH2(options);
  cleanups.push(() => h2.close());
  return h2;
}
async function raw(origin) {
  const { session, settings } = await rawSession(origin);
  cleanups.push(() => session.destroy());
  return { session, settings };
}

/** Open a sockwire client and resolve with the error message it fails with. */
function refusal(url, options) {
  const ws = new sockwire.WebSocket(url, options);
  return new Promise((resolve, reject) => {
    ws.on('open', () => reject(new Error('unexpectedly opened')));
    ws.on('error', (error) => ws.once('close', (code) => resolve(`${error.message} / ${code}`)));
  });
}

describe('admission over HTTP/2', () => {
  test('verifyClient: sync false is 401; async with code, message and headers is that response', async () => {
    const h2 = await start({
      wss: {
        verifyClient: (info, done) => {
          if (info.req.url === '/sync') return done(false);
          assert.equal(info.secure, true);
          assert.equal(info.origin, 'https://app.example');
          done(false, 403, 'Not you', { 'X-Reason': 'test' });
        }
      }
    });
    const { session } = await raw(h2.origin);
    const plain = await rawRequest(session, connectHeaders('/sync'));
    assert.equal(plain.status, 401);
    assert.equal(plain.body, 'Unauthorized');
    const custom = await rawRequest(session, connectHeaders('/async', { origin: 'https://app.example' }));
    assert.equal(custom.status, 403);
    assert.equal(custom.body, 'Not you');
    assert.equal(custom.headers['x-reason'], 'test');
    assert.equal(custom.headers['content-type'], 'text/html');
    assert.equal(await refusal(h2.url('/sync'), clientOptions(true)), 'Unexpected server response: 401 / 1006');
    // The refused streams did not hurt the session.
    assert.equal(session.destroyed, false);
  });

  test('authenticate, allowedOrigins and maxConnections refuse with 401, 403 and 503', async () => {
    const h2 = await start({
      secure: false,
      wss: {
        authenticate: (req) => (req.headers.authorization === 'Bearer good' ? { user: 'ann' } : false),
        allowedOrigins: ['https://ok.example'],
        maxConnections: 1
      }
    });
    const { session } = await raw(h2.origin);
    assert.equal((await rawRequest(session, connectHeaders('/', { origin: 'https://evil.example' }))).status, 403);
    assert.equal((await rawRequest(session, connectHeaders('/', { origin: 'https://ok.example' }))).status, 401);
    const accepted = once(h2.wss, 'connection');
    const ws = await openClient(h2.url('/'), clientOptions(false, { origin: 'https://ok.example', headers: { Authorization: 'Bearer good' } }));
    const [serverWs, req, data] = await accepted;
    assert.deepEqual(data, { user: 'ann' });
    assert.deepEqual(serverWs.data, { user: 'ann' });
    assert.equal(req.headers.authorization, 'Bearer good');
    const full = await rawRequest(session, connectHeaders('/', { origin: 'https://ok.example', authorization: 'Bearer good' }));
    assert.equal(full.status, 503);
    ws.close();
    await closed(ws);
  });

  test('path: another path is 400; bad requests get their status', async () => {
    const h2 = await start({ secure: false, wss: { path: '/ws' } });
    const { session } = await raw(h2.origin);
    assert.equal((await rawRequest(session, connectHeaders('/other'))).status, 400);
    const version = await rawRequest(session, connectHeaders('/ws', { 'sec-websocket-version': '8' }));
    assert.equal(version.status, 400);
    assert.equal(version.headers['sec-websocket-version'], '13');
    assert.equal((await rawRequest(session, connectHeaders('/ws', { ':protocol': 'chat' }))).status, 400);
    const ok = await rawRequest(session, connectHeaders('/ws?x=1'));
    assert.equal(ok.status, 200);
    ok.stream.close(http2.constants.NGHTTP2_CANCEL);
  });

  test('an overridden shouldHandle routes HTTP/2 CONNECTs: a path it refuses is 400 and reaches no other hook', async () => {
    const routed = [];
    const verified = [];
    class Routed extends sockwire.WebSocketServer {
      shouldHandle(req) {
        routed.push(`${req.httpVersion} ${req.url}`);
        return req.url.startsWith('/rooms/');
      }
    }
    const server = http2.createServer();
    const wss = new Routed({ server, verifyClient: ({ req }) => verified.push(req.url) > 0 });
    const accepted = [];
    wss.on('connection', (ws, req) => accepted.push(req.url));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    cleanups.push(() => wss.close());
    const { session } = await raw(`http://127.0.0.1:${server.address().port}`);
    const refused = await rawRequest(session, connectHeaders('/lobby'));
    assert.equal(refused.status, 400);
    assert.equal(refused.body, 'Bad Request');
    const ok = await rawRequest(session, connectHeaders('/rooms/7'));
    assert.equal(ok.status, 200);
    assert.deepEqual(routed, ['2.0 /lobby', '2.0 /rooms/7']);
    assert.deepEqual(verified, ['/rooms/7']);
    assert.deepEqual(accepted, ['/rooms/7']);
    ok.stream.close(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
  });
});

describe('negotiation over HTTP/2', () => {
  test("handleProtocols, 'headers' and the request object", async () => {
    const h2 = await start({
      wss: {
        perMessageDeflate: true,
        handleProtocols: (protocols, req) => {
          assert.equal(req.httpVersion, '2.0');
          return protocols.has('v2') ? 'v2' : false;
        }
      }
    });
    let headerLines;
    h2.wss.on('headers', (lines, req) => {
      headerLines = [...lines];
      assert.equal(req.headers[':method'], 'CONNECT');
      lines.push('Set-Cookie: session=1', 'Connection: keep-alive');
    });
    const accepted = nextConnection(h2.wss);
    const upgrade = [];
    const ws = new sockwire.WebSocket(h2.url('/neg?q=1'), ['v1', 'v2'], clientOptions(true));
    ws.on('upgrade', (res) => upgrade.push(res));
    await once(ws, 'open');
    const [, req] = await accepted;
    assert.equal(ws.protocol, 'v2');
    assert.equal(ws.extensions, 'permessage-deflate');
    assert.deepEqual(headerLines, ['HTTP/2 200', 'Sec-WebSocket-Protocol: v2', 'Sec-WebSocket-Extensions: permessage-deflate']);
    // RFC 9113 §8.2.2: the connection-specific line the app added was dropped, the cookie was sent.
    assert.equal(upgrade[0].statusCode, 200);
    assert.equal(upgrade[0].headers['set-cookie'][0], 'session=1');
    assert.equal(upgrade[0].headers.connection, undefined);
    assert.equal(upgrade[0].headers['sec-websocket-accept'], undefined);
    assert.equal(req.url, '/neg?q=1');
    assert.equal(req.headers.host, `127.0.0.1:${h2.port}`);
    assert.equal(req.headers['sec-websocket-key'], undefined);
    assert.equal(req.headers['sec-websocket-protocol'], 'v1,v2');
    assert.equal(req.socket.encrypted, true);
    ws.close();
    await closed(ws);
  });
});

describe('one port, both protocols; port mode', () => {
  test('allowHTTP1: HTTP/1.1 upgrades and HTTP/2 streams on one TLS port', async () => {
    const h2 = await start({ secure: true });
    h2.wss.on('connection', (ws) => ws.send(ws.httpVersion));
    const h1Client = new sockwire.WebSocket(h2.url('/'), { ca });
    const h2Client = new sockwire.WebSocket(h2.url('/'), clientOptions(true));
    const [[h1Says], [h2Says]] = await Promise.all([nextMessage(h1Client), nextMessage(h2Client)]);
    assert.equal(h1Says.toString(), '1.1');
    assert.equal(h2Says.toString(), '2.0');
    assert.equal(h1Client.httpVersion, '1.1');
    assert.equal(h2Client.httpVersion, '2.0');
    h1Client.terminate();
    h2Client.terminate();
  });

  for (const [name, option, scheme] of [
    ['http2: { key, cert } (TLS, h2 + http/1.1)', { key, cert }, 'wss'],
    ['http2: true (h2c)', true, 'ws']
  ]) {
    test(`port mode with ${name}`, async () => {
      const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', http2: option });
      cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
      await once(wss, 'listening');
      wss.on('connection', (ws) => ws.send(`over ${ws.httpVersion}`));
      const url = `${scheme}://127.0.0.1:${wss.address().port}/`;
      const ws = new sockwire.WebSocket(url, clientOptions(scheme === 'wss'));
      const [message] = await nextMessage(ws);
      assert.equal(message.toString(), 'over 2.0');
      // A plain request is told to upgrade.
      const { session, settings } = await raw(url.replace(/^ws/, 'http'));
      assert.equal(settings.enableConnectProtocol, true);
      const plain = await new Promise((resolve) => {
        const stream = session.request({ ':path': '/' });
        stream.on('response', (headers) => resolve(headers[':status']));
        stream.resume();
      });
      assert.equal(plain, 426);
      ws.close();
      await closed(ws);
      // The raw session stays open and idle: close() must end it with GOAWAY instead of waiting for it.
      const goaway = once(session, 'goaway');
      const sessionClosed = once(session, 'close');
      await new Promise((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error('wss.close() hung on an idle session')), 30000);
        wss.close((error) => {
          clearTimeout(guard);
          if (error) reject(error);
          else resolve();
        });
      });
      const [code] = await goaway;
      assert.equal(code, http2.constants.NGHTTP2_NO_ERROR);
      await sessionClosed;
    });
  }

  test('the setting is advertised only while a WebSocketServer serves there', async () => {
    const server = http2.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const origin = `http://127.0.0.1:${server.address().port}`;
    const before = await raw(origin);
    assert.equal(before.settings.enableConnectProtocol, false);
    const wss = new sockwire.WebSocketServer({ server });
    const during = await raw(origin);
    assert.equal(during.settings.enableConnectProtocol, true);
    wss.close();
    const after = await raw(origin);
    assert.equal(after.settings.enableConnectProtocol, false);
    for (const { session } of [before, during, after]) session.destroy();
  });

  test('an app that advertised the setting itself keeps it after the WebSocketServer leaves', async () => {
    const server = http2.createServer({ settings: { enableConnectProtocol: true } });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const origin = `http://127.0.0.1:${server.address().port}`;
    const wss = new sockwire.WebSocketServer({ server });
    wss.close();
    const after = await raw(origin);
    // sockwire learns the app's own settings from a Node-internal symbol (ownSettings in src/io/http2-server.ts):
    // if this fails, that Node internal changed and the lookup needs a new way.
    assert.equal(after.settings.enableConnectProtocol, true, "the app's enableConnectProtocol was withdrawn: Node's internal options symbol changed");
    after.session.destroy();
  });

  test("an app 'request' listener does not make Node answer the WebSocket CONNECT with 405 (nodejs/node#36977)", async () => {
    const h2 = await start({ secure: false, onRequest: (req, res) => res.end('page') });
    h2.wss.on('connection', (ws) => ws.send('hi'));
    const ws = new sockwire.WebSocket(h2.url('/'), clientOptions(false));
    assert.equal((await nextMessage(ws))[0].toString(), 'hi');
    // A classic CONNECT (no :protocol) still gets Node's 405.
    const { session } = await raw(h2.origin);
    const classic = await rawRequest(session, { ':method': 'CONNECT', ':authority': 'example.com:443' });
    assert.equal(classic.status, 405);
    ws.terminate();
  });
});

describe('noServer', () => {
  test("handleUpgrade takes the stream of an extended CONNECT from the server's 'connect' event; host from :authority", async () => {
    const server = http2.createServer({ settings: { enableConnectProtocol: true } }, (req, res) => res.end('page'));
    const hosts = [];
    const wss = new sockwire.WebSocketServer({ noServer: true, verifyClient: ({ req }) => hosts.push(req.headers.host) > 0 });
    server.on('connect', (req) => {
      // Node's own Http2ServerRequest: its headers carry :authority only.
      assert.ok(req instanceof http2.Http2ServerRequest);
      assert.equal(req.headers.host, undefined);
      wss.handleUpgrade(req, req.stream, Buffer.alloc(0), (ws, request) => ws.send(`hi ${req.url} ${request.headers.host}`));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const ws = new sockwire.WebSocket(`ws://127.0.0.1:${server.address().port}/no-server`, clientOptions(false));
    const [message] = await nextMessage(ws);
    const authority = `127.0.0.1:${server.address().port}`;
    assert.equal(message.toString(), `hi /no-server ${authority}`);
    assert.deepEqual(hosts, [authority]);
    assert.equal(ws.httpVersion, '2.0');
    const closing = closed(ws);
    ws.close(1000);
    assert.deepEqual(await closing, [1000, '']);
  });
});

describe('features per stream', () => {
  test('heartbeat terminates a silent peer with CANCEL; back-pressure, broadcast and topics work per stream', async () => {
    const h2 = await start({ secure: false, wss: { heartbeat: { interval: 100, timeout: 100 }, maxBackpressure: 64 * 1024 } });
    const { session } = await raw(h2.origin);
    const errors = [];
    h2.wss.on('connectionError', (error) => errors.push(error.code));
    const accepted = nextConnection(h2.wss);
    const silent = await rawRequest(session, connectHeaders('/'));
    const [serverWs] = await accepted;
    // The raw peer never answers the ping: RST_STREAM CANCEL, 1006 on the server.
    assert.deepEqual(await closed(serverWs), [1006, '']);
    assert.deepEqual(errors, ['WS_ERR_HEARTBEAT_TIMEOUT']);
    await once(silent.stream, 'close');
    assert.equal(silent.stream.rstCode, http2.constants.NGHTTP2_CANCEL);

    const clients = await Promise.all([1, 2, 3].map(() => openClient(h2.url('/'), clientOptions(false))));
    const serverSockets = [...h2.wss.clients];
    serverSockets[0].subscribe('room');
    serverSockets[1].subscribe('room');
    const got = clients.map(() => []);
    clients.forEach((ws, i) => ws.on('message', (data) => got[i].push(data.toString())));
    const result = h2.wss.publish('room', 'to the room');
    assert.equal(result.written + result.queued, 2);
    h2.wss.broadcast('to all');
    // An HTTP/2 stream hands writes to nghttp2 asynchronously: a send reports 'queued' until it is taken, never 'dropped'.
    assert.notEqual(serverSockets[2].send('direct'), 'dropped');
    await Promise.all(clients.map((ws) => nextMessage(ws)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const byServer = new Map(serverSockets.map((ws, i) => [ws._socket.id, i]));
    const order = clients.map((ws) => byServer.get(ws._socket.id));
    const expected = [['to the room', 'to all'], ['to the room', 'to all'], ['to all', 'direct']];
    assert.deepEqual(got, order.map((i) => expected[i]));
    for (const ws of clients) ws.terminate();
  });

  test('maxBackpressure drops sends to a stream whose reader stopped, and only to it: its session neighbour flows', async () => {
    const limit = 64 * 1024;
    const h2 = await start({ secure: false, wss: { maxBackpressure: limit } });
    const { session } = await raw(h2.origin);
    // RFC 9113 §6.9: a connection window above the stream window (Node's 64 KiB), so that one stalled stream cannot
    // hold the whole connection; what is tested is sockwire's accounting, per stream.
    session.setLocalWindowSize(4 * 1024 * 1024);
    const accepted = nextConnection(h2.wss);
    const stalled = await rawRequest(session, connectHeaders('/'));
    stalled.stream.pause();
    const [slow] = await accepted;
    const acceptedNeighbour = nextConnection(h2.wss);
    const flowing = await rawRequest(session, connectHeaders('/'));
    const [neighbour] = await acceptedNeighbour;
    assert.equal(neighbour._socket.session, slow._socket.session);
    const received = [];
    flowing.stream.on('data', (chunk) => received.push(chunk));
    const chunk = Buffer.alloc(128 * 1024);
    const statuses = [];
    for (let i = 0; i < 64 && !statuses.includes('dropped'); i++) {
      statuses.push(slow.send(chunk));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(statuses.includes('dropped'), statuses.join());
    assert.ok(slow.bufferedAmount < limit + 2 * chunk.length, `bufferedAmount ${slow.bufferedAmount}`);
    // The other WebSocket on the same HTTP/2 session is not held back: its send goes out and arrives.
    assert.equal(neighbour.bufferedAmount, 0);
    assert.notEqual(neighbour.send('fine'), 'dropped');
    const expected = Buffer.from([0x81, 4, ...Buffer.from('fine')]);
    while (Buffer.concat(received).length < expected.length) await once(flowing.stream, 'data', { signal: AbortSignal.timeout(30000) });
    assert.deepEqual(Buffer.concat(received), expected);
    // Another WebSocket on another session of the same server is not held back either.
    const other = await openClient(h2.url('/'), clientOptions(false));
    const serverOther = [...h2.wss.clients].find((ws) => ws !== slow && ws !== neighbour);
    assert.notEqual(serverOther.send('fine'), 'dropped');
    assert.equal((await nextMessage(other))[0].toString(), 'fine');
    other.terminate();
    neighbour.terminate();
    slow.terminate();
  });

  test('createWebSocketStream over an HTTP/2 WebSocket', async () => {
    const h2 = await start({ secure: true });
    h2.wss.on('connection', (ws) => {
      const duplex = sockwire.createWebSocketStream(ws);
      duplex.on('data', (chunk) => duplex.write(chunk.toString().toUpperCase()));
    });
    const ws = await openClient(h2.url('/'), clientOptions(true));
    const client = sockwire.createWebSocketStream(ws);
    client.write('shout');
    const [reply] = await once(client, 'data');
    assert.equal(reply.toString(), 'SHOUT');
    client.destroy();
  });
});
