// WebSocketServer `verifyClient` (SPEC §3 check 8): sync and async forms, the info object, and the exact
// rejection bytes for the default and custom code / message / headers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { test } from 'node:test';

import { WebSocket, WebSocketServer } from '../helpers/impl.mjs';
import {
  SUCCESS_HEAD,
  onceEvent,
  openRaw,
  rejection,
  sendRaw,
  startServer,
  startHttp,
  stopHttp,
  exitGuard,
  stopServer,
  upgradeRequest,
  withTimeout,
} from '../helpers/server-helpers.mjs';

const T = { timeout: 15000 };
exitGuard();
const R401 = rejection(401, 'Unauthorized', 'Unauthorized');

test('sync verifyClient: info has exactly origin, secure, req; true accepts', T, async (t) => {
  const infos = [];
  const wss = await startServer(t, {
    verifyClient: (info) => {
      infos.push(info);
      return true;
    },
  });
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ path: '/v?x=1', headers: { Origin: 'http://app.example' } }),
  );
  const [, connReq] = await connected;
  assert.equal(head, SUCCESS_HEAD);
  assert.equal(infos.length, 1);
  assert.deepEqual(Object.keys(infos[0]).sort(), ['origin', 'req', 'secure']);
  assert.equal(infos[0].origin, 'http://app.example');
  assert.equal(infos[0].secure, false);
  assert.equal(infos[0].req, connReq);
  assert.equal(infos[0].req.url, '/v?x=1');
  socket.destroy();
  await stopServer(wss);
});

test('sync verifyClient: origin is undefined without an Origin header', T, async (t) => {
  const origins = [];
  const wss = await startServer(t, {
    verifyClient: (info) => {
      origins.push(info.origin);
      return true;
    },
  });
  const { socket } = await openRaw(wss.address().port, upgradeRequest());
  assert.deepEqual(origins, [undefined]);
  socket.destroy();
  await stopServer(wss);
});

test('sync verifyClient returning false: 401 "Unauthorized", no connection', T, async (t) => {
  const wss = await startServer(t, { verifyClient: () => false });
  let connections = 0;
  wss.on('connection', () => {
    connections += 1;
  });
  assert.equal(await sendRaw(wss.address().port, upgradeRequest()), R401);
  assert.equal(connections, 0);
  await stopServer(wss);
});

test('verifyClient is not called when an earlier check fails', T, async (t) => {
  let calls = 0;
  const wss = await startServer(t, {
    path: '/only',
    verifyClient: () => {
      calls += 1;
      return true;
    },
  });
  await sendRaw(wss.address().port, upgradeRequest({ method: 'POST', path: '/only' }));
  await sendRaw(wss.address().port, upgradeRequest({ path: '/other' }));
  await sendRaw(wss.address().port, upgradeRequest({ path: '/only', headers: { 'Sec-WebSocket-Protocol': 'a,a' } }));
  assert.equal(calls, 0);
  await stopServer(wss);
});

test('async verifyClient: cb(true) accepts; cb is called later, not synchronously required', T, async (t) => {
  const wss = await startServer(t, {
    verifyClient: (info, cb) => {
      setImmediate(() => cb(true));
    },
  });
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(wss.address().port, upgradeRequest());
  await connected;
  assert.equal(head, SUCCESS_HEAD);
  socket.destroy();
  await stopServer(wss);
});

test('async verifyClient: cb(false) gives 401 "Unauthorized"', T, async (t) => {
  const wss = await startServer(t, { verifyClient: (info, cb) => cb(false) });
  assert.equal(await sendRaw(wss.address().port, upgradeRequest()), R401);
  await stopServer(wss);
});

test('async verifyClient: cb(false, code) uses the status text as body', T, async (t) => {
  const wss = await startServer(t, { verifyClient: (info, cb) => cb(false, 418) });
  assert.equal(await sendRaw(wss.address().port, upgradeRequest()), rejection(418, "I'm a Teapot", "I'm a Teapot"));
  await stopServer(wss);
});

test('async verifyClient: cb(false, code, message, headers) writes them all', T, async (t) => {
  const wss = await startServer(t, {
    verifyClient: (info, cb) => cb(false, 403, 'Go away', { 'X-Reason': 'banned', 'Retry-After': 60 }),
  });
  assert.equal(
    await sendRaw(wss.address().port, upgradeRequest()),
    rejection(403, 'Forbidden', 'Go away', ['X-Reason: banned', 'Retry-After: 60']),
  );
  await stopServer(wss);
});

test('async verifyClient: Content-Length counts bytes of a non-ASCII message', T, async (t) => {
  const wss = await startServer(t, { verifyClient: (info, cb) => cb(false, 400, 'héllo ✓') });
  const raw = await sendRaw(wss.address().port, upgradeRequest());
  const expected = Buffer.from(rejection(400, 'Bad Request', 'héllo ✓'), 'utf8').toString('latin1');
  assert.equal(raw, expected);
  assert.match(raw, /\r\nContent-Length: 10\r\n/);
  await stopServer(wss);
});

test('async verifyClient: an array header value is written joined by "," as ws does', T, async (t) => {
  const wss = await startServer(t, {
    verifyClient: (info, cb) => cb(false, 401, 'no', { 'Set-Cookie': ['a=1', 'b=2'] }),
  });
  assert.equal(
    await sendRaw(wss.address().port, upgradeRequest()),
    rejection(401, 'Unauthorized', 'no', ['Set-Cookie: a=1,b=2']),
  );
  await stopServer(wss);
});

test('async verifyClient: info carries the same fields as the sync form', T, async (t) => {
  const infos = [];
  const wss = await startServer(t, {
    verifyClient: (info, cb) => {
      infos.push(info);
      cb(false);
    },
  });
  await sendRaw(wss.address().port, upgradeRequest({ path: '/a', headers: { Origin: 'http://o' } }));
  assert.equal(infos.length, 1);
  assert.deepEqual(Object.keys(infos[0]).sort(), ['origin', 'req', 'secure']);
  assert.equal(infos[0].origin, 'http://o');
  assert.equal(infos[0].secure, false);
  assert.equal(infos[0].req.url, '/a');
  await stopServer(wss);
});

test('check 9: server closed while async verifyClient was pending gives 503', T, async (t) => {
  let release;
  const pending = new Promise((resolve) => {
    release = resolve;
  });
  const wss = await startServer(t, {
    verifyClient: (info, cb) => {
      release(cb);
    },
  });
  let connections = 0;
  wss.on('connection', () => {
    connections += 1;
  });
  const response = sendRaw(wss.address().port, upgradeRequest());
  const cb = await withTimeout(pending, 'verifyClient call');
  const closed = new Promise((resolve) => wss.close(resolve));
  cb(true);
  assert.equal(await response, rejection(503, 'Service Unavailable', 'Service Unavailable'));
  await withTimeout(closed, 'wss.close');
  assert.equal(connections, 0);
});

test('verifyClient over TLS: secure is true; version 8 origin comes from Sec-WebSocket-Origin', T, async (t) => {
  const cert = readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url));
  const key = readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url));
  const server = https.createServer({ cert, key });
  const infos = [];
  const wss = new WebSocketServer({
    server,
    verifyClient: (info) => {
      infos.push({ origin: info.origin, secure: info.secure });
      return true;
    },
  });
  wss.on('connection', (ws) => ws.close(1000));
  t.after(() => stopServer(wss));
  await startHttp(t, server);
  const base = `wss://127.0.0.1:${server.address().port}`;
  for (const protocolVersion of [13, 8]) {
    const client = new WebSocket(base, { ca: cert, origin: 'https://o.test', protocolVersion });
    const [code] = await onceEvent(client, 'close');
    assert.equal(code, 1000);
  }
  assert.deepEqual(infos, [
    { origin: 'https://o.test', secure: true },
    { origin: 'https://o.test', secure: true },
  ]);
  await stopServer(wss);
  await stopHttp(server);
});
