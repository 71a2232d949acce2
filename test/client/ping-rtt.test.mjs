// `await ws.pingRTT(data?)`: resolves with the round-trip time when the matching pong arrives, rejects when the
// socket closes first or is not open; concurrent pings share one listener pair.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, nextEvent, startServer } from './helpers.mjs';

const T = { timeout: 20000 };

async function openClient(t, wss) {
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  t.after(() => ws.terminate());
  ws.on('error', () => {});
  await nextEvent(ws, 'open');
  return ws;
}

test('resolves with a time in ms once the pong echoes the ping; the payload is ours or the caller\'s', T, async (t) => {
  const wss = await startServer(t);
  const pings = [];
  wss.on('connection', (ws) => ws.on('ping', (data) => pings.push(String(data))));
  const ws = await openClient(t, wss);
  const rtt = await ws.pingRTT();
  assert.equal(typeof rtt, 'number');
  assert.ok(rtt >= 0 && Number.isFinite(rtt));
  assert.equal(await ws.pingRTT('hello').then((value) => typeof value), 'number');
  await ws.pingRTT(new Uint8Array([0x68, 0x69]));
  assert.equal(pings.length, 3);
  assert.match(pings[0], /^rtt:\d+$/);
  assert.deepEqual(pings.slice(1), ['hello', 'hi']);
  assert.deepEqual([ws.listenerCount('pong'), ws.listenerCount('close')], [0, 0]);
});

test('concurrent pings all resolve; a pong for a later ping also answers earlier ones (RFC 6455 §5.5.3)', T, async (t) => {
  const wss = await startServer(t, { autoPong: false });
  let server;
  const pings = [];
  wss.on('connection', (ws) => {
    server = ws;
    ws.on('ping', (data) => pings.push(data));
  });
  const ws = await openClient(t, wss);
  const all = Promise.all([...Array(20)].map((_, i) => ws.pingRTT(`p${i}`)));
  assert.equal(ws.listenerCount('pong'), 1);
  while (pings.length < 20) await nextEvent(server, 'ping');
  // Answer only the most recent ping.
  server.pong(pings[19]);
  const times = await all;
  assert.equal(times.length, 20);
  // Earlier pings were sent earlier, so their times are at least as long.
  for (let i = 1; i < 20; i++) assert.ok(times[i - 1] >= times[i]);
  assert.equal(ws.listenerCount('pong'), 0);
});

test('rejects when the socket closes before the pong, or is not open; oversized data rejects', T, async (t) => {
  const wss = await startServer(t, { autoPong: false });
  const ws = await openClient(t, wss);
  const pending = ws.pingRTT();
  const [server] = wss.clients;
  server.terminate();
  await assert.rejects(pending, { code: 'WS_ERR_CLOSED_BEFORE_PONG', message: 'WebSocket closed before the pong arrived' });
  await assert.rejects(ws.pingRTT(), { code: 'WS_ERR_CLOSED_BEFORE_PONG' });
  const connecting = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  t.after(() => connecting.terminate());
  await assert.rejects(connecting.pingRTT(), /readyState 0 \(CONNECTING\)/);
  const open = await openClient(t, wss);
  await assert.rejects(open.pingRTT('x'.repeat(126)), RangeError);
  await assert.rejects(open.pingRTT({}), TypeError);
  assert.equal(open.listenerCount('pong'), 0);
});

test('the time is the real round trip: a pong held back ~100 ms gives ≥ 100 ms; a pong with other data does not resolve it', T, async (t) => {
  const HOLD = 110;
  const wss = await startServer(t, { autoPong: false });
  let server;
  const pings = [];
  wss.on('connection', (ws) => {
    server = ws;
    // Hold every ping back, then answer it with the wrong payload first.
    ws.on('ping', (data) => {
      pings.push(String(data));
      setTimeout(() => ws.pong('not-the-ping'), HOLD);
    });
  });
  const ws = await openClient(t, wss);
  const started = performance.now();
  let settled = false;
  const pending = ws.pingRTT('rtt-check').finally(() => {
    settled = true;
  });
  const [wrong] = await nextEvent(ws, 'pong');
  assert.equal(String(wrong), 'not-the-ping');
  // The wrong pong has been handled (its 'pong' event ran); give a resolution every chance to show.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'a pong with other data resolved pingRTT');
  assert.deepEqual(pings, ['rtt-check']);
  server.pong(pings[0]);
  const rtt = await pending;
  const elapsed = performance.now() - started;
  assert.ok(rtt >= HOLD - 10, `rtt ${rtt} below the ${HOLD} ms the pong was held`);
  assert.ok(rtt <= elapsed, `rtt ${rtt} above the ${elapsed} ms measured around the call`);
  assert.ok(rtt < HOLD + 5000, `rtt ${rtt}`);
  assert.deepEqual([ws.listenerCount('pong'), ws.listenerCount('close')], [0, 0]);
  t.diagnostic(`pong held ${HOLD} ms: rtt ${rtt.toFixed(1)} ms (measured around the call: ${elapsed.toFixed(1)} ms)`);
});
