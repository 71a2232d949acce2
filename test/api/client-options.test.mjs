// SPEC §4 client options: handshakeTimeout, origin (and Sec-WebSocket-Origin for version 8), headers,
// createConnection, finishRequest, generateMask (exact masked bytes on the wire), and options passed to http.request.
import assert from 'node:assert/strict';
import { ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { once, record, eventNames } from '../helpers/client-events.mjs';
import { closePayload, encodeFrame, startAcceptingServer, startRawServer } from '../helpers/client-raw-server.mjs';

/** Starts an accepting raw server that remembers the request of each connection. */
async function acceptingServer(t, onOpen = (peer) => peer) {
  const requests = [];
  const server = await startAcceptingServer((peer) => {
    requests.push(peer.request);
    onOpen(peer);
  });
  t.after(() => server.close());
  return { server, requests };
}

test('handshakeTimeout: no response → "Opening handshake has timed out", then close 1006', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const ws = new WebSocket(server.url, { handshakeTimeout: 100 });
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'Opening handshake has timed out');
  assert.equal(log[1][1], 1006);
  assert.equal(log[1][2].length, 0);
});

test('handshakeTimeout does not fire once the connection is open', async (t) => {
  const { server } = await acceptingServer(t);
  // 500 ms, not 50: a busy machine can take longer than 50 ms to finish a loopback handshake.
  const timeout = 500;
  const started = Date.now();
  const ws = new WebSocket(server.url, { handshakeTimeout: timeout });
  const { log, done } = record(ws, ['open', 'error', 'close']);
  await once(ws, 'open');
  // Stay open until twice the timeout has passed since the handshake began; an error here would be the timer firing.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2 * timeout - (Date.now() - started))));
  ws.terminate();
  await done;
  assert.deepEqual(eventNames(log), ['open', 'close']);
});

test('origin → Origin header', async (t) => {
  const { server, requests } = await acceptingServer(t);
  const ws = new WebSocket(server.url, { origin: 'https://app.example' });
  await once(ws, 'open');
  assert.equal(requests[0].headers.origin, 'https://app.example');
  assert.equal(requests[0].headers['sec-websocket-origin'], undefined);
  ws.terminate();
  await once(ws, 'close');
});

test('protocolVersion 8 → Sec-WebSocket-Version: 8 and Sec-WebSocket-Origin', async (t) => {
  const { server, requests } = await acceptingServer(t);
  const ws = new WebSocket(server.url, { protocolVersion: 8, origin: 'https://old.example' });
  await once(ws, 'open');
  assert.equal(requests[0].headers['sec-websocket-version'], '8');
  assert.equal(requests[0].headers['sec-websocket-origin'], 'https://old.example');
  assert.equal(requests[0].headers.origin, undefined);
  ws.terminate();
  await once(ws, 'close');
});

test('headers: extra request headers are sent (and may override Host)', async (t) => {
  const { server, requests } = await acceptingServer(t);
  const ws = new WebSocket(server.url + '/p', {
    headers: { 'X-Token': 'abc', Cookie: 'a=1; b=2', Host: 'virtual.example' }
  });
  await once(ws, 'open');
  const h = requests[0].headers;
  assert.equal(h['x-token'], 'abc');
  assert.equal(h.cookie, 'a=1; b=2');
  assert.equal(h.host, 'virtual.example');
  assert.equal(h.upgrade, 'websocket');
  ws.terminate();
  await once(ws, 'close');
});

test('createConnection: the custom factory supplies the socket', async (t) => {
  const { server, requests } = await acceptingServer(t);
  const calls = [];
  const ws = new WebSocket('ws://example.invalid:9/x', {
    createConnection(options) {
      calls.push(options);
      return connect(server.port, '127.0.0.1');
    }
  });
  await once(ws, 'open');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].host, 'example.invalid');
  assert.equal(String(calls[0].port), '9');
  assert.equal(requests[0].requestLine, 'GET /x HTTP/1.1');
  assert.equal(requests[0].headers.host, 'example.invalid:9');
  ws.terminate();
  await once(ws, 'close');
});

test('finishRequest(req, ws) is called instead of req.end()', async (t) => {
  const { server, requests } = await acceptingServer(t);
  const calls = [];
  const ws = new WebSocket(server.url, {
    finishRequest(req, socket) {
      calls.push([req instanceof ClientRequest, socket instanceof WebSocket, socket.readyState]);
      req.setHeader('X-Late', 'added-in-finish');
      req.end();
    }
  });
  await once(ws, 'open');
  assert.deepEqual(calls, [[true, true, WebSocket.CONNECTING]]);
  assert.equal(requests[0].headers['x-late'], 'added-in-finish');
  ws.terminate();
  await once(ws, 'close');
});

test('finishRequest that never ends the request: nothing is sent; handshakeTimeout still applies', async (t) => {
  let received = 0;
  const server = await startRawServer((socket) => socket.on('data', (chunk) => (received += chunk.length)));
  t.after(() => server.close());
  const ws = new WebSocket(server.url, { handshakeTimeout: 100, finishRequest() {} });
  const { log, done } = record(ws, ['open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'Opening handshake has timed out');
  assert.equal(received, 0);
});

test('generateMask: every client frame uses the mask it writes (exact bytes)', async (t) => {
  let peer;
  const { server } = await acceptingServer(t, (p) => (peer = p));
  let calls = 0;
  const ws = new WebSocket(server.url, {
    generateMask(mask) {
      calls++;
      assert.equal(mask.length, 4);
      mask[0] = 0x01;
      mask[1] = 0x02;
      mask[2] = 0x03;
      mask[3] = 0x04;
    }
  });
  await once(ws, 'open');
  ws.send('hi');
  ws.send(Buffer.from([0xff, 0x00, 0xaa]));
  ws.ping('p');
  ws.close(1000, 'ok');
  const frames = await peer.frames.take(4);
  assert.deepEqual(
    frames.map((f) => f.raw.toString('hex')),
    ['818201020304696b', '828301020304fe02a9', '89810102030471', '88840102030402ea6c6f']
  );
  assert.equal(calls, 4);
  peer.socket.write(encodeFrame({ opcode: 8, payload: closePayload(1000, 'ok') }));
  const [code, reason] = await once(ws, 'close');
  assert.equal(code, 1000);
  assert.equal(reason.toString(), 'ok');
});

test('default masks are 4 fresh bytes per frame (not all equal across 8 frames)', async (t) => {
  let peer;
  const { server } = await acceptingServer(t, (p) => (peer = p));
  const ws = new WebSocket(server.url);
  await once(ws, 'open');
  for (let i = 0; i < 8; i++) ws.send('x');
  const frames = await peer.frames.take(8);
  for (const frame of frames) {
    assert.equal(frame.masked, true);
    assert.equal(frame.payload.toString(), 'x');
  }
  const distinct = new Set(frames.map((f) => f.maskKey.toString('hex')));
  // 8 random 32-bit masks collide with probability ~1e-8; a constant mask yields 1.
  assert.ok(distinct.size > 1, `masks: ${[...distinct]}`);
  ws.terminate();
  await once(ws, 'close');
});

test('http.request options pass through (a custom DNS lookup resolves the URL host)', async (t) => {
  const { server, requests } = await acceptingServer(t);
  const looked = [];
  const lookup = (hostname, options, callback) => {
    looked.push(hostname);
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  };
  const ws = new WebSocket(`ws://chat.example.invalid:${server.port}/a/b?c=d`, { lookup });
  await once(ws, 'open');
  assert.deepEqual(looked, ['chat.example.invalid']);
  assert.equal(requests[0].requestLine, 'GET /a/b?c=d HTTP/1.1');
  assert.equal(requests[0].headers.host, `chat.example.invalid:${server.port}`);
  ws.terminate();
  await once(ws, 'close');
});
