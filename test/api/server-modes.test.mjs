// WebSocketServer attachment modes (SPEC §3): `server` (event forwarding), `noServer` + handleUpgrade, the
// internal server's 'error', bytes that arrive with the upgrade (`head`) and 'wsClientError'.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';

import { WebSocket, WebSocketServer } from '../helpers/impl.mjs';
import {
  SUCCESS_HEAD,
  exitGuard,
  maskedClose,
  maskedFrame,
  onceEvent,
  openRaw,
  readToClose,
  rejection,
  sendRaw,
  startHttp,
  startServer,
  stopHttp,
  stopServer,
  upgradeRequest,
  withTimeout,
} from '../helpers/server-helpers.mjs';

const T = { timeout: 15000 };
exitGuard();

/** Unmasked server close frame with code 1000 and no reason (RFC 6455 §5.5.1). */
const SERVER_CLOSE_1000 = Buffer.from([0x88, 0x02, 0x03, 0xe8]);

/** Record 'message' and 'close' of a server-side socket as plain values. */
function record(ws) {
  const events = [];
  ws.on('message', (data, isBinary) => events.push(['message', Buffer.from(data).toString(), isBinary]));
  ws.on('close', (code, reason) => events.push(['close', code, reason.toString()]));
  return events;
}

test("server mode: attaches to 'upgrade', forwards 'listening' (no args) and accepts connections", T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  t.after(() => stopServer(wss));
  assert.equal(server.listenerCount('upgrade'), 1);
  const listening = onceEvent(wss, 'listening');
  await startHttp(t, server);
  assert.deepEqual(await listening, []);

  const connected = onceEvent(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${server.address().port}/s`);
  await onceEvent(client, 'open');
  const [ws, req] = await connected;
  assert.equal(req.url, '/s');
  assert.equal(wss.clients.has(ws), true);
  client.terminate();
  await stopServer(wss);
  await stopHttp(server);
});

test(
  "server mode: the http server's 'error' is re-emitted on the WebSocketServer with the same object",
  T,
  async (t) => {
    const blocker = net.createServer();
    await startHttp(t, blocker);
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    t.after(() => stopServer(wss));
    const forwarded = onceEvent(wss, 'error');
    const own = onceEvent(server, 'error');
    server.listen(blocker.address().port, '127.0.0.1');
    const [[wssErr], [serverErr]] = await Promise.all([forwarded, own]);
    assert.equal(wssErr, serverErr);
    assert.equal(wssErr.code, 'EADDRINUSE');
    await stopServer(wss);
  },
);

test('server mode: plain HTTP requests stay with the application handler', T, async (t) => {
  const server = http.createServer((req, res) => res.end('app'));
  const wss = new WebSocketServer({ server });
  t.after(() => stopServer(wss));
  await startHttp(t, server);
  const raw = await sendRaw(server.address().port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(raw.endsWith('\r\n\r\napp'));
  await stopServer(wss);
  await stopHttp(server);
});

test("port mode: the internal server's 'error' is emitted on the WebSocketServer", T, async (t) => {
  const blocker = net.createServer();
  await startHttp(t, blocker);
  const wss = new WebSocketServer({ port: blocker.address().port, host: '127.0.0.1' });
  t.after(() => stopServer(wss));
  const [err] = await onceEvent(wss, 'error');
  assert.equal(err.code, 'EADDRINUSE');
});

test("noServer: handleUpgrade calls cb(ws, req) without emitting 'connection'; the client is tracked", T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  t.after(() => stopServer(wss));
  let connectionEvents = 0;
  wss.on('connection', () => {
    connectionEvents += 1;
  });
  const upgraded = new Promise((resolve) => {
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (...args) => resolve({ args, req, tracked: wss.clients.size }));
    });
  });
  await startHttp(t, server);
  const { socket, head } = await openRaw(server.address().port, upgradeRequest({ path: '/n' }));
  const { args, req, tracked } = await withTimeout(upgraded, 'handleUpgrade cb');
  assert.equal(head, SUCCESS_HEAD);
  assert.equal(args.length, 2);
  assert.ok(args[0] instanceof WebSocket);
  assert.equal(args[0].readyState, WebSocket.OPEN);
  assert.equal(args[1], req);
  assert.equal(tracked, 1);
  assert.equal(connectionEvents, 0);
  socket.destroy();
  await stopServer(wss);
  await stopHttp(server);
});

test('noServer: handleUpgrade called twice for one socket throws', T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  t.after(() => stopServer(wss));
  const second = new Promise((resolve) => {
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, () => {});
      try {
        wss.handleUpgrade(req, socket, head, () => {});
        resolve(null);
      } catch (err) {
        resolve(err);
      }
    });
  });
  await startHttp(t, server);
  const { socket, head } = await openRaw(server.address().port, upgradeRequest());
  const err = await withTimeout(second, 'second handleUpgrade');
  assert.ok(err instanceof Error);
  assert.equal(
    err.message,
    'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
  );
  // The first call still completed the handshake, once.
  assert.equal(head, SUCCESS_HEAD);
  socket.destroy();
  await stopServer(wss);
  await stopHttp(server);
});

test('noServer: handleUpgrade validates the request itself (Upgrade header removed → 400)', T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  t.after(() => stopServer(wss));
  server.on('upgrade', (req, socket, head) => {
    delete req.headers.upgrade;
    wss.handleUpgrade(req, socket, head, () => assert.fail('must not upgrade'));
  });
  await startHttp(t, server);
  assert.equal(
    await sendRaw(server.address().port, upgradeRequest()),
    rejection(400, 'Bad Request', 'Invalid Upgrade header'),
  );
  await stopServer(wss);
  await stopHttp(server);
});

test('head passed to handleUpgrade is parsed first and exactly once', T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  t.after(() => stopServer(wss));
  let events;
  const accepted = new Promise((resolve) => {
    server.on('upgrade', (req, socket) => {
      // A synthetic head: two frames the application already read from the socket.
      const head = Buffer.concat([maskedFrame(0x1, 'from-head'), maskedFrame(0x2, 'bin')]);
      wss.handleUpgrade(req, socket, head, (ws) => {
        events = record(ws);
        resolve(ws);
      });
    });
  });
  await startHttp(t, server);
  const { socket, rest } = await openRaw(server.address().port, upgradeRequest());
  const ws = await withTimeout(accepted, 'handleUpgrade cb');
  const closed = onceEvent(ws, 'close');
  socket.write(maskedFrame(0x1, 'after'));
  socket.write(maskedClose(1000));
  const bytes = await readToClose(socket, rest);
  await closed;
  assert.deepEqual(events, [
    ['message', 'from-head', false],
    ['message', 'bin', true],
    ['message', 'after', false],
    ['close', 1000, ''],
  ]);
  assert.deepEqual(bytes, SERVER_CLOSE_1000);
  await stopServer(wss);
  await stopHttp(server);
});

test('port mode: frames sent in the same write as the request are processed exactly once', T, async (t) => {
  const wss = await startServer(t);
  let events;
  let closed;
  wss.on('connection', (ws) => {
    events = record(ws);
    closed = onceEvent(ws, 'close');
  });
  const request = Buffer.concat([Buffer.from(upgradeRequest()), maskedFrame(0x1, 'early'), maskedFrame(0x1, 'two')]);
  const { socket, head, rest } = await openRaw(wss.address().port, request);
  assert.equal(head, SUCCESS_HEAD);
  socket.write(maskedFrame(0x1, 'late'));
  socket.write(maskedClose(1000));
  const bytes = await readToClose(socket, rest);
  assert.deepEqual(bytes, SERVER_CLOSE_1000);
  // 'connection' fired before the 101 head reached us, so `closed` is set.
  await closed;
  assert.deepEqual(events, [
    ['message', 'early', false],
    ['message', 'two', false],
    ['message', 'late', false],
    ['close', 1000, ''],
  ]);
  await stopServer(wss);
});

const CLIENT_ERRORS = [
  ['method', { method: 'POST' }, 'Invalid HTTP method'],
  ['upgrade', { headers: { Upgrade: 'nope' } }, 'Invalid Upgrade header'],
  ['key', { headers: { 'Sec-WebSocket-Key': 'short' } }, 'Missing or invalid Sec-WebSocket-Key header'],
  ['version', { headers: { 'Sec-WebSocket-Version': '9' } }, 'Missing or invalid Sec-WebSocket-Version header'],
  ['protocol', { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } }, 'Invalid Sec-WebSocket-Protocol header'],
  [
    'extensions',
    { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; nope' } },
    'Invalid or unacceptable Sec-WebSocket-Extensions header',
  ],
];

test("'wsClientError'(err, socket, req) replaces the response for checks 1–4, 6, 7; socket left open", T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: true });
  const calls = [];
  wss.on('wsClientError', (...args) => {
    const [err, socket, req] = args;
    calls.push({
      argc: args.length,
      isError: err instanceof Error,
      message: err.message,
      isSocket: socket instanceof net.Socket,
      destroyed: socket.destroyed,
      writable: socket.writable,
      method: req.method,
    });
    // The server wrote nothing and did not close: our own response is all the client sees.
    setImmediate(() => socket.end(`HTTP/1.1 499 Custom\r\nX-Check: ${calls.length}\r\n\r\n`));
  });
  let index = 0;
  for (const [name, request, message] of CLIENT_ERRORS) {
    index += 1;
    const raw = await sendRaw(wss.address().port, upgradeRequest(request));
    assert.equal(raw, `HTTP/1.1 499 Custom\r\nX-Check: ${index}\r\n\r\n`, name);
    assert.deepEqual(
      calls.at(-1),
      {
        argc: 3,
        isError: true,
        message,
        isSocket: true,
        destroyed: false,
        writable: true,
        method: request.method ?? 'GET',
      },
      name,
    );
  }
  assert.equal(calls.length, CLIENT_ERRORS.length);
  await stopServer(wss);
});

test("'wsClientError' is not emitted for path, verifyClient or closed-server rejections", T, async (t) => {
  const wss = await startServer(t, { path: '/p', verifyClient: (info) => info.req.headers['x-ok'] === '1' });
  let calls = 0;
  wss.on('wsClientError', () => {
    calls += 1;
  });
  assert.equal(
    await sendRaw(wss.address().port, upgradeRequest({ path: '/q' })),
    rejection(400, 'Bad Request', 'Bad Request'),
  );
  assert.equal(
    await sendRaw(wss.address().port, upgradeRequest({ path: '/p' })),
    rejection(401, 'Unauthorized', 'Unauthorized'),
  );
  assert.equal(calls, 0);
  await stopServer(wss);

  const closed = new WebSocketServer({ noServer: true });
  closed.on('wsClientError', () => {
    calls += 1;
  });
  await withTimeout(new Promise((resolve) => closed.close(resolve)), 'close');
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => closed.handleUpgrade(req, socket, head, () => assert.fail('upgraded')));
  await startHttp(t, server);
  assert.equal(
    await sendRaw(server.address().port, upgradeRequest()),
    rejection(503, 'Service Unavailable', 'Service Unavailable'),
  );
  assert.equal(calls, 0);
  await stopHttp(server);
});

test("'wsClientError' in noServer mode is emitted from handleUpgrade", T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  t.after(() => stopServer(wss));
  const seen = [];
  wss.on('wsClientError', (err, socket, req) => {
    seen.push([err.message, req.url]);
    socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => assert.fail('upgraded')));
  await startHttp(t, server);
  const raw = await sendRaw(
    server.address().port,
    upgradeRequest({ path: '/z', headers: { 'Sec-WebSocket-Version': '1' } }),
  );
  assert.equal(raw, '');
  assert.deepEqual(seen, [['Missing or invalid Sec-WebSocket-Version header', '/z']]);
  await stopServer(wss);
  await stopHttp(server);
});
