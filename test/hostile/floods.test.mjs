// Issue 8 rows 9, 10, 15 and 16: floods and stalls. Fragment and chunk floods (bounded memory, the right limit
// code, a neighbour still served), a ping flood from a peer that never reads, a silent half-open peer caught by
// the heartbeat, and a slow reader under a fast sender (bufferedAmount, maxBackpressure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, deflateRawSync } from 'node:zlib';

import { bounded, frame, measurePeak, MiB, KiB, rawClient, sleep, sockwire, startServer, tick, upgradeRequest, writeChunked, ws } from '../helpers/hostile-peer.mjs';

const emptyCont = frame({ opcode: 0x0, fin: false });
const oneByteCont = frame({ opcode: 0x0, fin: false, payload: 'a' });

/** A well-behaved sockwire client on the same server round-trips `count` messages (bounded wait). */
async function neighbourRoundTrips(port, count) {
  const client = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`);
  try {
    await bounded(new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    }), 'neighbour opens');
    for (let i = 0; i < count; i++) {
      const echoed = new Promise((resolve) => client.once('message', (data) => resolve(data.toString())));
      client.send(`n${i}`);
      assert.equal(await bounded(echoed, 'neighbour echo'), `n${i}`);
    }
  } finally {
    client.terminate();
  }
}

const echoing = { onConnection: (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })) };

/** Write `copies` copies of `unit` in blocks while the connection lives; resolves when done or closed. */
async function flood(peer, unit, copies) {
  const per = Math.max(1, Math.floor(64 * KiB / unit.length));
  const block = Buffer.concat(Array.from({ length: per }, () => unit));
  for (let sent = 0; sent < copies && !peer.closed && !peer.socket.destroyed; sent += per) {
    const n = Math.min(per, copies - sent);
    await writeChunked(peer.socket, n === per ? block : block.subarray(0, n * unit.length), block.length);
  }
}

test('row 9: 1,000,000 empty continuation frames hit the default maxFragments (ws 16384, sockwire 262144) with 1008; a neighbour is served meanwhile', { timeout: 30000 }, async () => {
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, {}, echoing);
    try {
      const peer = await rawClient(server.port);
      peer.socket.write(frame({ opcode: 0x2, fin: false, payload: 'x' }));
      const flooding = flood(peer, emptyCont, 1000000);
      await neighbourRoundTrips(server.port, 20);
      await flooding;
      await peer.waitClosed();
      assert.equal(peer.closeCode(), 1008);
      await bounded(server.peers[0].closed, 'close event');
      assert.deepEqual(server.peers[0].events, ['error:WS_ERR_TOO_MANY_BUFFERED_PARTS', 'close:1006']);
    } finally {
      await server.stop();
    }
  }
});

test('row 9: with maxFragments 0, 1,000,000 empty continuation frames retain no memory (heap growth < 8 MiB)', { timeout: 30000 }, async (t) => {
  const server = await startServer(sockwire, { maxFragments: 0 }, echoing);
  try {
    const peer = await rawClient(server.port);
    peer.socket.write(frame({ opcode: 0x2, fin: false, payload: 'x' }));
    const { heapGrowth } = await measurePeak(async () => {
      await flood(peer, emptyCont, 1000000);
      await neighbourRoundTrips(server.port, 5);
    });
    t.diagnostic(`heap growth after 1,000,000 empty fragments: ${(heapGrowth / MiB).toFixed(1)} MiB`);
    // The message completes intact after the flood.
    peer.socket.write(frame({ opcode: 0x0, fin: true, payload: 'y' }));
    await bounded((async () => {
      while (server.peers[0].messages.length === 0) await sleep(5);
    })(), 'message after the flood');
    assert.equal(server.peers[0].messages[0].data.toString(), 'xy');
    assert.ok(heapGrowth < 8 * MiB, `heap grew ${heapGrowth} bytes`);
  } finally {
    await server.stop();
  }
});

// SPEC §10: partial messages are bounded in bytes. With the fragment-count limit off, a message made of 1-byte
// fragments must not cost ~100 bytes of bookkeeping per payload byte.
test('row 9: with maxFragments 0, 1-byte continuation frames up to maxPayload (1 MiB) keep memory within 4 × maxPayload + 8 MiB, then 1009', { timeout: 30000 }, async (t) => {
  const maxPayload = MiB;
  const server = await startServer(sockwire, { maxFragments: 0, maxPayload }, echoing);
  try {
    const peer = await rawClient(server.port);
    peer.socket.write(frame({ opcode: 0x2, fin: false, payload: 'x' }));
    const { heapGrowth, rssGrowth } = await measurePeak(async () => {
      await flood(peer, oneByteCont, 2 * maxPayload);
      await peer.waitClosed();
    });
    t.diagnostic(`1-byte fragments up to ${maxPayload} bytes: heap +${(heapGrowth / MiB).toFixed(1)} MiB, RSS +${(rssGrowth / MiB).toFixed(1)} MiB`);
    assert.equal(peer.closeCode(), 1009);
    await bounded(server.peers[0].closed, 'close event');
    assert.deepEqual(server.peers[0].events, ['error:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'close:1006']);
    assert.ok(heapGrowth <= 4 * maxPayload + 8 * MiB, `heap grew ${heapGrowth} bytes for a ${maxPayload}-byte partial message`);
  } finally {
    await server.stop();
  }
});

test('row 9: an 8 KiB message in 1-byte TCP segments arrives intact, like ws', { timeout: 30000 }, async () => {
  const payload = Buffer.from(Array.from({ length: 8 * KiB }, (_, i) => i & 0xff));
  const bytes = frame({ opcode: 0x2, payload });
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, {}, echoing);
    try {
      const peer = await rawClient(server.port);
      peer.socket.setNoDelay(true);
      for (let i = 0; i < bytes.length; i++) {
        peer.socket.write(bytes.subarray(i, i + 1));
        if ((i & 63) === 0) await tick();
      }
      await bounded((async () => {
        while (server.peers[0].messages.length === 0) await sleep(5);
      })(), 'message');
      assert.deepEqual(server.peers[0].messages[0].data, payload);
      peer.socket.destroy();
    } finally {
      await server.stop();
    }
  }
});

/**
 * Resolves once `count()` reaches `target`; fails only when it stops growing for `idleMs` (a hang, not slowness:
 * 100,000 inflations take ~10 s per implementation on an idle 2-core machine and several times that when busy).
 */
async function untilCount(count, target, label, idleMs = 10000) {
  let last = -1;
  let lastChange = Date.now();
  while (count() < target) {
    if (count() !== last) {
      last = count();
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleMs) {
      throw new Error(`${label}: stuck at ${last}/${target} for ${idleMs} ms`);
    }
    await sleep(10);
  }
}

test('row 9: compressed empty fragments and 100,000 compressed empty messages: bounded, delivered, 1008 past maxFragments', { timeout: 120000 }, async (t) => {
  const request = upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
  // An empty message compressed: a sync-flushed empty stream minus its 00 00 ff ff tail (RFC 7692 §7.2.3.6).
  const empty = deflateRawSync(Buffer.alloc(0), { finishFlush: constants.Z_SYNC_FLUSH });
  const emptyMessage = frame({ opcode: 0x2, rsv: 4, payload: empty.subarray(0, empty.length - 4) });
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, { perMessageDeflate: true, maxFragments: 1000 });
    try {
      const peer = await rawClient(server.port, { request });
      const { heapGrowth } = await measurePeak(async () => {
        await flood(peer, emptyMessage, 100000);
        await untilCount(() => server.peers[0].messages.length, 100000, 'empty messages delivered');
      });
      assert.equal(server.peers[0].messages.length, 100000);
      assert.ok(server.peers[0].messages.every((m) => m.data.length === 0));
      if (lib === sockwire) t.diagnostic(`100,000 compressed empty messages: heap +${(heapGrowth / MiB).toFixed(1)} MiB (messages are retained by the test)`);
      // Then a compressed message of empty fragments past maxFragments.
      peer.socket.write(frame({ opcode: 0x2, rsv: 4, fin: false }));
      await flood(peer, emptyCont, 5000);
      await peer.waitClosed();
      assert.equal(peer.closeCode(), 1008);
      await bounded(server.peers[0].closed, 'close event');
      assert.deepEqual(server.peers[0].events.slice(-2), ['error:WS_ERR_TOO_MANY_BUFFERED_PARTS', 'close:1006']);
    } finally {
      await server.stop();
    }
  }
});

test('row 10: a ping flood from a peer that never reads is cut off (maxPendingAutoPongs); outbound memory stays bounded', { timeout: 30000 }, async (t) => {
  const ping = frame({ opcode: 0x9, payload: Buffer.alloc(125, 0x70) });
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, {}, echoing);
    try {
      const peer = await rawClient(server.port);
      peer.socket.pause();
      let maxBuffered = 0;
      const record = server.peers[0];
      const sampler = setInterval(() => {
        maxBuffered = Math.max(maxBuffered, record.socket.bufferedAmount, record.socket._socket?.writableLength ?? 0);
      }, 1);
      try {
        // 400,000 pings (~52 MB): far more than loopback buffers hold.
        await flood(peer, ping, 400000);
        await bounded(record.closed, 'server gives up on the ping flood', 20000);
      } finally {
        clearInterval(sampler);
      }
      await neighbourRoundTrips(server.port, 3);
      await sleep(20);
      assert.equal(record.closes, 1);
      assert.equal(record.events.at(-1), 'close:1006');
      if (lib === sockwire) {
        assert.deepEqual(record.events, ['close:1006']);
        t.diagnostic(`largest server-side outbound buffer during the flood: ${maxBuffered} bytes`);
        assert.ok(maxBuffered <= 64 * KiB, `outbound buffer reached ${maxBuffered} bytes`);
      }
      peer.socket.destroy();
    } finally {
      await server.stop();
    }
  }
});

test('row 15: a peer that goes silent (half-open) is detected by the heartbeat: WS_ERR_HEARTBEAT_TIMEOUT then close 1006', { timeout: 15000 }, async () => {
  for (const errorListener of [true, false]) {
    const server = await startServer(sockwire, { heartbeat: { interval: 100, timeout: 100 } }, { errorListener });
    try {
      const peer = await rawClient(server.port);
      // The peer never answers and never reads: as if its host vanished without a FIN.
      peer.socket.pause();
      await bounded(new Promise((resolve) => (server.peers.length > 0 ? resolve() : server.wss.once('connection', resolve))), 'connection');
      assert.equal(await bounded(server.peers[0].closed, 'heartbeat timeout', 5000), 1006);
      assert.deepEqual(server.peers[0].events, errorListener ? ['error:WS_ERR_HEARTBEAT_TIMEOUT', 'close:1006'] : ['close:1006']);
      peer.socket.resume();
      await peer.waitClosed();
      // What the silent peer was sent: heartbeat pings only (no close frame: the socket is terminated).
      assert.ok(peer.received().frames.every((f) => f.opcode === 0x9));
      assert.ok(peer.received().frames.length >= 1);
    } finally {
      await server.stop();
    }
  }
});

test('row 15: a peer that answers heartbeat pings stays connected', { timeout: 15000 }, async () => {
  const server = await startServer(sockwire, { heartbeat: { interval: 50, timeout: 100 } });
  try {
    const client = new sockwire.WebSocket(`ws://127.0.0.1:${server.port}/`);
    await bounded(new Promise((resolve) => client.once('open', resolve)), 'open');
    await sleep(500);
    assert.equal(client.readyState, 1);
    assert.deepEqual(server.peers[0].events, []);
    client.close();
    await bounded(server.peers[0].closed, 'close');
  } finally {
    await server.stop();
  }
});

/** Send `count` 64 KiB messages to a raw client that never reads; report bufferedAmount and send() results. */
async function slowReader(serverOptions, count) {
  const server = await startServer(sockwire, serverOptions);
  try {
    const peer = await rawClient(server.port);
    peer.socket.pause();
    await bounded(new Promise((resolve) => (server.peers.length > 0 ? resolve() : server.wss.once('connection', resolve))), 'connection');
    const record = server.peers[0];
    const chunk = Buffer.alloc(64 * KiB, 0x61);
    const results = new Map();
    let maxBuffered = 0;
    // 10 MiB/s is 16 messages of 64 KiB per 100 ms; we send them in bursts of 16 per macrotask.
    for (let i = 0; i < count && record.socket.readyState === 1; i++) {
      const result = record.socket.send(chunk, { binary: true });
      results.set(String(result), (results.get(String(result)) ?? 0) + 1);
      maxBuffered = Math.max(maxBuffered, record.socket.bufferedAmount);
      if (i % 16 === 15) await sleep(1);
    }
    await sleep(50);
    const finalBuffered = record.socket.bufferedAmount;
    peer.socket.destroy();
    await bounded(record.closed, 'close');
    return { results: Object.fromEntries(results), maxBuffered, finalBuffered, events: record.events, peer };
  } finally {
    await server.stop();
  }
}

test('row 16: a slow reader under a 10 MiB/s sender: memory visible in bufferedAmount; bounded with maxBackpressure', { timeout: 30000 }, async (t) => {
  const unbounded = await slowReader({}, 160);
  t.diagnostic(`no limit: bufferedAmount peaked at ${(unbounded.maxBuffered / MiB).toFixed(1)} MiB after 10 MiB sent`);
  // Loopback kernel buffers take some; the rest must show up in bufferedAmount.
  assert.ok(unbounded.maxBuffered >= 4 * MiB, `bufferedAmount only reached ${unbounded.maxBuffered}`);

  const limit = MiB;
  const limited = await slowReader({ maxBackpressure: limit }, 160);
  t.diagnostic(`maxBackpressure 1 MiB: bufferedAmount peaked at ${(limited.maxBuffered / MiB).toFixed(2)} MiB; send results ${JSON.stringify(limited.results)}`);
  assert.ok(limited.maxBuffered <= limit + 64 * KiB, `bufferedAmount reached ${limited.maxBuffered}`);
  assert.ok((limited.results.dropped ?? 0) > 0, 'some sends were dropped');

  const closing = await slowReader({ maxBackpressure: limit, closeOnBackpressureLimit: true }, 160);
  assert.ok(closing.maxBuffered <= limit + 64 * KiB, `bufferedAmount reached ${closing.maxBuffered}`);
  assert.equal(closing.events.at(-1), 'close:1006');
  assert.equal(closing.events.length, 1);
});
