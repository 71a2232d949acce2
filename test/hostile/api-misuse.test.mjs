// Issue 8 row 20: API misuse that could leak memory contents. Numbers, typed arrays and DataViews over part of a
// larger buffer, detached ArrayBuffers, odd close reasons, and a generateMask that returns zeros: the exact bytes
// must go on the wire (as ws sends them), never neighbouring or uninitialised memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { acceptOf, bounded, parseFrames, sleep, sockwire, ws } from '../helpers/hostile-peer.mjs';

/** A raw server that completes the handshake and records every byte the client sends afterwards. */
async function recordingServer() {
  const state = { bytes: [], done: null };
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let head = '';
    let upgraded = false;
    state.done = new Promise((resolve) => socket.on('close', resolve));
    socket.on('data', (chunk) => {
      if (upgraded) {
        state.bytes.push(chunk);
        return;
      }
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      upgraded = true;
      const key = /\r\nsec-websocket-key: ([^\r]*)/i.exec(head)[1];
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(key)}\r\n\r\n`);
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length > 0) state.bytes.push(rest);
    });
    // Answer the client's close so it finishes cleanly.
    socket.on('end', () => socket.end());
  });
  server.listen(0, '127.0.0.1');
  await bounded(new Promise((resolve) => server.once('listening', resolve)), 'listening');
  return { server, state, port: server.address().port };
}

/** Open `lib`'s client to a recording server, run `act(client)`, close; return the raw bytes and the frames. */
async function capture(lib, act, options = {}) {
  const { server, state, port } = await recordingServer();
  let client = null;
  try {
    client = new lib.WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, ...options });
    client.on('error', () => {});
    await bounded(new Promise((resolve) => client.once('open', resolve)), 'open');
    const thrown = [];
    try {
      act(client);
    } catch (error) {
      thrown.push(`throws:${error.constructor.name}:${error.message}`);
    }
    await sleep(30);
    client.terminate();
    await bounded(state.done, 'server side closed');
    const bytes = Buffer.concat(state.bytes);
    const frames = parseFrames(bytes).frames.map((f) => `${f.opcode}:${f.fin ? 1 : 0}:${f.masked ? 'm' : 'u'}:${f.payload.toString('hex')}`);
    return { bytes, frames: [...frames, ...thrown] };
  } finally {
    if (client !== null) client.terminate();
    await bounded(new Promise((resolve) => server.close(resolve)), 'recording server close');
  }
}

/** A 32-byte arena whose neighbouring bytes are recognisable, so a leak of them shows in the payload. */
function arena() {
  const buffer = new ArrayBuffer(32);
  new Uint8Array(buffer).fill(0xee);
  new Uint8Array(buffer, 8, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
  return buffer;
}

function detached() {
  const buffer = new ArrayBuffer(16);
  new Uint8Array(buffer).fill(0xab);
  structuredClone(buffer, { transfer: [buffer] });
  assert.equal(buffer.byteLength, 0);
  return buffer;
}

const SENDS = [
  ['a number', (c) => c.send(42), ['1:1:m:' + Buffer.from('42').toString('hex')]],
  ['a negative float', (c) => c.send(-0.5), ['1:1:m:' + Buffer.from('-0.5').toString('hex')]],
  ['NaN', (c) => c.send(NaN), ['1:1:m:' + Buffer.from('NaN').toString('hex')]],
  ['a Uint8Array view in the middle of a buffer', (c) => c.send(new Uint8Array(arena(), 8, 8)), ['2:1:m:0102030405060708']],
  ['a Uint16Array view', (c) => c.send(new Uint16Array(arena(), 8, 2)), ['2:1:m:01020304']],
  ['a Float64Array view', (c) => c.send(new Float64Array(arena(), 8, 1)), ['2:1:m:0102030405060708']],
  ['a DataView on part of a buffer', (c) => c.send(new DataView(arena(), 9, 3)), ['2:1:m:020304']],
  ['a Buffer slice of a pooled buffer', (c) => c.send(Buffer.from('leak-no-neighbours').subarray(5, 7)), ['2:1:m:' + Buffer.from('no').toString('hex')]],
  // Both libraries refuse detached buffers synchronously (Buffer.from cannot view them); nothing is sent.
  ['a detached ArrayBuffer', (c) => c.send(detached()), ['throws:TypeError:Cannot perform Construct on a detached ArrayBuffer']],
  ['a view of a detached ArrayBuffer', (c) => {
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer, 2, 4);
    structuredClone(buffer, { transfer: [buffer] });
    c.send(view);
  }, ['throws:TypeError:Cannot perform Construct on a detached ArrayBuffer']],
  ['a ping with a typed-array view', (c) => c.ping(new Uint8Array(arena(), 10, 2)), ['9:1:m:0304']],
  ['a pong with a number', (c) => c.pong(7), ['10:1:m:37']],
  ['close with a Buffer-view reason', (c) => c.close(4000, Buffer.from(new Uint8Array(arena(), 12, 3))), ['8:1:m:0fa0050607']],
  ['close with a multi-byte string reason', (c) => c.close(1000, 'é€'), ['8:1:m:03e8' + Buffer.from('é€').toString('hex')]]
];

test('row 20: odd data types put exactly their own bytes on the wire, as ws does', { timeout: 30000 }, async () => {
  for (const [name, act, expected] of SENDS) {
    const ours = await capture(sockwire, act);
    assert.deepEqual(ours.frames, expected, `sockwire: ${name}`);
    const reference = await capture(ws, act);
    assert.deepEqual(reference.frames, expected, `ws: ${name}`);
  }
});

test('row 20: a generateMask that leaves zeros works: the mask key is 00000000 and the payload goes out as is', { timeout: 15000 }, async () => {
  const act = (c) => {
    c.send('plain text');
    c.send(Buffer.from([0xff, 0x00, 0x7f]));
  };
  for (const lib of [sockwire, ws]) {
    const { bytes } = await capture(lib, act, { generateMask: () => {} });
    const expected = Buffer.concat([
      Buffer.from([0x81, 0x80 | 10, 0, 0, 0, 0]),
      Buffer.from('plain text'),
      Buffer.from([0x82, 0x80 | 3, 0, 0, 0, 0, 0xff, 0x00, 0x7f])
    ]);
    assert.deepEqual(bytes, expected, lib === ws ? 'ws' : 'sockwire');
  }
});

test('row 20: a generateMask that writes a fixed key is honoured byte for byte', { timeout: 15000 }, async () => {
  const key = [0xde, 0xad, 0xbe, 0xef];
  for (const lib of [sockwire, ws]) {
    const { bytes } = await capture(lib, (c) => c.send(Buffer.from([1, 2, 3, 4, 5])), { generateMask: (mask) => mask.set(key) });
    assert.deepEqual(bytes, Buffer.from([0x82, 0x85, ...key, 1 ^ 0xde, 2 ^ 0xad, 3 ^ 0xbe, 4 ^ 0xef, 5 ^ 0xde]));
  }
});

test('row 20: invalid close arguments throw and leave the socket usable', { timeout: 15000 }, async () => {
  const act = (c) => {
    assert.throws(() => c.close(1005), { name: 'TypeError', message: 'First argument must be a valid error code number' });
    assert.throws(() => c.close(1000, 'x'.repeat(124)), { name: 'RangeError', message: 'The message must not be greater than 123 bytes' });
    assert.throws(() => c.ping(Buffer.alloc(126)), { name: 'RangeError', message: 'The data size must not be greater than 125 bytes' });
    c.send('after');
  };
  for (const lib of [sockwire, ws]) {
    const { frames } = await capture(lib, act);
    assert.deepEqual(frames, ['1:1:m:' + Buffer.from('after').toString('hex')]);
  }
});
