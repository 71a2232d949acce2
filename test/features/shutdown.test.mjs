// Graceful shutdown: stop accepting, close everyone with 1001 (or the given code), deliver everything queued in
// both directions, terminate peers that never answer at the timeout, resolve with the counts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openClient, onceEvent, nextEvent, rawUpgrade, withTimeout, WebSocket } from './helpers.mjs';

const T = { timeout: 15000 };

test('shutdown delivers every acknowledged message both ways, then closes with 1001', T, async (t) => {
  const wss = await startServer(t);
  const port = wss.address().port;
  const clients = [];
  const serverSide = [];
  const received = new Map();
  wss.on('connection', (ws) => {
    serverSide.push(ws);
    received.set(ws, 0);
    ws.on('message', () => received.set(ws, received.get(ws) + 1));
  });
  for (let i = 0; i < 3; i++) clients.push(await openClient(t, wss));
  const N = 200;
  const clientGot = clients.map(() => 0);
  const clientClose = clients.map((client, i) => {
    client.on('message', () => clientGot[i]++);
    return nextEvent(client, 'close');
  });
  // Client → server: all written before the server's close frame can arrive.
  for (const client of clients) for (let i = 0; i < N; i++) client.send(`c${i}`);
  // Server → client: count the acknowledgements (send callbacks without error).
  let acked = 0;
  for (const ws of serverSide) for (let i = 0; i < N; i++) ws.send('x'.repeat(1000), (error) => (error ? null : acked++));
  const result = await withTimeout(wss.shutdown({ timeout: 5000 }), 'shutdown');
  assert.deepEqual(result, { total: 3, closed: 3, terminated: 0 });
  assert.equal(acked, 3 * N);
  assert.deepEqual(clientGot, [N, N, N]);
  assert.deepEqual([...received.values()], [N, N, N]);
  for (const closed of clientClose) {
    const [code, reason] = await closed;
    assert.equal(code, 1001);
    assert.equal(reason.length, 0);
  }
  // No longer accepting: the listening socket is gone.
  const late = new WebSocket(`ws://127.0.0.1:${port}`);
  const [error] = await nextEvent(late, 'error');
  assert.equal(error.code, 'ECONNREFUSED');
  // A second call returns the same promise.
  assert.equal(wss.shutdown(), wss.shutdown());
});

test('shutdown resolves at the timeout when a peer never answers, terminating it', T, async (t) => {
  const wss = await startServer(t);
  const accepted = onceEvent(wss, 'connection');
  const { socket } = await rawUpgrade(t, wss.address().port);
  const [dead] = await accepted;
  const good = await openClient(t, wss);
  const goodClosed = nextEvent(good, 'close');
  const deadClosed = nextEvent(dead, 'close');
  const started = Date.now();
  const result = await withTimeout(wss.shutdown({ code: 1012, reason: 'restart', timeout: 300 }), 'shutdown', 3000);
  assert.ok(Date.now() - started >= 300 - 5);
  assert.deepEqual(result, { total: 2, closed: 1, terminated: 1 });
  const [code, reason] = await goodClosed;
  assert.equal(code, 1012);
  assert.equal(reason.toString(), 'restart');
  assert.equal((await deadClosed)[0], 1006);
  // The raw peer was terminated: its socket sees the end without ever having been sent more than the close frame.
  socket.resume();
  await nextEvent(socket, 'close');
});

test('shutdown validates its options before closing anyone', T, async (t) => {
  const wss = await startServer(t);
  const client = await openClient(t, wss);
  await assert.rejects(wss.shutdown({ code: 1006 }), { name: 'TypeError', message: 'The "code" option must be a valid close code' });
  await assert.rejects(wss.shutdown({ reason: 'x'.repeat(124) }), { name: 'RangeError' });
  assert.equal(client.readyState, WebSocket.OPEN);
  assert.deepEqual(await wss.shutdown({ timeout: 2000 }), { total: 1, closed: 1, terminated: 0 });
});
