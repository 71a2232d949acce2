// WebSocketServer.close() (SPEC §3): stops accepting, leaves existing clients open, 'close' timing per mode and
// the "The server is not running" error on a second close.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';

import { WebSocket, WebSocketServer } from '../helpers/impl.mjs';
import {
  exitGuard,
  onceEvent,
  openRaw,
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

/** Call wss.close and resolve with the arguments its callback received. */
function closeWith(wss) {
  return withTimeout(new Promise((resolve) => wss.close((...args) => resolve(args))), 'close callback');
}

/** Open a client of the implementation under test and wait for both ends. */
async function connectPair(t, wss, port) {
  const serverSide = onceEvent(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  t.after(() => client.terminate());
  await onceEvent(client, 'open');
  const [ws] = await serverSide;
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  return { client, ws };
}

/** One echo round trip: proves both ends are still open. */
async function roundTrip(client, text) {
  const reply = onceEvent(client, 'message');
  client.send(text);
  const [data] = await reply;
  return data.toString();
}

test('port mode, no clients: close(cb) calls cb without an error and emits close once', T, async (t) => {
  const wss = await startServer(t);
  let closeEvents = 0;
  wss.on('close', (...args) => {
    assert.deepEqual(args, []);
    closeEvents += 1;
  });
  const args = await closeWith(wss);
  assert.equal(args[0], undefined);
  assert.equal(closeEvents, 1);
});

test('port mode: close() stops accepting new connections', T, async (t) => {
  const wss = await startServer(t);
  const port = wss.address().port;
  await closeWith(wss);
  const socket = net.connect(port, '127.0.0.1');
  const [err] = await onceEvent(socket, 'error');
  assert.equal(err.code, 'ECONNREFUSED');
});

/** A WebSocketServer in `mode`, listening on loopback; returns the server and the port to connect to. */
async function serverIn(t, mode, options = {}) {
  if (mode === 'port') {
    const wss = await startServer(t, options);
    return { wss, port: wss.address().port };
  }
  const server = http.createServer();
  const wss = new WebSocketServer(mode === 'server' ? { server, ...options } : { noServer: true, ...options });
  if (mode === 'noServer') {
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    );
  }
  t.after(() => stopServer(wss));
  await startHttp(t, server);
  return { wss, port: server.address().port, server };
}

for (const mode of ['port', 'server', 'noServer']) {
  test(
    `${mode} mode: existing clients stay open; 'close' waits until the last tracked client is gone`,
    T,
    async (t) => {
      const { wss, port } = await serverIn(t, mode);
      const { client, ws } = await connectPair(t, wss, port);
      const order = [];
      wss.on('close', () => order.push('close'));
      const closing = new Promise((resolve) =>
        wss.close((...args) => {
          order.push('cb');
          resolve(args[0]);
        }),
      );
      // Two round trips (several ticks and I/O turns): the client is still served and nothing has closed yet.
      assert.equal(await roundTrip(client, 'still here'), 'still here');
      assert.equal(await roundTrip(client, 'and here'), 'and here');
      assert.equal(ws.readyState, WebSocket.OPEN);
      assert.equal(client.readyState, WebSocket.OPEN);
      assert.equal(wss.clients.has(ws), true);
      assert.deepEqual(order, []);
      client.close(1000);
      assert.equal(await withTimeout(closing, 'close callback'), undefined);
      assert.deepEqual(order, ['close', 'cb']);
    },
  );
}

for (const mode of ['server', 'noServer']) {
  test(
    `${mode} mode, clientTracking false: 'close' is emitted asynchronously without waiting for clients`,
    T,
    async (t) => {
      const { wss, port } = await serverIn(t, mode, { clientTracking: false });
      const { client, ws } = await connectPair(t, wss, port);
      let emitted = 0;
      wss.on('close', () => {
        emitted += 1;
      });
      const closing = closeWith(wss);
      assert.equal(emitted, 0, "'close' must not be emitted synchronously");
      assert.equal((await closing)[0], undefined);
      assert.equal(emitted, 1);
      assert.equal(await roundTrip(client, 'alive'), 'alive');
      assert.equal(ws.readyState, WebSocket.OPEN);
      client.terminate();
      await onceEvent(ws, 'close');
    },
  );
}

test("port mode, clientTracking false: 'close' still waits for the internal server's connections", T, async (t) => {
  const { wss, port } = await serverIn(t, 'port', { clientTracking: false });
  const { client } = await connectPair(t, wss, port);
  let emitted = 0;
  wss.on('close', () => {
    emitted += 1;
  });
  const closing = closeWith(wss);
  assert.equal(await roundTrip(client, 'alive'), 'alive');
  assert.equal(emitted, 0);
  client.close(1000);
  assert.equal((await closing)[0], undefined);
  assert.equal(emitted, 1);
});

test('server mode: close() removes its listeners and leaves the http server listening', T, async (t) => {
  const server = http.createServer((req, res) => res.end('app'));
  const count = () => ({
    upgrade: server.listenerCount('upgrade'),
    listening: server.listenerCount('listening'),
    error: server.listenerCount('error'),
  });
  const before = count();
  const wss = new WebSocketServer({ server });
  t.after(() => stopServer(wss));
  await startHttp(t, server);
  assert.equal(count().upgrade, before.upgrade + 1);
  await closeWith(wss);
  assert.deepEqual(count(), before);
  assert.equal(server.listening, true);
  const raw = await sendRaw(server.address().port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.ok(raw.endsWith('\r\n\r\napp'));
  await stopHttp(server);
});

test('noServer mode: handleUpgrade after close() answers 503', T, async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  await closeWith(wss);
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => assert.fail('upgraded')));
  await startHttp(t, server);
  assert.equal(
    await sendRaw(server.address().port, upgradeRequest()),
    rejection(503, 'Service Unavailable', 'Service Unavailable'),
  );
  await stopHttp(server);
});

for (const mode of ['port', 'server', 'noServer']) {
  test(`${mode} mode: a second close(cb) gets Error "The server is not running"`, T, async (t) => {
    let wss;
    if (mode === 'port') {
      wss = await startServer(t);
    } else if (mode === 'server') {
      const server = http.createServer();
      wss = new WebSocketServer({ server });
      await startHttp(t, server);
    } else {
      wss = new WebSocketServer({ noServer: true });
    }
    assert.equal((await closeWith(wss))[0], undefined);
    const [err] = await closeWith(wss);
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'The server is not running');
  });
}

test("a second close() emits 'close' again before its callback, as ws does", T, async () => {
  const wss = new WebSocketServer({ noServer: true });
  const order = [];
  wss.on('close', () => order.push('close'));
  await closeWith(wss);
  order.push('first done');
  const [err] = await closeWith(wss);
  order.push(`cb: ${err.message}`);
  assert.deepEqual(order, ['close', 'first done', 'close', 'cb: The server is not running']);
});

test('close() without a callback works in every mode', T, async (t) => {
  const port = await startServer(t);
  const portClosed = onceEvent(port, 'close');
  port.close();
  await portClosed;
  const noServer = new WebSocketServer({ noServer: true });
  const noServerClosed = onceEvent(noServer, 'close');
  noServer.close();
  await noServerClosed;
});

test('open sockets opened before close() are not terminated by it (raw client, port mode)', T, async (t) => {
  const wss = await startServer(t);
  const connected = onceEvent(wss, 'connection');
  const { socket } = await openRaw(wss.address().port, upgradeRequest());
  const [ws] = await connected;
  let cbCalled = false;
  wss.close(() => {
    cbCalled = true;
  });
  // Round trip through the raw socket: a ping is answered with a pong (RFC 6455 §5.5.2).
  socket.resume();
  const pong = new Promise((resolve) => socket.once('data', resolve));
  socket.write(Buffer.from([0x89, 0x80, 0, 0, 0, 0]));
  assert.equal((await withTimeout(pong, 'pong')).toString('hex'), '8a00');
  assert.equal(ws.readyState, WebSocket.OPEN);
  assert.equal(cbCalled, false);
  socket.destroy();
  await onceEvent(ws, 'close');
});
