// WebSocketServer accepted connections (SPEC §3): 'connection'(ws, req), clientTracking / clients and maxPayload
// (→ close 1009, RFC 6455 §7.4.1).
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { WebSocket } from '../helpers/impl.mjs';
import {
  exitGuard,
  maskedClose,
  maskedFrame,
  onceEvent,
  openRaw,
  readToClose,
  startServer,
  stopServer,
  upgradeRequest,
  withTimeout,
} from '../helpers/server-helpers.mjs';

const T = { timeout: 15000 };
exitGuard();

/** Server close frame with status 1009 "message too big" (RFC 6455 §7.4.1). */
const SERVER_CLOSE_1009 = Buffer.from([0x88, 0x02, 0x03, 0xf1]);

test("'connection' gets exactly (ws, req); ws is open and its sends reach the wire unmasked", T, async (t) => {
  const wss = await startServer(t);
  const seen = new Promise((resolve) => {
    wss.on('connection', (...args) => {
      const [ws, req] = args;
      resolve({
        argc: args.length,
        ws,
        isWebSocket: ws instanceof WebSocket,
        readyState: ws.readyState,
        isRequest: req instanceof http.IncomingMessage,
        url: req.url,
        custom: req.headers['x-custom'],
        tracked: wss.clients.has(ws),
      });
      ws.send('hi');
      ws.send(Buffer.from([1, 2, 3]));
    });
  });
  const { socket, rest } = await openRaw(
    wss.address().port,
    upgradeRequest({ path: '/c?id=7', headers: { 'X-Custom': 'v' } }),
  );
  const info = await withTimeout(seen, 'connection');
  assert.deepEqual(
    { ...info, ws: undefined },
    {
      argc: 2,
      ws: undefined,
      isWebSocket: true,
      readyState: WebSocket.OPEN,
      isRequest: true,
      url: '/c?id=7',
      custom: 'v',
      tracked: true,
    },
  );
  const closed = onceEvent(info.ws, 'close');
  socket.write(maskedClose(1000));
  const bytes = await readToClose(socket, rest);
  await closed;
  // Text "hi", binary 01 02 03, then the close echo (RFC 6455 §5.6, §5.5.1).
  assert.equal(bytes.toString('hex'), '81026869' + '8203010203' + '880203e8');
  await stopServer(wss);
});

test('clients: grows with each connection and drops a socket before its close listeners run', T, async (t) => {
  const wss = await startServer(t);
  const accepted = [];
  const sizeInClose = [];
  wss.on('connection', (ws) => {
    accepted.push(ws);
    ws.on('close', () => sizeInClose.push([wss.clients.has(ws), wss.clients.size]));
  });
  const sockets = [];
  for (let i = 0; i < 3; i++) {
    const connected = onceEvent(wss, 'connection');
    const { socket } = await openRaw(wss.address().port, upgradeRequest());
    // Keep reading so the server's FIN after the close handshake is seen and the socket can close.
    socket.resume();
    sockets.push(socket);
    await connected;
    assert.equal(wss.clients.size, i + 1);
  }
  assert.deepEqual([...wss.clients], accepted);
  const firstClosed = onceEvent(accepted[0], 'close');
  sockets[0].write(maskedClose(1000));
  await firstClosed;
  assert.deepEqual(sizeInClose, [[false, 2]]);
  assert.deepEqual([...wss.clients], accepted.slice(1));
  const rest = accepted.slice(1).map((ws) => onceEvent(ws, 'close'));
  for (const socket of sockets.slice(1)) socket.destroy();
  await Promise.all(rest);
  assert.equal(wss.clients.size, 0);
  assert.deepEqual(sizeInClose, [
    [false, 2],
    [false, 1],
    [false, 0],
  ]);
  await stopServer(wss);
});

test('clientTracking false: connections work and nothing is tracked', T, async (t) => {
  const wss = await startServer(t, { clientTracking: false });
  let server;
  wss.on('connection', (ws) => {
    server = ws;
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  t.after(() => client.terminate());
  await onceEvent(client, 'open');
  client.send('echo');
  const [data, isBinary] = await onceEvent(client, 'message');
  assert.equal(data.toString(), 'echo');
  assert.equal(isBinary, false);
  assert.equal(wss.clients, undefined);
  const closed = onceEvent(server, 'close');
  client.close(1000);
  await closed;
  await stopServer(wss);
});

test('maxPayload: a message of exactly maxPayload bytes is delivered', T, async (t) => {
  const wss = await startServer(t, { maxPayload: 10 });
  const got = new Promise((resolve) => {
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => resolve([data.toString(), isBinary])));
  });
  const { socket } = await openRaw(wss.address().port, upgradeRequest());
  socket.write(maskedFrame(0x1, '0123456789'));
  assert.deepEqual(await withTimeout(got, 'message'), ['0123456789', false]);
  socket.destroy();
  await stopServer(wss);
});

test('maxPayload: one byte more closes with 1009, error then close on the server socket', T, async (t) => {
  const wss = await startServer(t, { maxPayload: 10 });
  const events = [];
  let closed;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => events.push(['message', data.toString()]));
    ws.on('error', (err) => events.push(['error', err.constructor.name, err.code, err.message]));
    closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        events.push(['close', code]);
        resolve();
      });
    });
  });
  const { socket, rest } = await openRaw(wss.address().port, upgradeRequest());
  socket.write(maskedFrame(0x2, '0123456789A'));
  const bytes = await readToClose(socket, rest);
  await withTimeout(closed, 'server close');
  assert.deepEqual(bytes, SERVER_CLOSE_1009);
  assert.deepEqual(events, [
    ['error', 'RangeError', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded'],
    ['close', 1006],
  ]);
  await stopServer(wss);
});

test('maxPayload: a fragmented message over the limit also closes with 1009', T, async (t) => {
  const wss = await startServer(t, { maxPayload: 10 });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  const { socket, rest } = await openRaw(wss.address().port, upgradeRequest());
  socket.write(maskedFrame(0x1, '012345', false));
  socket.write(maskedFrame(0x0, '6789A', true));
  assert.deepEqual(await readToClose(socket, rest), SERVER_CLOSE_1009);
  await stopServer(wss);
});

test('maxPayload default (100 MiB): a frame header declaring 100 MiB + 1 closes with 1009', T, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => ws.on('error', () => {}));
  const { socket, rest } = await openRaw(wss.address().port, upgradeRequest());
  // RFC 6455 §5.2: 127 → 64-bit length. 104857601 = 0x06400001; mask key follows; no payload is sent.
  socket.write(Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x06, 0x40, 0x00, 0x01, 1, 2, 3, 4]));
  assert.deepEqual(await readToClose(socket, rest), SERVER_CLOSE_1009);
  await stopServer(wss);
});

test('maxPayload seen from the client class: close code 1009', T, async (t) => {
  const wss = await startServer(t, { maxPayload: 4 });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  t.after(() => client.terminate());
  await onceEvent(client, 'open');
  client.send('12345');
  const [code, reason] = await onceEvent(client, 'close');
  assert.equal(code, 1009);
  assert.equal(reason.toString(), '');
  await stopServer(wss);
});
