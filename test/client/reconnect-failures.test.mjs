// ReconnectingWebSocket against failing servers: refused connections, a server that accepts and closes at once, one
// that dies and comes back, 429/503 with Retry-After, and every close-code and status class. Delays are short
// (options), and only the lower and upper bounds the backoff guarantees are asserted, never speed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { ReconnectingWebSocket, WebSocketServer, FAST, delay, nextEvent, record, startServer, startHttpServer, unusedPort, closeFully, closeServer, withTimeout } from './helpers.mjs';

const T = { timeout: 30000 };
/**
 * Node arms a timer against the event loop's cached clock (libuv's uv_now, taken when the loop iteration began), so
 * measured from `performance.now()` at arming time a timer may fire up to one loop iteration early. 20 ms covers a
 * slow iteration on a busy machine; the delays themselves are asserted exactly.
 */
const TIMER_SLACK = 20;

/** Gaps between consecutive 'connecting' events and the delays announced by the 'reconnect' before each. */
function attemptTimes(log) {
  const connecting = log.filter((e) => e.name === 'connecting');
  const reconnects = log.filter((e) => e.name === 'reconnect');
  return { starts: connecting.map((e) => Math.round(e.at)), delays: reconnects.map((e) => e.args[1]), connecting, reconnects };
}

/** Every retry waited at least what it announced, and the announced delays follow the backoff's bounds. */
function assertBackoff(log, { minDelay, maxDelay, factor }) {
  const { connecting, reconnects } = attemptTimes(log);
  reconnects.forEach((event, i) => {
    const [attempt, delay] = event.args;
    const failures = i + 1;
    assert.equal(attempt, failures + 1);
    if (failures === 1) assert.equal(delay, 0, 'first retry: initialJitter 0');
    else {
      const ceiling = Math.min(maxDelay, minDelay * factor ** (failures - 1));
      assert.ok(delay >= minDelay && delay <= ceiling, `retry ${failures}: ${delay} not in [${minDelay}, ${ceiling}]`);
    }
    const next = connecting[i + 1];
    if (next !== undefined) assert.ok(next.at - event.at >= delay - TIMER_SLACK, `attempt ${attempt} started early`);
  });
}

test('a refused connection is retried with backoff until maxRetries, then gives up', T, async (t) => {
  const port = await unusedPort();
  const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, { ...FAST, maxRetries: 5 });
  const log = record(rws, ['connecting', 'reconnect', 'error', 'close', 'giveup']);
  const [reason] = await nextEvent(rws, 'giveup');
  assert.equal(reason.type, 'max-retries');
  assert.equal(reason.attempts, 6);
  assert.equal(reason.last.type, 'error');
  assert.equal(reason.last.error.code, 'ECONNREFUSED');
  // Per attempt: connecting, error, close (1006), then reconnect — or giveup after the sixth.
  const names = log.map((e) => e.name);
  const perAttempt = ['connecting', 'error', 'close', 'reconnect'];
  assert.deepEqual(names, [...Array(5)].flatMap(() => perAttempt).concat(['connecting', 'error', 'close', 'giveup']));
  assert.deepEqual(log.filter((e) => e.name === 'close').map((e) => e.args[0]), Array(6).fill(1006));
  assertBackoff(log, FAST);
  assert.equal(rws.readyState, 3);
  const { starts, delays } = attemptTimes(log);
  t.diagnostic(`refused: attempts at ${starts.join(', ')} ms; delays ${delays.map(Math.round).join(', ')} ms`);
});

test('a server that accepts and closes at once is not hammered: the backoff grows (minUptime not reached)', T, async (t) => {
  const wss = await startServer(t);
  wss.on('connection', (ws) => ws.close(1000, 'go away'));
  // Delays long enough that "at least minDelay between attempts" is a real bound next to the timer slack.
  const backoff = { ...FAST, minDelay: 60, maxDelay: 480 };
  const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${wss.address().port}`, { ...backoff, maxRetries: 6 });
  const log = record(rws, ['connecting', 'open', 'reconnect', 'close', 'giveup']);
  const [reason] = await nextEvent(rws, 'giveup');
  assert.equal(reason.type, 'max-retries');
  assert.equal(reason.last.type, 'close');
  assert.equal(reason.last.code, 1000);
  assert.equal(reason.last.reason, 'go away');
  assert.equal(reason.last.wasClean, true);
  assert.equal(log.filter((e) => e.name === 'open').length, 7);
  assertBackoff(log, backoff);
  // No tight loop: after the first (immediate) retry every attempt waited at least minDelay.
  const { starts, delays } = attemptTimes(log);
  for (let i = 2; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= backoff.minDelay - TIMER_SLACK);
  t.diagnostic(`accept+close: attempts at ${starts.join(', ')} ms; delays ${delays.map(Math.round).join(', ')} ms`);
});

test('a server that dies and comes back: reconnects on the same port; a stable connection resets the backoff', T, async (t) => {
  let wss = await startServer(t);
  const port = wss.address().port;
  const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, { ...FAST, minUptime: 30 });
  t.after(() => closeFully(rws));
  const log = record(rws, ['connecting', 'open', 'reconnect', 'close']);
  await nextEvent(rws, 'open');
  // Stay up longer than minUptime, then kill the server (clients terminated, port closed).
  await delay(60);
  const refusedTwice = new Promise((resolve) => {
    let refused = 0;
    rws.on('error', (error) => {
      if (error.code === 'ECONNREFUSED' && ++refused === 2) resolve();
    });
  });
  const deadAt = performance.now();
  // Stop listening first, so that the immediate first retry is refused too.
  const closed = new Promise((resolve) => wss.close(() => resolve()));
  for (const ws of wss.clients) ws.terminate();
  await closed;
  await withTimeout(refusedTwice, 'two refused attempts');
  // Back on the same port.
  wss = new WebSocketServer({ port, host: '127.0.0.1' });
  t.after(() => new Promise((resolve) => wss.close(() => resolve())));
  await nextEvent(rws, 'open');
  const back = performance.now() - deadAt;
  const reconnects = log.filter((e) => e.name === 'reconnect');
  // The first connection lasted > minUptime: the streak starts over at attempt 1 with the immediate first retry.
  assert.deepEqual(reconnects[0].args.slice(0, 2), [1, 0]);
  assert.equal(reconnects[0].args[2].type, 'close');
  assert.equal(reconnects[0].args[2].code, 1006);
  assert.ok(reconnects[0].args[2].uptime >= 30);
  assert.deepEqual(reconnects.slice(1).map((e) => e.args[2].type), Array(reconnects.length - 1).fill('error'));
  assert.equal(log.filter((e) => e.name === 'open').length, 2);
  assert.equal(rws.readyState, 1);
  t.diagnostic(`dies and comes back: ${reconnects.length} retries, delays ${reconnects.map((e) => Math.round(e.args[1])).join(', ')} ms, open again after ${Math.round(back)} ms`);
});

/** An HTTP server that answers the first `refusals` upgrade requests with `status` (+ headers), then accepts. */
async function refusingThenAccepting(t, refusals, status, headers) {
  const wss = new WebSocketServer({ noServer: true });
  let seen = 0;
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => {
    if (seen++ < refusals) {
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n${lines}\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await closeServer(server);
  });
  return server;
}

for (const status of [429, 503]) {
  test(`${status} with Retry-After is honoured (delta-seconds)`, T, async (t) => {
    const server = await refusingThenAccepting(t, 1, status, { 'Retry-After': '1' });
    const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${server.address().port}`, FAST);
    t.after(() => closeFully(rws));
    const log = record(rws, ['connecting', 'reconnect', 'error', 'open']);
    await nextEvent(rws, 'open');
    const [first, second] = log.filter((e) => e.name === 'connecting');
    const [reconnect] = log.filter((e) => e.name === 'reconnect');
    const [attempt, delay, reason] = reconnect.args;
    assert.equal(attempt, 2);
    assert.equal(reason.type, 'unexpected-response');
    assert.equal(reason.status, status);
    assert.equal(reason.retryAfter, 1000);
    assert.ok(delay >= 1000, `delay ${delay}`);
    assert.ok(second.at - first.at >= 1000 - TIMER_SLACK);
    assert.equal(log.find((e) => e.name === 'error').args[0].message, `Unexpected server response: ${status}`);
    t.diagnostic(`${status} Retry-After 1: second attempt ${Math.round(second.at - first.at)} ms after the first`);
  });
}

/** A server whose connection closes right after opening with the code in the path: /close/CODE. */
async function closingServer(t) {
  const wss = await startServer(t);
  wss.on('connection', (ws, req) => ws.close(Number(req.url.split('/')[2]), 'by test'));
  return `ws://127.0.0.1:${wss.address().port}`;
}

/** The first decision after the first connection ends: ['reconnect', attempt, delay, reason] or ['giveup', reason]. */
async function firstVerdict(url, options = {}) {
  const rws = new ReconnectingWebSocket(url, { ...FAST, ...options });
  const verdict = await withTimeout(
    new Promise((resolve) => {
      rws.once('reconnect', (...args) => resolve(['reconnect', ...args]));
      rws.once('giveup', (...args) => resolve(['giveup', ...args]));
    }),
    'verdict'
  );
  await closeFully(rws);
  return verdict;
}

test('close codes: terminal ones give up with the reason, others reconnect', T, async (t) => {
  const base = await closingServer(t);
  for (const code of [1002, 1003, 1007, 1008, 1009, 1010, 3000, 3003, 4000, 4321, 4999]) {
    const [event, reason] = await firstVerdict(`${base}/close/${code}`);
    assert.equal(event, 'giveup', `code ${code}`);
    assert.deepEqual([reason.type, reason.code, reason.reason, reason.wasClean], ['close', code, 'by test', true]);
  }
  for (const code of [1000, 1001, 1011, 1014, 3001, 3999]) {
    const [event, attempt, , reason] = await firstVerdict(`${base}/close/${code}`);
    assert.equal(event, 'reconnect', `code ${code}`);
    assert.equal(attempt, 2);
    assert.equal(reason.code, code);
  }
});

test('retryCodes, reconnectOnNormalClose and shouldReconnect override the defaults', T, async (t) => {
  const base = await closingServer(t);
  assert.equal((await firstVerdict(`${base}/close/4001`, { retryCodes: [4001] }))[0], 'reconnect');
  assert.equal((await firstVerdict(`${base}/close/1008`, { retryCodes: [1008] }))[0], 'reconnect');
  assert.equal((await firstVerdict(`${base}/close/1000`, { reconnectOnNormalClose: false }))[0], 'giveup');
  assert.equal((await firstVerdict(`${base}/close/1001`, { reconnectOnNormalClose: false }))[0], 'giveup');
  const seen = [];
  const shouldReconnect = (event) => {
    seen.push([event.type, event.code, event.attempt, event.retryable]);
    return !event.retryable;
  };
  assert.equal((await firstVerdict(`${base}/close/1008`, { shouldReconnect }))[0], 'reconnect');
  assert.equal((await firstVerdict(`${base}/close/1011`, { shouldReconnect }))[0], 'giveup');
  assert.deepEqual(seen, [
    ['close', 1008, 1, false],
    ['close', 1011, 1, true]
  ]);
});

/** A server closing its n-th connection (0-based) with `codes[n]`, the last code for every later one. */
async function scriptedCloses(t, codes) {
  const wss = await startServer(t);
  let connections = 0;
  wss.on('connection', (ws) => ws.close(codes[Math.min(connections++, codes.length - 1)], 'by test'));
  return `ws://127.0.0.1:${wss.address().port}`;
}

/** Run `rws` to its 'giveup'; the 'reconnect' delays and the gaps between attempts, measured. */
async function runToGiveup(rws) {
  const log = record(rws, ['connecting', 'reconnect', 'giveup']);
  const [reason] = await nextEvent(rws, 'giveup');
  const { starts, reconnects } = attemptTimes(log);
  const gaps = starts.slice(1).map((at, i) => at - starts[i]);
  return { reason, reconnects: reconnects.map((e) => e.args), gaps, log };
}

test('1013 waits at least maxDelay / 2', T, async (t) => {
  const base = await closingServer(t);
  const rws = new ReconnectingWebSocket(`${base}/close/1013`, { ...FAST, maxRetries: 2 });
  const { reason, reconnects, gaps } = await runToGiveup(rws);
  assert.equal(reason.type, 'max-retries');
  assert.equal(reason.last.code, 1013);
  assert.deepEqual(reconnects.map(([attempt]) => attempt), [2, 3]);
  for (const [, delay, why] of reconnects) {
    assert.equal(why.code, 1013);
    assert.ok(delay >= FAST.maxDelay / 2 && delay <= FAST.maxDelay, `1013 delay ${delay}`);
  }
  gaps.forEach((gap, i) => assert.ok(gap >= reconnects[i][1] - TIMER_SLACK, `attempt ${i + 2} started early`));
  t.diagnostic(`1013 (maxDelay ${FAST.maxDelay}): delays ${reconnects.map(([, d]) => Math.round(d)).join(', ')} ms; attempts ${gaps.map(Math.round).join(', ')} ms apart`);
});

test('1012 after a failure: a delay below minDelay where the backoff gives at least minDelay, and the streak restarts', T, async (t) => {
  // 1011 (failure 1), 1012 (failure 2 for the backoff: ≥ minDelay; a restart: < minDelay, streak at 1), then 1011s.
  // With maxRetries 2, the restarted streak gives up at the fourth end; an unrestarted one would at the third.
  const url = await scriptedCloses(t, [1011, 1012, 1011]);
  const rws = new ReconnectingWebSocket(url, { ...FAST, maxRetries: 2 });
  const { reason, reconnects, gaps } = await runToGiveup(rws);
  assert.deepEqual(reconnects.map(([attempt, , why]) => [attempt, why.code]), [[2, 1011], [3, 1012], [4, 1011]]);
  assert.equal(reconnects[0][1], 0, 'first failure: initialJitter 0');
  assert.ok(reconnects[1][1] < FAST.minDelay, `1012 delay ${reconnects[1][1]}`);
  const ceiling = FAST.minDelay * FAST.factor;
  assert.ok(reconnects[2][1] >= FAST.minDelay && reconnects[2][1] <= ceiling, `failure 2 of the new streak: ${reconnects[2][1]}`);
  assert.equal(reason.type, 'max-retries');
  assert.equal(reason.attempts, 4);
  assert.equal(reason.last.code, 1011);
  t.diagnostic(`1011 then 1012 (minDelay ${FAST.minDelay}): delays ${reconnects.map(([, d]) => Math.round(d)).join(', ')} ms; attempts ${gaps.map(Math.round).join(', ')} ms apart`);
});

test('a server that always closes with 1012: only the first gets the short delay; the backoff and maxRetries apply', T, async (t) => {
  const base = await closingServer(t);
  const rws = new ReconnectingWebSocket(`${base}/close/1012`, { ...FAST, maxRetries: 3 });
  const { reason, reconnects, gaps } = await runToGiveup(rws);
  assert.deepEqual(reconnects.map(([attempt, , why]) => [attempt, why.code]), [[2, 1012], [3, 1012], [4, 1012]]);
  assert.ok(reconnects[0][1] < FAST.minDelay, `first 1012 delay ${reconnects[0][1]}`);
  reconnects.slice(1).forEach(([attempt, delay], i) => {
    const ceiling = Math.min(FAST.maxDelay, FAST.minDelay * FAST.factor ** (i + 1));
    assert.ok(delay >= FAST.minDelay && delay <= ceiling, `attempt ${attempt}: ${delay} not in [${FAST.minDelay}, ${ceiling}]`);
  });
  assert.equal(reason.type, 'max-retries');
  assert.equal(reason.attempts, 4);
  assert.equal(reason.last.code, 1012);
  t.diagnostic(`1012 every time (minDelay ${FAST.minDelay}): delays ${reconnects.map(([, d]) => Math.round(d)).join(', ')} ms; attempts ${gaps.map(Math.round).join(', ')} ms apart`);
});

test('handshake statuses: 4xx other than 408/429 give up, 408/429/5xx reconnect', T, async (t) => {
  const server = await startHttpServer(t, (req, res) => {
    res.writeHead(Number(req.url.slice(1)), { Connection: 'close' });
    res.end();
  });
  const base = `ws://127.0.0.1:${server.address().port}`;
  for (const status of [400, 401, 403, 404, 426]) {
    const [event, reason] = await firstVerdict(`${base}/${status}`);
    assert.equal(event, 'giveup', `status ${status}`);
    assert.deepEqual([reason.type, reason.status], ['unexpected-response', status]);
  }
  for (const status of [408, 429, 500, 502, 503]) {
    const [event, , , reason] = await firstVerdict(`${base}/${status}`);
    assert.equal(event, 'reconnect', `status ${status}`);
    assert.equal(reason.status, status);
    assert.equal('retryAfter' in reason, false);
  }
});
