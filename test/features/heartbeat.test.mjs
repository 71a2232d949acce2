// Heartbeat: quiet peers are pinged, dead ones terminated (error WS_ERR_HEARTBEAT_TIMEOUT, then 'close' 1006),
// busy ones never pinged. Real loopback peers; the dead peer is a raw socket that stops reading.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, WebSocketServer, startServer, openClient, rawUpgrade, readToClose, onceEvent, nextEvent, delay } from './helpers.mjs';

const T = { timeout: 10000 };

test('a peer that stops reading is pinged once and terminated within interval + timeout', T, async (t) => {
  const interval = 200;
  const timeout = 200;
  const wss = await startServer(t, { heartbeat: { interval, timeout } });
  const accepted = onceEvent(wss, 'connection');
  const { socket, rest } = await rawUpgrade(t, wss.address().port);
  const [ws] = await accepted;
  const openedAt = Date.now();
  const events = [];
  ws.on('error', (error) => events.push(['error', error.code, error.message]));
  const [code, reason] = await nextEvent(ws, 'close');
  const elapsed = Date.now() - openedAt;
  events.push(['close', code, reason.length]);
  assert.deepEqual(events, [
    ['error', 'WS_ERR_HEARTBEAT_TIMEOUT', `Heartbeat timeout: no data within ${timeout} ms of a ping`],
    ['close', 1006, 0],
  ]);
  // Quiet for `interval`, then `timeout` after the ping; the wheel's tick (20 ms here) is the only slack below.
  assert.ok(elapsed >= interval + timeout - 2 * 20, `terminated too early: ${elapsed} ms`);
  // Upper bound: interval + timeout plus two ticks plus generous scheduling slack for a loaded machine.
  assert.ok(elapsed <= interval + timeout + 2 * 20 + 800, `detected too late: ${elapsed} ms`);
  // What the paused peer had been sent: exactly one empty ping (RFC 6455 §5.5.2) and no close frame.
  const bytes = await readToClose(socket, rest);
  assert.deepEqual([...bytes], [0x89, 0x00]);
});

test('a busy connection is never pinged; a quiet one that answers is pinged and kept', T, async (t) => {
  const interval = 300;
  const wss = await startServer(t, { heartbeat: { interval, timeout: 300 } });
  const client = await openClient(t, wss);
  const pings = [];
  client.on('ping', (data) => pings.push(data.length));
  // Busy: a message every 50 ms for ~1 s (over 3 intervals).
  for (let i = 0; i < 20; i++) {
    client.send(`tick ${i}`);
    await delay(50);
  }
  assert.deepEqual(pings, []);
  // Quiet: the heartbeat pings, the client auto-pongs, and it is pinged again later (so it was not terminated).
  await onceEvent(client, 'ping');
  await onceEvent(client, 'ping');
  assert.equal(client.readyState, WebSocket.OPEN);
  const [server] = wss.clients;
  assert.equal(server.readyState, WebSocket.OPEN);
});

test('client heartbeat terminates a server that never answers pings', T, async (t) => {
  const wss = await startServer(t, { autoPong: false });
  const client = await openClient(t, wss, { heartbeat: { interval: 100, timeout: 100 } });
  const errors = [];
  client.removeAllListeners('error');
  client.on('error', (error) => errors.push(error.code));
  const [code] = await nextEvent(client, 'close');
  assert.equal(code, 1006);
  assert.deepEqual(errors, ['WS_ERR_HEARTBEAT_TIMEOUT']);
});

test('heartbeat options are validated', () => {
  assert.throws(() => new WebSocketServer({ noServer: true, heartbeat: { interval: 0, timeout: 10 } }), {
    name: 'TypeError',
    message: 'The "heartbeat.interval" option must be a positive number of milliseconds',
  });
  assert.throws(() => new WebSocketServer({ noServer: true, heartbeat: { interval: 10 } }), {
    name: 'TypeError',
    message: 'The "heartbeat.timeout" option must be a positive number of milliseconds',
  });
  assert.throws(() => new WebSocket('ws://127.0.0.1:1', { heartbeat: 5 }), {
    name: 'TypeError',
    message: 'The "heartbeat" option must be an object',
  });
});

test('one wheel timer serves every heartbeat socket of a server', T, async (t) => {
  // handshakeTimeout 0: the port-mode handshake deadline (a timer per pending handshake) is not what is counted here.
  const wss = await startServer(t, { heartbeat: { interval: 5000, timeout: 5000 }, handshakeTimeout: 0 });
  // Count the timers armed while 20 heartbeat sockets open (clients have no heartbeat, so only the server's count).
  const original = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
  const armed = [];
  globalThis.setTimeout = (...args) => (armed.push('timeout'), original.setTimeout(...args));
  globalThis.setInterval = (...args) => (armed.push('interval'), original.setInterval(...args));
  try {
    for (let i = 0; i < 20; i++) await openClient(t, wss);
  } finally {
    Object.assign(globalThis, original);
  }
  assert.equal(wss.clients.size, 20);
  assert.deepEqual(armed, ['interval']);
});
