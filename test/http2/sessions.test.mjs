// Client session pooling and per-stream isolation (RFC 8441 §2: many WebSockets share one HTTP/2 connection):
// 100 sockets created at once ride one session; a reset stream leaves its neighbours working; a server's
// SETTINGS_MAX_CONCURRENT_STREAMS sends newcomers to another session; a dying session fails only its own sockets
// (1006) and is never handed out again, and a graceful shutdown closes them with 1001 and ends the session with GOAWAY.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { clientOptions, closed, nextMessage, openClient, sockwire, startH2 } from '../helpers/h2-fixture.mjs';

const servers = [];
async function start(options) {
  const h2 = await startH2(options);
  servers.push(h2);
  h2.wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  return h2;
}
afterEach(async () => {
  for (const h2 of servers.splice(0)) await h2.close();
});

async function echoes(ws, text) {
  ws.send(text);
  const [reply] = await nextMessage(ws);
  return reply.toString() === text;
}

for (const secure of [true, false]) {
  describe(`HTTP/2 sessions over ${secure ? 'TLS' : 'h2c'}`, () => {
    test('100 WebSockets opened at once share one session, each echoing on its own stream', async () => {
      const h2 = await start({ secure });
      const sockets = await Promise.all(Array.from({ length: 100 }, () => openClient(h2.url('/many'), clientOptions(secure))));
      assert.equal(h2.sessionCount, 1);
      assert.equal(new Set(sockets.map((ws) => ws._socket.session)).size, 1);
      assert.equal(new Set(sockets.map((ws) => ws._socket.id)).size, 100);
      const replies = await Promise.all(sockets.map((ws, i) => echoes(ws, `socket ${i}`)));
      assert.deepEqual(replies, Array(100).fill(true));
      const closes = sockets.map((ws) => closed(ws));
      for (const ws of sockets) ws.close(1000);
      assert.deepEqual(await Promise.all(closes), Array(100).fill([1000, '']));
    });

    test('a reset stream does not disturb the other WebSockets of the session', async () => {
      const h2 = await start({ secure });
      const accepted = [];
      h2.wss.on('connection', (ws) => accepted.push(ws));
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => openClient(h2.url('/iso'), clientOptions(secure))));
      const serverSide = accepted.find((ws) => ws._socket.id === b._socket.id);
      const closes = Promise.all([closed(b), closed(serverSide)]);
      b.terminate();
      assert.deepEqual(await closes, [[1006, ''], [1006, '']]);
      assert.equal(await echoes(a, 'still here'), true);
      assert.equal(await echoes(c, 'me too'), true);
      assert.equal(a._socket.session.destroyed, false);
      // A socket opened afterwards reuses the same session.
      const d = await openClient(h2.url('/iso'), clientOptions(secure));
      assert.equal(d._socket.session, a._socket.session);
      assert.equal(h2.sessionCount, 1);
      for (const ws of [a, c, d]) ws.terminate();
    });

    test("the server's stream limit sends further WebSockets to a new session", async () => {
      const h2 = await start({ secure, server: { settings: { maxConcurrentStreams: 2 } } });
      const sockets = await Promise.all(Array.from({ length: 5 }, () => openClient(h2.url('/limit'), clientOptions(secure))));
      const sessions = new Set(sockets.map((ws) => ws._socket.session));
      assert.equal(sessions.size, 3);
      assert.equal(h2.sessionCount, 3);
      assert.deepEqual(await Promise.all(sockets.map((ws, i) => echoes(ws, `n${i}`))), Array(5).fill(true));
      for (const ws of sockets) ws.terminate();
    });

    test('a session that dies fails only its own WebSockets, with 1006', async () => {
      const h2 = await start({ secure, server: { settings: { maxConcurrentStreams: 2 } } });
      const sockets = await Promise.all(Array.from({ length: 4 }, () => openClient(h2.url('/die'), clientOptions(secure))));
      const victim = sockets[0]._socket.session;
      const doomed = sockets.filter((ws) => ws._socket.session === victim);
      const spared = sockets.filter((ws) => ws._socket.session !== victim);
      assert.equal(doomed.length, 2);
      const closes = Promise.all(doomed.map((ws) => closed(ws)));
      // Kill the server end of that connection abruptly.
      const tcp = [...h2.tcpSockets].find((socket) => socket.remotePort === victim.socket.localPort);
      tcp.destroy();
      assert.deepEqual(await closes, [[1006, ''], [1006, '']]);
      assert.deepEqual(await Promise.all(spared.map((ws) => echoes(ws, 'alive'))), [true, true]);
      // A new socket does not pick the dead session.
      const fresh = await openClient(h2.url('/die'), clientOptions(secure));
      assert.notEqual(fresh._socket.session, victim);
      assert.equal(await echoes(fresh, 'fresh'), true);
      for (const ws of [...spared, fresh]) ws.terminate();
    });

    test("a WebSocket opened from the 'close' handler of one whose session died gets a new session", async () => {
      // Node closes a dead session's streams (and so their WebSockets) before the session emits 'close'.
      const h2 = await start({ secure });
      for (const kill of ['server end', 'client session']) {
        const ws = await openClient(h2.url('/again'), clientOptions(secure));
        const dead = ws._socket.session;
        const next = new Promise((resolve, reject) =>
          ws.once('close', (code) => {
            assert.equal(code, 1006);
            assert.equal(dead.destroyed, true);
            openClient(h2.url('/again'), clientOptions(secure)).then(resolve, reject);
          })
        );
        if (kill === 'server end') [...h2.tcpSockets].find((socket) => socket.remotePort === dead.socket.localPort).destroy();
        else dead.destroy();
        const fresh = await next;
        assert.notEqual(fresh._socket.session, dead, kill);
        assert.equal(await echoes(fresh, kill), true);
        fresh.terminate();
      }
    });

    test('wss.shutdown() closes the WebSockets with 1001 and the session ends with GOAWAY', async () => {
      const h2 = await start({ secure });
      const sockets = await Promise.all([1, 2, 3].map(() => openClient(h2.url('/shutdown'), clientOptions(secure))));
      const session = sockets[0]._socket.session;
      const goaway = once(session, 'goaway');
      const sessionClosed = once(session, 'close');
      const closes = Promise.all(sockets.map((ws) => closed(ws)));
      const result = await h2.wss.shutdown({ timeout: 5000 });
      assert.deepEqual(result, { total: 3, closed: 3, terminated: 0 });
      assert.deepEqual(await closes, Array(3).fill([1001, '']));
      const [code] = await goaway;
      assert.equal(code, 0);
      await sessionClosed;
      // Nothing keeps server.close() waiting.
      await new Promise((resolve) => h2.server.close(resolve));
    });
  });
}

test('a client closed while its session connects never opens a stream, and others on that session still do', async () => {
  const h2 = await start({ secure: true });
  let streams = 0;
  h2.server.on('stream', () => streams++);
  const early = new sockwire.WebSocket(h2.url('/early'), clientOptions(true));
  const events = [];
  early.on('error', (error) => events.push(`error ${error.message}`));
  early.on('close', (code) => events.push(`close ${code}`));
  const earlyClosed = new Promise((resolve) => early.once('close', resolve));
  const later = openClient(h2.url('/early'), clientOptions(true));
  early.close();
  const ws = await later;
  await earlyClosed;
  assert.deepEqual(events, ['error WebSocket was closed before the connection was established', 'close 1006']);
  assert.equal(streams, 1);
  assert.equal(ws.httpVersion, '2.0');
  ws.terminate();
});

test('1,000 WebSockets × 16 KiB echo in flight at once on one session with the default windows never stall', { timeout: 60000 }, async () => {
  // Regression: with a 16 MiB session window this load stalled Node's HTTP/2 layer (see README, flow control).
  const h2 = await start({ secure: false });
  const sockets = [];
  for (let i = 0; i < 1000; i += 100) {
    sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => openClient(h2.url('/bulk'), clientOptions(false))))));
  }
  assert.equal(h2.sessionCount, 1);
  const payload = Buffer.alloc(16 * 1024, 0x5a);
  const rounds = 3;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve, reject) => {
          let left = rounds;
          const timer = setTimeout(() => reject(new Error(`stalled with ${left} rounds left`)), 30000);
          ws.on('message', (data) => {
            if (!data.equals(payload)) reject(new Error('corrupted echo'));
            if (--left === 0) {
              clearTimeout(timer);
              resolve();
            } else ws.send(payload);
          });
          ws.send(payload);
        })
    )
  );
  for (const ws of sockets) ws.terminate();
});
