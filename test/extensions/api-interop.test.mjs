// permessage-deflate through the public API over real loopback sockets, ws <-> sockwire in both directions, for
// every option combination (serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits 8-15/unset,
// clientMaxWindowBits true/8-15/unset, threshold 0/1024). A sniffing TCP proxy sits between the peers and records
// the extension headers and every frame's FIN/RSV/opcode/length. Each session is compared with ws <-> ws under the
// same options: same negotiated headers, same frame sequence (so the same frames carry RSV1, RFC 7692 §6), and
// every echoed message byte-exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSniffProxy } from '../helpers/sniff-proxy.mjs';
import { xorshift32 } from '../helpers/xorshift.mjs';

const require = createRequire(import.meta.url);
const sockwire = require(process.env.SOCKWIRE_API_DIST ?? '../../dist/cjs/index.js');
const ws = require('ws');

const MiB = 1024 * 1024;
const WAIT_MS = 20000;

/** Race a promise against a timer (cleared afterwards). */
function bounded(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Deterministic xorshift32 PRNG. */
const prng = xorshift32;

/** JSON-like ASCII text of exactly `size` bytes (compressible, like real traffic). */
function jsonText(size, seed) {
  const next = prng(seed);
  let out = '';
  for (let i = 0; out.length < size; i++) {
    out += `{"id":${i},"user":"u${Math.floor(next() * 5000)}","ok":${next() < 0.5},"score":${next().toFixed(4)}},`;
  }
  return out.slice(0, size);
}

/** Binary data of `size` bytes over a small alphabet (compresses to roughly half). */
function binary(size, seed) {
  const next = prng(seed);
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = 0x30 + Math.floor(next() * 16) + (i & 0x40);
  return out;
}

// Sizes around the threshold (1024), the 7/16/64-bit length forms, and 1 MiB.
const FULL = [
  ['text', 0],
  ['binary', 1],
  ['text', 125],
  ['text', 1023],
  ['binary', 1024],
  ['text', 1025],
  ['binary', 65535],
  ['text', 65536]
].map(([kind, size], i) => ({ binary: kind === 'binary', data: kind === 'binary' ? binary(size, i + 1) : jsonText(size, i + 1) }));
const BIG = [
  [...FULL, { binary: false, data: jsonText(MiB, 11) }],
  [...FULL, { binary: true, data: binary(MiB, 12) }]
];
const LIGHT = [FULL[0], FULL[2], FULL[5], { binary: true, data: binary(20000, 99) }];

/** The Sec-WebSocket-Extensions value of an HTTP head, or null. */
function extensionsOf(head) {
  const line = head.split('\r\n').find((l) => /^sec-websocket-extensions:/i.test(l));
  return line === undefined ? null : line.slice(line.indexOf(':') + 1).trim();
}

/** An echo server of `lib` with the given perMessageDeflate options. */
async function echoServer(lib, perMessageDeflate) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  await bounded(new Promise((resolve) => wss.once('listening', resolve)), 'listening');
  const closes = [];
  let firstClose;
  // The server's socket closes on its own schedule: the client's 'close' (through the proxy) can come first.
  const closed = new Promise((resolve) => (firstClose = resolve));
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('close', (code) => {
      closes.push(code);
      firstClose();
    });
  });
  return { port: wss.address().port, closes, closed, close: () => new Promise((resolve) => wss.close(resolve)) };
}

/** One client session through the proxy: send every message at once, collect the echoes, close with 1000. */
async function session(clientLib, serverLib, clientOptions, serverOptions, messages) {
  const server = await echoServer(serverLib, serverOptions);
  const proxy = await startSniffProxy(server.port);
  try {
    const client = new clientLib.WebSocket(`ws://127.0.0.1:${proxy.port}/`, { perMessageDeflate: clientOptions });
    const echoes = [];
    const errors = [];
    client.on('error', (error) => errors.push(error.message));
    const opened = await bounded(new Promise((resolve) => {
      client.once('open', () => resolve(true));
      client.once('close', () => resolve(false));
    }), 'open');
    if (opened) {
      await bounded(new Promise((resolve) => {
        client.on('message', (data, isBinary) => {
          echoes.push({ binary: isBinary, data });
          if (echoes.length === messages.length) resolve();
        });
        for (const m of messages) client.send(m.data, { binary: m.binary });
      }), 'echoes');
      const closed = new Promise((resolve) => client.once('close', resolve));
      client.close(1000);
      await bounded(closed, 'close');
      await bounded(server.closed, 'server close');
    }
    const record = proxy.connections[0] ?? { request: '', response: '', c2s: [], s2c: [] };
    return { opened, echoes, errors, serverCloses: server.closes, ...record };
  } finally {
    await proxy.close();
    await server.close();
  }
}

/** Every combination of the options the brief lists; undefined options are left out of the object. */
function allCombinations() {
  const out = [];
  for (const serverNoContextTakeover of [false, true]) {
    for (const clientNoContextTakeover of [false, true]) {
      for (const serverMaxWindowBits of [undefined, 8, 9, 10, 11, 12, 13, 14, 15]) {
        for (const clientMaxWindowBits of [undefined, true, 8, 9, 10, 11, 12, 13, 14, 15]) {
          for (const threshold of [0, 1024]) {
            const options = { serverNoContextTakeover, clientNoContextTakeover, threshold };
            if (serverMaxWindowBits !== undefined) options.serverMaxWindowBits = serverMaxWindowBits;
            if (clientMaxWindowBits !== undefined) options.clientMaxWindowBits = clientMaxWindowBits;
            out.push(options);
          }
        }
      }
    }
  }
  return out;
}

const frameKey = (f) => `${f.fin ? 'F' : '-'}${f.rsv}:${f.opcode}:${f.length}`;

/**
 * Check one session against ws <-> ws. `side` names the sockwire end; the wire frames it sends must equal ws's,
 * and the frames of the ws end must too (same negotiated parameters mean same compression on that side).
 */
function compare(label, ours, reference, messages) {
  assert.equal(ours.opened, reference.opened, `${label}: opened`);
  assert.equal(extensionsOf(ours.request), extensionsOf(reference.request), `${label}: offer`);
  assert.equal(extensionsOf(ours.response), extensionsOf(reference.response), `${label}: response`);
  assert.deepEqual(ours.errors, reference.errors, `${label}: client errors`);
  if (!reference.opened) return;
  assert.equal(ours.echoes.length, messages.length, `${label}: echo count`);
  for (let i = 0; i < messages.length; i++) {
    const { data, binary: isBinary } = ours.echoes[i];
    assert.equal(isBinary, messages[i].binary, `${label}: message ${i} type`);
    assert.ok(Buffer.from(data).equals(Buffer.from(messages[i].data)), `${label}: message ${i} bytes`);
  }
  assert.deepEqual(ours.c2s.map(frameKey), reference.c2s.map(frameKey), `${label}: client frames`);
  assert.deepEqual(ours.s2c.map(frameKey), reference.s2c.map(frameKey), `${label}: server frames`);
  assert.deepEqual(ours.serverCloses, [1000], `${label}: server close`);
}

/** With deflate negotiated, every data frame of at least 1025 bytes is compressed in both directions. */
function assertCompressed(label, record, messages) {
  const data = (frames) => frames.filter((f) => f.opcode < 8);
  for (const frames of [data(record.c2s), data(record.s2c)]) {
    assert.equal(frames.length, messages.length, label);
    messages.forEach((m, i) => {
      if (Buffer.byteLength(m.data) >= 1025) {
        assert.equal(frames[i].rsv, 4, `${label}: message ${i} RSV1`);
        assert.ok(frames[i].length < Buffer.byteLength(m.data), `${label}: message ${i} shrank`);
      }
    });
  }
}

/** Run both directions for one (client options, server options) pair; returns whether deflate was negotiated. */
async function checkPair(clientOptions, serverOptions, messages) {
  const label = `client ${JSON.stringify(clientOptions)} server ${JSON.stringify(serverOptions)}`;
  const reference = await session(ws, ws, clientOptions, serverOptions, messages);
  const toSockwire = await session(ws, sockwire, clientOptions, serverOptions, messages);
  compare(`ws -> sockwire, ${label}`, toSockwire, reference, messages);
  const fromSockwire = await session(sockwire, ws, clientOptions, serverOptions, messages);
  compare(`sockwire -> ws, ${label}`, fromSockwire, reference, messages);
  const negotiated = reference.opened && extensionsOf(reference.response) !== null;
  if (negotiated) {
    assertCompressed(`ws -> sockwire, ${label}`, toSockwire, messages);
    assertCompressed(`sockwire -> ws, ${label}`, fromSockwire, messages);
  }
  return negotiated;
}

/** Run `jobs` with at most `width` in flight. */
async function pool(jobs, width) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const COMBINATIONS = allCombinations();

test('the sniffer works: ws <-> ws with deflate shows RSV1 on big frames, and none without deflate', async () => {
  const messages = [FULL[5]];
  const on = await session(ws, ws, {}, {}, messages);
  assert.equal(extensionsOf(on.request), 'permessage-deflate; client_max_window_bits');
  assert.equal(extensionsOf(on.response), 'permessage-deflate');
  assert.equal(on.c2s[0].rsv, 4);
  assert.equal(on.s2c[0].rsv, 4);
  const off = await session(ws, ws, false, false, messages);
  assert.equal(extensionsOf(off.response), null);
  assert.deepEqual(off.c2s.map(frameKey), ['F0:1:1025', 'F0:8:2']);
});

test(`${COMBINATIONS.length} option combinations, same options on both ends, both directions, match ws <-> ws`, { timeout: 300000 }, async (t) => {
  assert.equal(COMBINATIONS.length, 720);
  // 0 B-64 KiB plus one 1 MiB text or binary message on every 17th combination (this hits every value of every
  // option); the rest get four small messages (0, 125, 1025 and 20000 bytes).
  const jobs = COMBINATIONS.map((options, i) => () => checkPair(options, options, i % 17 === 0 ? BIG[(i / 17) % 2] : LIGHT));
  const negotiated = await pool(jobs, 4);
  const count = negotiated.filter(Boolean).length;
  t.diagnostic(`deflate negotiated in ${count} of ${COMBINATIONS.length} combinations (ws <-> ws decides which)`);
  assert.ok(count >= 360, `negotiated in ${count}`);
});

test('200 seeded pairs of different client and server options, both directions, match ws <-> ws', { timeout: 60000 }, async (t) => {
  const next = prng(20240505);
  const pick = () => COMBINATIONS[Math.floor(next() * COMBINATIONS.length)];
  const jobs = Array.from({ length: 200 }, () => {
    const pair = [pick(), pick()];
    return () => checkPair(pair[0], pair[1], LIGHT);
  });
  const negotiated = await pool(jobs, 4);
  const count = negotiated.filter(Boolean).length;
  t.diagnostic(`deflate negotiated in ${count} of 200 pairs`);
  assert.ok(count >= 30, `negotiated in ${count}`);
});
