// ReconnectingWebSocket's surface and lifecycle: events and properties, URL/headers/protocols re-evaluated per
// attempt, the opt-in send queue and the onOpen hook, one live socket at a time, and close()/reconnect()/AbortSignal
// in every state without leaked timers or sockets.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { ReconnectingWebSocket, WebSocket, WebSocketServer, FAST, stopServer, activeResources, closeFully, closeServer, delay, nextEvent, poll, record, startServer, until, unusedPort, withTimeout } from './helpers.mjs';

const T = { timeout: 30000 };

/** A server recording, per connection, its URL, headers, protocol and received messages. */
async function recordingServer(t, options = {}) {
  const wss = await startServer(t, options);
  const connections = [];
  wss.on('connection', (ws, req) => {
    const entry = { url: req.url, headers: req.headers, protocol: ws.protocol, messages: [], ws, closeCode: undefined };
    connections.push(entry);
    ws.on('message', (data) => entry.messages.push(String(data)));
    ws.on('close', (code) => (entry.closeCode = code));
  });
  return { wss, connections, url: `ws://127.0.0.1:${wss.address().port}` };
}

test('events and properties: connecting(1) after construction, open, readyState, attempt, url, protocol, socket, on*', T, async (t) => {
  const { url } = await recordingServer(t, { handleProtocols: (set) => [...set][1] });
  const rws = new ReconnectingWebSocket(`${url}/a`, ['one', 'two'], FAST);
  t.after(() => closeFully(rws));
  const log = record(rws, ['connecting', 'open']);
  const attributeEvents = [];
  rws.onopen = (event) => attributeEvents.push([event.type, event.target === rws]);
  rws.addEventListener('message', (event) => attributeEvents.push(['message', event.data]));
  assert.equal(rws.readyState, 0);
  assert.equal(rws.attempt, 1);
  assert.equal(rws.url, `${url}/a`);
  assert.ok(rws.socket instanceof WebSocket);
  await nextEvent(rws, 'open');
  assert.deepEqual(log.map((e) => [e.name, ...e.args]), [['connecting', 1], ['open']]);
  assert.equal(rws.readyState, 1);
  assert.equal(rws.protocol, 'two');
  rws.socket.emit('message', Buffer.from('hi'), false);
  assert.deepEqual(attributeEvents, [['open', true], ['message', 'hi']]);
  const socket = rws.socket;
  rws.close(4000, 'bye');
  assert.equal(rws.readyState, 2);
  const [code, reason] = await nextEvent(rws, 'close');
  assert.deepEqual([code, String(reason)], [4000, 'bye']);
  assert.equal(rws.readyState, 3);
  assert.equal(rws.socket, null);
  assert.equal(socket.readyState, WebSocket.CLOSED);
});

test('url, protocols and headers are re-evaluated for every attempt (sync and async functions)', T, async (t) => {
  const { connections, url } = await recordingServer(t, { handleProtocols: (set) => [...set][0] });
  let calls = 0;
  const rws = new ReconnectingWebSocket(
    async () => `${url}/attempt-${++calls}`,
    () => [`p${calls}`],
    { ...FAST, headers: async () => ({ authorization: `Bearer token-${calls}` }) }
  );
  t.after(() => closeFully(rws));
  await nextEvent(rws, 'open');
  connections[0].ws.terminate();
  await nextEvent(rws, 'open');
  assert.deepEqual(
    connections.map((c) => [c.url, c.protocol, c.headers.authorization]),
    [
      ['/attempt-1', 'p1', 'Bearer token-1'],
      ['/attempt-2', 'p2', 'Bearer token-2']
    ]
  );
  assert.equal(rws.url, `${url}/attempt-2`);
});

test('a URL function that throws or rejects is a retryable failure; an invalid URL gives up; a bad static URL throws', T, async (t) => {
  const { url } = await recordingServer(t);
  let calls = 0;
  const rws = new ReconnectingWebSocket(
    () => {
      calls++;
      if (calls === 1) throw new Error('no token yet');
      if (calls === 2) return Promise.reject(new Error('token service down'));
      return calls === 3 ? url : 'not a url';
    },
    FAST
  );
  const log = record(rws, ['reconnect', 'open', 'giveup']);
  await nextEvent(rws, 'open');
  rws.socket.terminate();
  const [reason] = await nextEvent(rws, 'giveup');
  assert.deepEqual(
    log.filter((e) => e.name === 'reconnect').map((e) => [e.args[2].type, e.args[2].error?.message]),
    [['error', 'no token yet'], ['error', 'token service down'], ['close', undefined]]
  );
  assert.equal(reason.type, 'invalid');
  assert.equal(reason.error.name, 'SyntaxError');
  assert.throws(() => new ReconnectingWebSocket('not a url'), { name: 'SyntaxError' });
  assert.throws(() => new ReconnectingWebSocket(url, { minDelay: -1 }), { name: 'RangeError' });
  assert.throws(() => new ReconnectingWebSocket(url, { minDelay: 10, maxDelay: 5 }), { name: 'RangeError' });
  assert.throws(() => new ReconnectingWebSocket(url, { overflow: 'sometimes' }), { name: 'TypeError' });
});

test('without the queue, send() while not open is refused with WS_ERR_NOT_OPEN', T, async (t) => {
  const { url } = await recordingServer(t);
  const rws = new ReconnectingWebSocket(url, FAST);
  t.after(() => closeFully(rws));
  const errors = [];
  assert.equal(rws.send('early', (error) => errors.push(error.code)), 'dropped');
  await nextEvent(rws, 'open');
  assert.equal(rws.send('now'), 'sent');
  await poll(() => errors.length === 1, 'send callback');
  assert.deepEqual(errors, ['WS_ERR_NOT_OPEN']);
});

test('queued messages are flushed after the onOpen hook (async) and before what open listeners send', T, async (t) => {
  const { connections, url } = await recordingServer(t);
  const hookRuns = [];
  const rws = new ReconnectingWebSocket(url, {
    ...FAST,
    queue: true,
    onOpen: async (socket) => {
      hookRuns.push(socket.readyState);
      socket.send('auth');
      await delay(30);
      // Sent during the hook through the reconnecting client: queued behind the hook, ahead of 'open'.
      rws.send('during-hook');
    }
  });
  t.after(() => closeFully(rws));
  const sent = [];
  assert.equal(rws.send('q1', (error) => sent.push(['q1', error ?? null])), 'queued');
  assert.equal(rws.send('q2'), 'queued');
  assert.equal(rws.bufferedAmount, 4);
  rws.on('open', () => rws.send('from-open'));
  await nextEvent(rws, 'open');
  await poll(() => connections[0]?.messages.length >= 5, 'five messages');
  assert.deepEqual(connections[0].messages, ['auth', 'q1', 'q2', 'during-hook', 'from-open']);
  assert.deepEqual(hookRuns, [WebSocket.OPEN]);
  assert.deepEqual(sent, [['q1', null]]);
});

test('a message handed to a socket that then died is never sent again; messages queued meanwhile are', T, async (t) => {
  const { connections, url } = await recordingServer(t);
  // The server kills the first connection as soon as it reads "a".
  const rws = new ReconnectingWebSocket(url, { ...FAST, queue: true });
  t.after(() => closeFully(rws));
  await nextEvent(rws, 'open');
  connections[0].ws.once('message', () => connections[0].ws.terminate());
  rws.send('a');
  rws.send('b');
  await nextEvent(rws, 'close');
  assert.equal(rws.send('c'), 'queued');
  await nextEvent(rws, 'open');
  await poll(() => connections[1]?.messages.length >= 1, 'c delivered');
  // Give a wrongly re-sent "a" or "b" the time to arrive behind "c".
  await delay(50);
  assert.deepEqual(connections[1].messages, ['c']);
  assert.ok(['a', 'a,b'].includes(connections[0].messages.join()));
});

test('queue bounds: drop-oldest, drop-newest, error, maxQueuedBytes, maxQueuedAge; close() fails what is left', T, async (t) => {
  // Nobody will open: a port that refuses, with long delays so the queue stays put.
  const closedServer = net.createServer().listen(0, '127.0.0.1');
  await once(closedServer, 'listening');
  const deadPort = closedServer.address().port;
  await closeServer(closedServer);
  const url = `ws://127.0.0.1:${deadPort}`;
  const slow = { minDelay: 5000, maxDelay: 5000, initialJitter: 0 };
  const codes = [];
  const cb = (name) => (error) => codes.push([name, error?.code ?? null]);

  const oldest = new ReconnectingWebSocket(url, { ...slow, queue: true, maxQueuedMessages: 2, overflow: 'drop-oldest' });
  assert.deepEqual(['m1', 'm2', 'm3'].map((m) => oldest.send(m, cb(`oldest ${m}`))), ['queued', 'queued', 'queued']);
  const newest = new ReconnectingWebSocket(url, { ...slow, queue: true, maxQueuedMessages: 2, overflow: 'drop-newest' });
  assert.deepEqual(['m1', 'm2', 'm3'].map((m) => newest.send(m, cb(`newest ${m}`))), ['queued', 'queued', 'dropped']);
  const strict = new ReconnectingWebSocket(url, { ...slow, queue: true, maxQueuedBytes: 4 });
  assert.equal(strict.send('1234'), 'queued');
  assert.throws(() => strict.send('5'), { code: 'WS_ERR_QUEUE_FULL' });
  assert.equal(strict.bufferedAmount, 4);
  const big = new ReconnectingWebSocket(url, { ...slow, queue: true, maxQueuedBytes: 4, overflow: 'drop-oldest' });
  assert.equal(big.send('ab', cb('big small')), 'queued');
  assert.equal(big.send('too long', cb('big long')), 'dropped');
  const aged = new ReconnectingWebSocket(url, { ...slow, queue: true, maxQueuedAge: 20 });
  aged.send('old', cb('aged old'));
  await delay(40);
  aged.send('new', cb('aged new'));
  for (const rws of [oldest, newest, strict, big, aged]) rws.close();
  await delay(10);
  assert.deepEqual(codes.sort(), [
    ['aged new', 'WS_ERR_NOT_OPEN'],
    ['aged old', 'WS_ERR_QUEUE_EXPIRED'],
    ['big long', 'WS_ERR_QUEUE_FULL'],
    ['big small', 'WS_ERR_NOT_OPEN'],
    ['newest m1', 'WS_ERR_NOT_OPEN'],
    ['newest m2', 'WS_ERR_NOT_OPEN'],
    ['newest m3', 'WS_ERR_QUEUE_FULL'],
    ['oldest m1', 'WS_ERR_QUEUE_FULL'],
    ['oldest m2', 'WS_ERR_NOT_OPEN'],
    ['oldest m3', 'WS_ERR_NOT_OPEN']
  ]);
});


test('maxQueuedAge: each message fails when it expires, with no later send or flush; close() stops the timer', T, async (t) => {
  // A refused port and long retry delays: nothing opens, nothing is flushed, nobody pushes after the second send.
  const url = `ws://127.0.0.1:${await unusedPort()}`;
  const AGE = 100;
  const rws = new ReconnectingWebSocket(url, { minDelay: 5000, maxDelay: 5000, initialJitter: 0, queue: true, maxQueuedAge: AGE });
  rws.on('error', () => {});
  t.after(() => rws.close());
  const outcomes = [];
  const sent = {};
  const expired = (name) =>
    new Promise((resolve) => {
      sent[name] = performance.now();
      rws.send(name, (error) => {
        outcomes.push([name, error?.code ?? null, performance.now() - sent[name]]);
        resolve();
      });
    });
  const first = expired('a');
  await delay(AGE / 2);
  const second = expired('b');
  await withTimeout(first, 'message a to expire');
  assert.deepEqual(outcomes.map(([name, code]) => [name, code]), [['a', 'WS_ERR_QUEUE_EXPIRED']]);
  assert.equal(rws.bufferedAmount, 1, 'b still queued');
  await withTimeout(second, 'message b to expire');
  assert.deepEqual(outcomes.map(([name, code]) => [name, code]), [['a', 'WS_ERR_QUEUE_EXPIRED'], ['b', 'WS_ERR_QUEUE_EXPIRED']]);
  // Never before its time (the callback runs a tick after the drop; the timer may run 1 ms early on a cached clock).
  for (const [name, , waited] of outcomes) assert.ok(waited >= AGE - 2, `${name} expired after ${waited} ms`);
  assert.equal(rws.bufferedAmount, 0);
  // Queued then closed: WS_ERR_NOT_OPEN once, and no expiry callback after.
  const late = [];
  rws.send('c', (error) => late.push(error?.code ?? null));
  rws.close();
  await delay(AGE * 2);
  assert.deepEqual(late, ['WS_ERR_NOT_OPEN']);
  t.diagnostic(`maxQueuedAge ${AGE}: expired after ${outcomes.map(([name, , waited]) => `${name} ${waited.toFixed(1)} ms`).join(', ')}`);
});
test('an onOpen hook that throws closes the socket with 1011 and counts as a failed attempt', T, async (t) => {
  const { connections, url } = await recordingServer(t);
  let runs = 0;
  const rws = new ReconnectingWebSocket(url, {
    ...FAST,
    onOpen: () => {
      if (++runs === 1) throw new Error('auth refused');
    }
  });
  t.after(() => closeFully(rws));
  const errors = [];
  rws.on('error', (error) => errors.push(error.message));
  const [, , reason] = await nextEvent(rws, 'reconnect');
  assert.equal(reason.type, 'open-hook');
  assert.equal(reason.error.message, 'auth refused');
  await nextEvent(rws, 'open');
  await until(connections[0].ws, 'close', () => connections[0].closeCode !== undefined);
  assert.equal(connections[0].closeCode, 1011);
  assert.deepEqual(errors, ['auth refused']);
});

/**
 * A client in `state`, made with `options` added; `stop()` closes what the state needed on the server side, so a
 * test can compare the process's resources with the ones it had before.
 */
async function clientIn(state, options = {}) {
  const closers = [];
  const stop = async () => {
    for (const close of closers.splice(0)) await close();
  };
  if (state === 'resolving') {
    let release;
    const url = new Promise((resolve) => (release = resolve));
    const rws = new ReconnectingWebSocket(() => url, { ...FAST, ...options });
    closers.push(() => release('ws://127.0.0.1:1'));
    return { rws, stop };
  }
  if (state === 'connecting') {
    // TCP accepted, the upgrade never answered.
    const server = net.createServer(() => {}).listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => closeServer(server));
    const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${server.address().port}`, { ...FAST, ...options });
    await once(server, 'connection');
    return { rws, stop };
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  closers.push(() => stopServer(wss));
  const url = `ws://127.0.0.1:${wss.address().port}`;
  if (state === 'hook') {
    let entered;
    const inHook = new Promise((resolve) => (entered = resolve));
    const rws = new ReconnectingWebSocket(url, { ...FAST, ...options, onOpen: () => (entered(), new Promise(() => {})) });
    await inHook;
    return { rws, stop };
  }
  const rws = new ReconnectingWebSocket(url, { ...FAST, minDelay: 300, maxDelay: 300, initialJitter: 300, ...options });
  await nextEvent(rws, 'open');
  if (state === 'waiting') {
    const closed = new Promise((resolve) => wss.close(() => resolve()));
    for (const ws of wss.clients) ws.terminate();
    await nextEvent(rws, 'reconnect');
    await closed;
  }
  return { rws, stop };
}

const STATES = ['resolving', 'connecting', 'hook', 'open', 'waiting'];

/** The resource counts that must come back: timers, TCP sockets and servers. */
function handles() {
  const { Timeout = 0, TCPSocketWrap = 0, TCPServerWrap = 0 } = activeResources();
  return { Timeout, TCPSocketWrap, TCPServerWrap };
}

/** The counts once the previous test's sockets have finished closing (bounded wait). */
async function settledHandles() {
  for (let i = 0; i < 200 && (handles().TCPSocketWrap > 0 || handles().TCPServerWrap > 0); i++) await delay(10);
  return handles();
}

for (const state of STATES) {
  for (const how of ['close()', 'signal.abort()']) {
    test(`${how} while ${state}: closed for good, no event after it, no timer or socket left`, T, async () => {
      const before = await settledHandles();
      const controller = new AbortController();
      const { rws, stop } = await clientIn(state, { signal: controller.signal });
      const socket = rws.socket;
      const log = record(rws, ['connecting', 'open', 'reconnect', 'giveup', 'error']);
      if (how === 'close()') rws.close();
      else controller.abort();
      rws.close();
      if (socket !== null) await nextEvent(socket, 'close');
      assert.equal(rws.readyState, 3);
      assert.equal(rws.socket, null);
      await stop();
      await delay(20);
      assert.deepEqual(log, [], `no events after ${how} while ${state}`);
      assert.deepEqual(handles(), before);
    });
  }

  test(`reconnect() while ${state}: the old socket closes first, then a new attempt`, T, async () => {
    const { rws, stop } = await clientIn(state);
    const old = rws.socket;
    const log = record(rws, ['reconnect', 'connecting']);
    rws.reconnect();
    rws.reconnect();
    if (old !== null) {
      // The new attempt waits for the old socket's 'close'.
      assert.equal(log.filter((e) => e.name === 'connecting').length, 0);
      await nextEvent(old, 'close');
    }
    await until(rws, 'connecting', () => log.some((e) => e.name === 'connecting'));
    if (state === 'open') await until(rws, 'open', () => rws.readyState === 1);
    // Each reconnect() that found no live socket restarted the attempt at once (resolving, waiting); with a socket
    // alive, the second call was absorbed by the first.
    const events = log.map((e) => [e.name, ...e.args]);
    assert.ok(events.length === 2 || events.length === 4, JSON.stringify(events));
    events.forEach((event, i) => assert.deepEqual(event, i % 2 === 0 ? ['reconnect', 1, 0, { type: 'manual' }] : ['connecting', 1]));
    if (old !== null) assert.notEqual(rws.socket, old);
    await closeFully(rws);
    await stop();
  });
}

test('AbortSignal: already aborted means no attempt; aborting later is close(); reconnect() after abort does nothing', T, async (t) => {
  const { connections, url } = await recordingServer(t);
  const aborted = new ReconnectingWebSocket(url, { ...FAST, signal: AbortSignal.abort() });
  assert.equal(aborted.readyState, 3);
  assert.equal(aborted.socket, null);
  const controller = new AbortController();
  const rws = new ReconnectingWebSocket(url, { ...FAST, signal: controller.signal });
  await nextEvent(rws, 'open');
  const socket = rws.socket;
  controller.abort();
  assert.equal(rws.readyState, 2);
  await nextEvent(socket, 'close');
  assert.equal(rws.readyState, 3);
  rws.reconnect();
  aborted.reconnect();
  await delay(30);
  assert.equal(rws.readyState, 3);
  assert.equal(connections.length, 1);
});

test('reconnect() after giveup or close() starts over', T, async (t) => {
  const { url, wss } = await recordingServer(t);
  let refuse = true;
  wss.on('connection', (ws) => refuse && ws.close(4000));
  const rws = new ReconnectingWebSocket(url, FAST);
  t.after(() => closeFully(rws));
  await nextEvent(rws, 'giveup');
  assert.equal(rws.readyState, 3);
  refuse = false;
  rws.reconnect();
  await nextEvent(rws, 'open');
  rws.close();
  await nextEvent(rws, 'close');
  rws.reconnect();
  await nextEvent(rws, 'open');
  assert.equal(rws.attempt, 1);
});

test('exactly one live socket while reconnect() is hammered in every state', T, async (t) => {
  const { url, wss } = await recordingServer(t);
  let n = 0;
  wss.on('connection', (ws) => {
    if (++n % 3 === 0) ws.terminate();
  });
  const rws = new ReconnectingWebSocket(url, { ...FAST, minDelay: 1, maxDelay: 5, onOpen: () => delay(n % 2) });
  const sockets = new Set();
  let violations = 0;
  const sampler = setInterval(() => {
    if (rws.socket !== null) sockets.add(rws.socket);
    const live = [...sockets].filter((s) => s.readyState !== WebSocket.CLOSED);
    if (live.length > 1) violations++;
  }, 1);
  for (let i = 0; i < 60; i++) {
    rws.reconnect();
    await delay(i % 7);
  }
  await until(rws, 'open', () => rws.readyState === 1);
  clearInterval(sampler);
  await closeFully(rws);
  assert.equal(violations, 0);
  assert.ok(sockets.size > 3);
});

test('1,000 connect/kill cycles leave no timers or sockets behind', { timeout: 120000 }, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => ws.terminate());
  const baseline = activeResources();
  const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${wss.address().port}`, { minDelay: 0, maxDelay: 0, maxRetries: 999 });
  let opens = 0;
  rws.on('open', () => opens++);
  const started = performance.now();
  const [reason] = await nextEvent(rws, 'giveup', 100000);
  const elapsed = performance.now() - started;
  assert.equal(reason.type, 'max-retries');
  assert.equal(reason.attempts, 1000);
  assert.equal(opens, 1000);
  await delay(50);
  const after = activeResources();
  assert.deepEqual(
    { timers: after.Timeout ?? 0, sockets: after.TCPSocketWrap ?? 0 },
    { timers: baseline.Timeout ?? 0, sockets: baseline.TCPSocketWrap ?? 0 },
    `${JSON.stringify(after)} vs ${JSON.stringify(baseline)}`
  );
  t.diagnostic(`1000 connect/kill cycles in ${Math.round(elapsed)} ms; resources after: ${JSON.stringify(after)}`);
});
