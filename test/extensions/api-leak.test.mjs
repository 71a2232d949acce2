// 10,000 sockwire client <-> sockwire server connections over loopback with permessage-deflate negotiated, 50 at a
// time: each one sends a compressed message, gets the compressed echo and closes cleanly. Afterwards no zlib handle
// may remain (native ZLIB handles counted with async_hooks after a full GC, and every deflate/inflate stream must
// have emitted 'close'), the process's active resources (sockets, servers, timers) must be back to the baseline and
// RSS must not have grown beyond a bounded slack. Bounded in count (10,000) and in time (each cycle must finish within 10 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trackZlibStreams } from '../helpers/zlib-streams.mjs';

const require = createRequire(import.meta.url);
const sockwire = require(process.env.SOCKWIRE_API_DIST ?? '../../dist/cjs/index.js');

const MiB = 1024 * 1024;
const TOTAL = 10000;
const WARM_UP = 2000;
const WIDTH = 50;
/**
 * One cycle (connect, compressed round trip, close) that takes longer than this has hung. There is no budget for
 * the whole run: 10,000 cycles take ~25 s on an idle 2-core machine and ~50 s on a busy one.
 */
const CYCLE_MS = 10000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

// Native zlib handles alive: init adds, destroy (after close and collection) removes.
const liveZlib = new Set();
createHook({
  init(id, type) {
    if (type === 'ZLIB') liveZlib.add(id);
  },
  destroy(id) {
    liveZlib.delete(id);
  }
}).enable();

// Streams that did work and have not emitted 'close' yet (close() frees the handle's memory at once).
const zlibStreams = trackZlibStreams();
const openStreams = zlibStreams.open;

/** Let pending closes and destroy hooks run, with full collections in between (bounded turns). */
async function settle() {
  for (let round = 0; round < 5; round++) {
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Active resources by type, e.g. { TCPServerWrap: 1, Timeout: 2 }. */
function resources() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

const MESSAGE = JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 2 === 0 })));

/** One cycle: connect, one compressed round trip, close 1000 from the client; resolves with both close codes. */
function cycle(port) {
  return new Promise((resolve, reject) => {
    const client = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`);
    const timer = setTimeout(() => {
      client.terminate();
      reject(new Error('cycle timed out'));
    }, CYCLE_MS);
    client.once('open', () => {
      if (client.extensions !== 'permessage-deflate') reject(new Error(`extensions: ${client.extensions}`));
      client.send(MESSAGE);
    });
    client.once('message', (data) => {
      if (data.toString() !== MESSAGE) reject(new Error('echo differs'));
      client.close(1000);
    });
    client.once('error', reject);
    client.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Open `count` clients, do one round trip each, and keep them open. */
async function openHeld(port, count) {
  const clients = Array.from({ length: count }, () => new sockwire.WebSocket(`ws://127.0.0.1:${port}/`));
  await Promise.all(clients.map((client) => new Promise((resolve, reject) => {
    client.once('error', reject);
    client.once('open', () => client.send(MESSAGE));
    client.once('message', resolve);
  })));
  return clients;
}

async function cycles(port, count) {
  const codes = new Map();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const code = await cycle(port);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: WIDTH }, worker));
  return Object.fromEntries(codes);
}

test(`${TOTAL} open/close cycles with compression: zlib handles, resources and RSS back to baseline`, { timeout: 300000 }, async (t) => {
  await settle();
  const baseResources = resources();
  const baseZlib = liveZlib.size;
  const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => wss.once('listening', resolve));
  const serverCloses = new Map();
  let compressedEchoes = 0;
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      compressedEchoes++;
      socket.send(data, { binary: isBinary });
    });
    socket.on('close', (code) => serverCloses.set(code, (serverCloses.get(code) ?? 0) + 1));
  });
  const port = wss.address().port;
  try {
    // Control: the counters see the handles of live connections (each side: one deflate, one inflate).
    const held = await openHeld(port, 10);
    await settle();
    assert.equal(openStreams.size, 40);
    assert.equal(liveZlib.size, baseZlib + 40);
    await Promise.all(held.map((client) => new Promise((resolve) => {
      client.once('close', resolve);
      client.close(1000);
    })));
    await settle();
    assert.equal(openStreams.size, 0);
    assert.equal(liveZlib.size, baseZlib);
    zlibStreams.used = 0;
    serverCloses.clear();
    compressedEchoes = 0;
    const warm = await cycles(port, WARM_UP);
    assert.deepEqual(warm, { 1000: WARM_UP });
    await settle();
    const { rss: rssAfterWarmUp, heapUsed: heapAfterWarmUp } = process.memoryUsage();
    const main = await cycles(port, TOTAL - WARM_UP);
    assert.deepEqual(main, { 1000: TOTAL - WARM_UP });
    await settle();
    const growth = process.memoryUsage().rss - rssAfterWarmUp;
    const heapGrowth = process.memoryUsage().heapUsed - heapAfterWarmUp;
    t.diagnostic(`RSS after ${WARM_UP} warm-up cycles ${(rssAfterWarmUp / MiB).toFixed(1)} MiB; growth over the next ${TOTAL - WARM_UP}: RSS ${(growth / MiB).toFixed(2)} MiB, JS heap ${(heapGrowth / MiB).toFixed(2)} MiB`);
    t.diagnostic(`zlib streams used ${zlibStreams.used}, still open ${openStreams.size}; native ZLIB handles alive ${liveZlib.size} (baseline ${baseZlib})`);
    assert.equal(compressedEchoes, TOTAL);
    assert.deepEqual(Object.fromEntries(serverCloses), { 1000: TOTAL });
    // Each connection used a deflate and an inflate stream on each side.
    assert.equal(zlibStreams.used, 4 * TOTAL);
    assert.equal(openStreams.size, 0, 'zlib streams not closed');
    assert.equal(liveZlib.size, baseZlib, 'native zlib handles not released');
    // One leaked deflate + inflate pair per connection would be well over 8,000 x 64 KiB = 500 MiB; 32 MiB is
    // allocator and heap slack.
    assert.ok(growth < 32 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB`);
    // The heap after full GCs: 8,000 leaked objects of a few hundred bytes would already show.
    assert.ok(heapGrowth < 2 * MiB, `heap grew ${(heapGrowth / MiB).toFixed(2)} MiB`);
  } finally {
    await new Promise((resolve) => wss.close(resolve));
  }
  await settle();
  assert.deepEqual(resources(), baseResources, 'active resources back to the baseline');
});
