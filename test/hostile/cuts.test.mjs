// Issue 8 row 17: the peer's connection ends (FIN) or is reset (RST) at a seeded random byte of a conversation:
// mid-handshake, mid-frame, mid-inflate, mid-close. In both roles: no uncaught error, 'close' exactly once, and no
// timer or zlib handle left behind once everything is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';

import { acceptOf, bounded, closePayload, frame, rawClient, seeded, SERVER_MODES, sleep, sockwire, startServer, upgradeRequest } from '../helpers/hostile-peer.mjs';

const LONG = process.env.SOCKWIRE_HOSTILE_LONG === '1';
const CUTS = LONG ? 2000 : 150;

function compressed(data, masked) {
  const body = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return frame({ opcode: 0x1, rsv: 4, mask: masked, payload: body.subarray(0, body.length - 4) });
}

/** Resource kinds that must not outlive the connections (timers, zlib). */
function lingering() {
  const counts = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/TCP|Pipe|TTY|FSReq|Immediate|CloseReq|ShutdownWrap|WriteWrap/.test(kind)) continue;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

// Cuts inside the head exercise sockwire's parser in port mode and Node's in server mode.
for (const mode of SERVER_MODES) test(`row 17: server side (${mode} mode) — FIN or RST at random points of handshake, frames, inflate and close`, { timeout: 60000 }, async (t) => {
  const random = seeded(1717);
  const baseline = lingering();
  const server = await startServer(sockwire, { perMessageDeflate: { threshold: 0 }, closeTimeout: 300 }, {
    errorListener: false,
    mode,
    onConnection: (socket) => socket.on('message', (data) => socket.send(data))
  });
  const text = Buffer.from('x'.repeat(3000) + 'é'.repeat(500));
  const stream = Buffer.concat([
    Buffer.from(upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } })),
    frame({ payload: 'hello' }),
    frame({ opcode: 0x9, payload: 'p' }),
    compressed(text, true),
    frame({ opcode: 0x2, fin: false, payload: Buffer.alloc(300, 1) }),
    frame({ opcode: 0x0, payload: Buffer.alloc(300, 2) }),
    frame({ opcode: 0x8, payload: closePayload(1000, 'done') })
  ]);
  try {
    for (let i = 0; i < CUTS; i++) {
      const cut = random.int(0, stream.length);
      const reset = random.bool();
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.on('data', () => {});
      await bounded(new Promise((resolve) => socket.once('connect', resolve)), 'connect');
      socket.write(stream.subarray(0, cut));
      await sleep(random.int(0, 3));
      if (reset) socket.resetAndDestroy();
      else socket.end();
      await bounded(new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', resolve))), 'raw socket closed');
    }
    await bounded(Promise.all(server.peers.map((p) => p.closed)), 'every accepted socket closes', 10000);
    await sleep(50);
    for (const record of server.peers) assert.equal(record.closes, 1);
    assert.equal(server.wss.clients.size, 0);
    t.diagnostic(`${CUTS} cuts, ${server.peers.length} reached the upgrade`);
  } finally {
    await server.stop();
  }
  await sleep(50);
  assert.deepEqual(lingering(), baseline);
});

test('row 17: server side — the peer resets while our close handshake is pending', { timeout: 15000 }, async () => {
  const server = await startServer(sockwire, { closeTimeout: 5000 }, { errorListener: false });
  try {
    const peer = await rawClient(server.port);
    await bounded(new Promise((resolve) => (server.peers.length ? resolve() : server.wss.once('connection', resolve))), 'connection');
    server.peers[0].socket.close(1000);
    await sleep(20);
    peer.socket.resetAndDestroy();
    assert.equal(await bounded(server.peers[0].closed, 'close after reset'), 1006);
    await sleep(20);
    assert.equal(server.peers[0].closes, 1);
  } finally {
    await server.stop();
  }
});

test('row 17: client side — a server that ends or resets at random points of the handshake and frames', { timeout: 60000 }, async (t) => {
  const random = seeded(1718);
  const baseline = lingering();
  let cut = 0;
  let reset = false;
  const raw = net.createServer((socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key: (.*)\r\n/i.exec(head)[1];
      const response = Buffer.concat([
        Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(key)}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`),
        frame({ mask: false, payload: 'hi' }),
        frame({ mask: false, opcode: 0x9, payload: 'p' }),
        compressed(Buffer.alloc(5000, 'z'), false),
        frame({ mask: false, opcode: 0x8, payload: closePayload(1001, 'bye') })
      ]);
      socket.write(response.subarray(0, Math.min(cut, response.length)), () => {
        if (reset) socket.resetAndDestroy();
        else socket.end();
      });
      head = '\0';
    });
  });
  raw.listen(0, '127.0.0.1');
  await bounded(new Promise((resolve) => raw.once('listening', resolve)), 'listening');
  const codes = new Map();
  try {
    for (let i = 0; i < CUTS; i++) {
      cut = random.int(0, 250);
      reset = random.bool();
      const client = new sockwire.WebSocket(`ws://127.0.0.1:${raw.address().port}/`, { closeTimeout: 300 });
      let closes = 0;
      const errorListener = random.bool();
      if (errorListener) client.on('error', () => {});
      const code = await bounded(new Promise((resolve) => client.on('close', (c) => {
        closes++;
        resolve(c);
      })), `client close (cut ${cut}, reset ${reset})`);
      await sleep(1);
      assert.equal(closes, 1);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      assert.ok([1001, 1005, 1006].includes(code), `close code ${code}`);
    }
  } finally {
    await new Promise((resolve) => raw.close(resolve));
  }
  t.diagnostic(`client close codes over ${CUTS} cuts: ${JSON.stringify(Object.fromEntries(codes))}`);
  await sleep(50);
  assert.deepEqual(lingering(), baseline);
});
