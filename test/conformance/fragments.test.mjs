// Autobahn 9.3.1, 9.3.2, 9.4.1, 9.4.2: a 4 MiB text or binary message sent as 64-byte or 256-byte fragments
// (65,536 / 16,384 frames) must arrive intact with the default options, to sockwire as a server (permessage-deflate
// on, as Autobahn runs it) and as a client. Autobahn is not installable here: a raw peer sends the same fragments.
// The default maxFragments still ends an endless message: one fragment past it closes with 1008.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { buildFrame } from '../helpers/frame-bytes.mjs';
import { bounded, FIXED_MASK, rawClient, sockwire, startServer, writeChunked } from '../helpers/hostile-peer.mjs';
import { startAcceptingServer } from '../helpers/client-raw-server.mjs';

const MESSAGE_SIZE = 4 * 1024 * 1024;
const WAIT_MS = 60000;
const { LIMIT_DEFAULTS } = await import('../../dist/cjs/api/options.js');

/** 4 MiB of text whose multi-byte characters straddle fragment boundaries ('é' is 2 bytes, '€' 3, '𝄞' 4). */
function textPayload() {
  const unit = Buffer.from('abcé€𝄞xyz');
  const out = Buffer.alloc(MESSAGE_SIZE);
  for (let at = 0; at < MESSAGE_SIZE; at += unit.length) unit.copy(out, at, 0, Math.min(unit.length, MESSAGE_SIZE - at));
  // Keep the end valid: pad the cut-off last unit with ASCII.
  const tail = MESSAGE_SIZE % unit.length;
  out.fill(0x2e, MESSAGE_SIZE - tail);
  return out;
}

function binaryPayload() {
  const out = Buffer.alloc(MESSAGE_SIZE);
  for (let i = 0; i < MESSAGE_SIZE; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

/** The message as `size`-byte fragments (RFC 6455 §5.4), masked with `key` when given; one buffer. */
function fragmented(opcode, payload, size, key) {
  const frames = [];
  for (let at = 0; at < payload.length; at += size) {
    const fin = at + size >= payload.length;
    frames.push(buildFrame({ opcode: at === 0 ? opcode : 0, fin, key, payload: payload.subarray(at, at + size) }));
  }
  return Buffer.concat(frames);
}

const digest = (data) => createHash('sha1').update(data).digest('hex');

/** Concatenated payload of the first data message in `frames` (fragments joined). */
function firstMessage(frames) {
  const parts = [];
  for (const frame of frames) {
    if (frame.opcode >= 0x8) continue;
    parts.push(frame.payload);
    if (frame.fin) break;
  }
  return Buffer.concat(parts);
}

const cases = [
  ['9.3.1', 0x1, 64],
  ['9.3.2', 0x1, 256],
  ['9.4.1', 0x2, 64],
  ['9.4.2', 0x2, 256]
];

for (const [id, opcode, size] of cases) {
  const kind = opcode === 0x1 ? 'text' : 'binary';
  test(`Autobahn ${id}: a sockwire server (defaults, permessage-deflate on) echoes 4 MiB ${kind} sent as ${size}-byte fragments`, { timeout: WAIT_MS }, async () => {
    const payload = opcode === 0x1 ? textPayload() : binaryPayload();
    const server = await startServer(sockwire, { perMessageDeflate: true }, {
      onConnection: (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
    });
    try {
      const peer = await rawClient(server.port);
      await writeChunked(peer.socket, fragmented(opcode, payload, size, FIXED_MASK), 64 * 1024);
      await bounded(
        new Promise((resolve) => {
          const check = () => (Buffer.concat(peer.chunks).length >= MESSAGE_SIZE ? resolve() : setTimeout(check, 20));
          check();
        }),
        'echo',
        WAIT_MS
      );
      const echoed = firstMessage(peer.received().frames);
      assert.equal(echoed.length, MESSAGE_SIZE);
      assert.equal(digest(echoed), digest(payload));
      assert.deepEqual(server.peers[0].events, [`message:${kind}:${MESSAGE_SIZE}`]);
    } finally {
      await server.stop();
    }
  });

  test(`Autobahn ${id} reversed: a sockwire client (defaults) receives 4 MiB ${kind} sent as ${size}-byte fragments`, { timeout: WAIT_MS }, async () => {
    const payload = opcode === 0x1 ? textPayload() : binaryPayload();
    const server = await startAcceptingServer(async ({ socket }) => {
      await writeChunked(socket, fragmented(opcode, payload, size, null), 64 * 1024);
    });
    try {
      const client = new sockwire(server.url);
      const events = [];
      client.on('error', (err) => events.push(`error:${err.code}`));
      const message = new Promise((resolve) => client.once('message', (data, isBinary) => resolve({ data, isBinary })));
      const { data, isBinary } = await bounded(message, 'message', WAIT_MS);
      assert.equal(isBinary, opcode === 0x2);
      assert.equal(data.length, MESSAGE_SIZE);
      assert.equal(digest(data), digest(payload));
      assert.deepEqual(events, []);
      client.terminate();
    } finally {
      await server.close();
    }
  });
}

test('the default maxFragments lets 4 MiB through in 16-byte fragments and still ends an endless message', () => {
  assert.equal(LIMIT_DEFAULTS.maxFragments, 256 * 1024);
  assert.ok(LIMIT_DEFAULTS.maxFragments >= MESSAGE_SIZE / 16);
});

test('one empty fragment past the default maxFragments closes with 1008 (server, defaults)', { timeout: WAIT_MS }, async () => {
  const server = await startServer(sockwire, {});
  try {
    const peer = await rawClient(server.port);
    const count = LIMIT_DEFAULTS.maxFragments + 1;
    const first = buildFrame({ opcode: 0x1, fin: false, key: FIXED_MASK });
    const middle = buildFrame({ opcode: 0x0, fin: false, key: FIXED_MASK });
    const stream = Buffer.alloc(first.length + middle.length * (count - 1));
    first.copy(stream, 0);
    for (let i = 1; i < count; i++) middle.copy(stream, first.length + (i - 1) * middle.length);
    await writeChunked(peer.socket, stream, 64 * 1024);
    await peer.waitClosed(WAIT_MS);
    await bounded(server.peers[0].closed, 'server close');
    assert.equal(peer.closeCode(), 1008);
    assert.deepEqual(server.peers[0].events, ['error:WS_ERR_TOO_MANY_BUFFERED_PARTS', 'close:1006']);
  } finally {
    await server.stop();
  }
});
