// permessage-deflate ordering and teardown through the public API over loopback. The zlib limiter is process-wide
// and sized by the first PerMessageDeflate made, so this file's first server sets concurrencyLimit 1: with several
// connections sending at once, compression jobs queue. Compressed, uncompressed (`compress: false` or below the
// threshold), fragmented (`fin: false`) sends and pings are mixed; a sniffing proxy checks RSV1 on every frame
// (RFC 7692 §6: first frame only; RFC 7692 §6.1: never on control frames), messages must arrive in send order and
// send callbacks must fire in order. Then sockets die with deflate work pending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSniffProxy } from '../helpers/sniff-proxy.mjs';
import { trackZlibStreams } from '../helpers/zlib-streams.mjs';

const require = createRequire(import.meta.url);
const sockwire = require(process.env.SOCKWIRE_API_DIST ?? '../../dist/cjs/index.js');
const ws = require('ws');

const WAIT_MS = 10000;

// Every raw deflate/inflate stream that does work is tracked until its 'close' (the zlib handle is freed then).
const openStreams = trackZlibStreams().open;

function bounded(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Wait (bounded by turns and time) until `done()` holds. */
async function until(done, label, ms = WAIT_MS) {
  const start = Date.now();
  for (let turn = 0; turn < 100000 && !done(); turn++) {
    if (Date.now() - start > ms) throw new Error(`timed out: ${label}`);
    await new Promise((resolve) => setTimeout(resolve, turn < 50 ? 0 : 5));
  }
  if (!done()) throw new Error(`gave up: ${label}`);
}

function text(size, seed) {
  let out = '';
  for (let i = 0; out.length < size; i++) out += `{"seq":${seed},"i":${i},"v":"${(seed * 31 + i) % 97}"},`;
  return out.slice(0, size);
}

/**
 * A deterministic plan of sends: whole messages of several sizes with and without `compress`, fragmented
 * messages whose later fragments ask for the opposite `compress` (ignored: RFC 7692 §6 decides per message),
 * and pings between fragments.
 */
function plan(seed) {
  const steps = [];
  const sizes = [0, 10, 1023, 1024, 3000, 20000];
  for (let i = 0; i < 24; i++) {
    const size = sizes[(i + seed) % sizes.length];
    const compress = (i + seed) % 3 !== 0;
    const binary = i % 2 === 1;
    if (i % 5 === 4) {
      const parts = [text(size, i), text(700, i + 1), text(2000, i + 2)];
      steps.push({ kind: 'fragment', data: parts[0], binary, compress, fin: false });
      steps.push({ kind: 'ping' });
      steps.push({ kind: 'fragment', data: parts[1], binary, compress: !compress, fin: false });
      steps.push({ kind: 'fragment', data: parts[2], binary, compress: !compress, fin: true });
    } else {
      steps.push({ kind: 'message', data: text(size, i * 7 + seed), binary, compress, fin: true });
    }
  }
  return steps;
}

/** The messages a plan delivers, and the expected data frames as `FIN RSV opcode` keys. */
function expectations(steps, threshold, takeover) {
  const messages = [];
  const frames = [];
  let current = null;
  for (const step of steps) {
    if (step.kind === 'ping') {
      frames.push('F0:9');
      continue;
    }
    const first = current === null;
    if (first) {
      // ws's rule: below the threshold a message goes uncompressed only without context takeover.
      const size = Buffer.byteLength(step.data);
      current = { parts: [], binary: step.binary, rsv1: step.compress && (takeover || size >= threshold) };
    }
    current.parts.push(step.data);
    frames.push(`${step.fin ? 'F' : '-'}${first && current.rsv1 ? 4 : 0}:${first ? (step.binary ? 2 : 1) : 0}`);
    if (step.fin) {
      messages.push({ binary: current.binary, data: Buffer.from(current.parts.join('')) });
      current = null;
    }
  }
  return { messages, frames };
}

function run(socket, steps, order) {
  steps.forEach((step, i) => {
    const callback = (error) => order.push(error ? `${i}:${error.message}` : i);
    if (step.kind === 'ping') socket.ping(Buffer.from('p'), undefined, callback);
    else socket.send(step.data, { binary: step.binary, compress: step.compress, fin: step.fin }, callback);
  });
}

/**
 * `clients` clients of `lib` each run a plan to a server of `lib` (each through its own sniffing proxy); the server
 * answers each connection with a plan of its own. Returns what both ends saw and the frames on each wire.
 */
async function orderingRun(lib, deflateOptions, clients) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflateOptions });
  await bounded(new Promise((resolve) => wss.once('listening', resolve)), 'listening');
  const serverSide = [];
  wss.on('connection', (socket) => {
    const record = { messages: [], order: [], steps: null };
    serverSide.push(record);
    socket.on('message', (data, isBinary) => {
      record.messages.push({ binary: isBinary, data });
      if (record.steps === null) {
        // Answer with a plan seeded by the first message, so each connection's answer differs.
        record.steps = plan(data.length % 7);
        run(socket, record.steps, record.order);
      }
    });
  });
  const proxies = [];
  try {
    const sides = [];
    for (let c = 0; c < clients; c++) {
      const proxy = await startSniffProxy(wss.address().port);
      proxies.push(proxy);
      const client = new lib.WebSocket(`ws://127.0.0.1:${proxy.port}/`, { perMessageDeflate: deflateOptions });
      const side = { client, steps: plan(c), order: [], messages: [], pongs: 0, wire: proxy.connections };
      client.on('message', (data, isBinary) => side.messages.push({ binary: isBinary, data }));
      client.on('pong', () => side.pongs++);
      sides.push(side);
    }
    await bounded(Promise.all(sides.map((s) => new Promise((resolve) => s.client.once('open', resolve)))), 'open');
    // Every client's burst is queued in the same tick, so the one-slot limiter makes them wait for each other.
    for (const side of sides) run(side.client, side.steps, side.order);
    const expected = (steps) => expectations(steps, deflateOptions.threshold ?? 1024, !deflateOptions.serverNoContextTakeover);
    await until(() => serverSide.length === clients && serverSide.every((r) => r.steps !== null && r.order.length === r.steps.length), 'server sends done');
    await until(() => sides.every((s) => {
      const answer = serverSide.find((r) => r.messages.length > 0 && r.messages[0].data.length === Buffer.byteLength(s.steps[0].data));
      return s.order.length === s.steps.length && answer !== undefined && s.messages.length >= expected(answer.steps).messages.length;
    }), 'both directions delivered');
    for (const side of sides) side.client.close();
    await until(() => sides.every((s) => s.client.readyState === 3), 'closed');
    return { sides, serverSide, expected };
  } finally {
    for (const proxy of proxies) await proxy.close();
    await new Promise((resolve) => wss.close(resolve));
  }
}

function checkRun(label, { sides, serverSide, expected }) {
  const key = (f) => `${f.fin ? 'F' : '-'}${f.rsv}:${f.opcode}`;
  // Only data frames and pings are planned; pongs (answers to the other side's pings) and closes are left out.
  const planned = (frames) => frames.filter((f) => f.opcode !== 0xa && f.opcode !== 0x8).map(key);
  const range = (n) => Array.from({ length: n }, (_, k) => k);
  sides.forEach((side, i) => {
    const up = expected(side.steps);
    const server = serverSide.find((r) => r.messages[0].data.length === up.messages[0].data.length);
    const down = expected(server.steps);
    assert.deepEqual(side.order, range(side.steps.length), `${label}: client ${i} callbacks`);
    assert.deepEqual(server.order, range(server.steps.length), `${label}: server ${i} callbacks`);
    assert.deepEqual(server.messages, up.messages, `${label}: client ${i} -> server messages`);
    assert.deepEqual(side.messages, down.messages, `${label}: server -> client ${i} messages`);
    assert.equal(side.wire.length, 1);
    assert.deepEqual(planned(side.wire[0].c2s), up.frames, `${label}: client ${i} frames`);
    assert.deepEqual(planned(side.wire[0].s2c), down.frames, `${label}: server ${i} frames`);
    assert.ok(side.wire[0].c2s.some((f) => f.rsv === 4) && side.wire[0].s2c.some((f) => f.rsv === 4), `${label}: compressed`);
    assert.equal(side.pongs, side.steps.filter((s) => s.kind === 'ping').length, `${label}: pongs`);
  });
}

// Created first in this process: it sizes the shared zlib limiter to one job at a time.
const limiterOwner = new sockwire.PerMessageDeflate({ concurrencyLimit: 1 });

test('concurrencyLimit 1, no context takeover, threshold 1024: 4 clients, mixed sends arrive in order', { timeout: 30000 }, async () => {
  assert.ok(limiterOwner);
  const options = { concurrencyLimit: 1, serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 };
  const result = await orderingRun(sockwire, options, 4);
  checkRun('no takeover', result);
  // Sanity for the expectation model: the same plan through ws gives the same frames.
  const reference = await orderingRun(ws, options, 1);
  checkRun('ws', reference);
});

test('concurrencyLimit 1, context takeover (threshold ignored): 4 clients, mixed sends arrive in order', { timeout: 30000 }, async () => {
  const options = { concurrencyLimit: 1 };
  checkRun('takeover', await orderingRun(sockwire, options, 4));
  checkRun('ws takeover', await orderingRun(ws, options, 1));
});

/** A deflate server and one open client; `onConnection(socket)` runs for the server side. */
async function pair(lib, onConnection = () => {}, onClient = () => {}) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { concurrencyLimit: 1 } });
  await bounded(new Promise((resolve) => wss.once('listening', resolve)), 'listening');
  const server = { events: [], socket: null };
  wss.on('connection', (socket) => {
    server.socket = socket;
    socket.on('error', (error) => server.events.push(`error:${error.message}`));
    socket.on('close', (code) => server.events.push(`close:${code}`));
    onConnection(socket);
  });
  const client = new lib.WebSocket(`ws://127.0.0.1:${wss.address().port}/`);
  onClient(client);
  const events = [];
  client.on('error', (error) => events.push(`error:${error.message}`));
  client.on('close', (code) => events.push(`close:${code}`));
  await bounded(new Promise((resolve) => client.once('open', resolve)), 'open');
  await until(() => server.socket !== null, 'server socket');
  const stop = () => new Promise((resolve) => wss.close(resolve));
  return { client, events, server, stop };
}

const BIG = Buffer.from(text(256 * 1024, 1));
const BURST = 20;

/** Send BURST big compressible messages, recording each callback's outcome (by index). */
function burst(socket) {
  const outcomes = new Array(BURST).fill(null).map(() => []);
  for (let i = 0; i < BURST; i++) socket.send(BIG, (error) => outcomes[i].push(error ? error.message : 'ok'));
  return outcomes;
}

function assertEachCalledOnce(outcomes) {
  const calls = outcomes.map((o) => o.length);
  const missing = calls.filter((n) => n === 0).length;
  const repeated = calls.filter((n) => n > 1).length;
  assert.deepEqual({ missing, repeated }, { missing: 0, repeated: 0 }, `callbacks per send: ${calls.join('')}`);
}

async function releasedStreams() {
  await until(() => openStreams.size === 0, 'zlib streams closed', 5000).catch(() => {});
  return openStreams.size;
}

for (const [name, lib] of [['sockwire', sockwire], ['ws', ws]]) {
  test(`${name}: terminate() right after a burst of 20 compressed sends: every callback once with an error, one close`, { timeout: 15000 }, async () => {
    const { client, events, stop } = await pair(lib);
    try {
      const outcomes = burst(client);
      client.terminate();
      await until(() => events.length > 0, 'close event');
      await until(() => outcomes.every((o) => o.length > 0), 'all callbacks', 1000).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(events, ['close:1006']);
      assert.equal(await releasedStreams(), 0, 'zlib streams released');
      assert.deepEqual(outcomes[0], ['The socket was closed while data was being compressed']);
      // As ws: the queued sends fail too, with the same error, each callback exactly once.
      assertEachCalledOnce(outcomes);
      for (const [outcome] of outcomes) assert.equal(outcome, 'The socket was closed while data was being compressed');
    } finally {
      await stop();
    }
  });

  test(`${name}: the peer terminates mid-burst (after the first message): callbacks once each, one close, no crash`, { timeout: 15000 }, async () => {
    const { client, events, server, stop } = await pair(lib, (socket) => socket.once('message', () => socket.terminate()));
    try {
      const outcomes = burst(client);
      await until(() => events.length > 0, 'close event');
      await until(() => outcomes.every((o) => o.length > 0), 'all callbacks', 1000).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(events, ['close:1006']);
      assert.deepEqual(server.events, ['close:1006']);
      assert.equal(await releasedStreams(), 0, 'zlib streams released');
      assert.equal(outcomes[0][0], 'ok');
      assertEachCalledOnce(outcomes);
      // Everything that did not reach the socket failed; nothing reports success after a failure.
      const firstError = outcomes.findIndex(([o]) => o !== 'ok');
      assert.ok(firstError > 0, 'some sends failed');
      for (const [outcome] of outcomes.slice(firstError)) assert.notEqual(outcome, 'ok');
    } finally {
      await stop();
    }
  });

  test(`${name}: server bursts 20 compressed sends, the client terminates on the first: server callbacks once each, one close`, { timeout: 15000 }, async () => {
    let outcomes;
    const { server, stop } = await pair(
      lib,
      (socket) => {
        outcomes = burst(socket);
      },
      (client) => client.once('message', () => client.terminate())
    );
    try {
      await until(() => server.events.length > 0, 'server close event');
      await until(() => outcomes.every((o) => o.length > 0), 'all callbacks', 1000).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(server.events, ['close:1006']);
      assert.equal(await releasedStreams(), 0, 'zlib streams released');
      assert.equal(outcomes[0][0], 'ok');
      assertEachCalledOnce(outcomes);
      assert.ok(outcomes.some(([o]) => o !== 'ok'), 'some sends failed');
    } finally {
      await stop();
    }
  });
}
