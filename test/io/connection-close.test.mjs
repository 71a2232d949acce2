// io/connection over an in-memory Duplex: when the transport closes while the reader waits for the inflater,
// the owner hears onClosed exactly once, after whatever the inflater reports (a failure or a message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { buildFrame } from '../helpers/frame-bytes.mjs';

const require = createRequire(import.meta.url);
const { Connection, connectionConfig } = require('../../dist/cjs/io/connection.js');

function setup() {
  const pending = [];
  const inflater = { decompress: (data, fin, callback) => pending.push(callback), cleanup() {} };
  const socket = new Duplex({ read() {}, write(chunk, encoding, callback) { callback(); } });
  const calls = [];
  const owner = {
    onMessage: (data) => calls.push(`message ${data.length}`),
    onPing: () => calls.push('ping'),
    onPong: () => calls.push('pong'),
    onFailure: (failure) => calls.push(`failure ${failure.closeCode}`),
    onClosed: () => calls.push('closed')
  };
  const config = connectionConfig(true, {
    maxFragments: 0, maxBufferedChunks: 0, maxPendingAutoPongs: 0, autoPong: true, allowSynchronousEvents: true,
    skipUTF8Validation: false, closeTimeout: 1000
  }, undefined);
  new Connection(socket, Buffer.alloc(0), {
    config, binaryType: 'nodebuffer', maxPayload: 0, extensions: { 'permessage-deflate': inflater }, inflater
  }, owner);
  // A compressed (RSV1) binary frame: the reader hands it to the inflater and waits.
  socket.push(buildFrame({ opcode: 0x2, rsv: 4, key: Buffer.from([1, 2, 3, 4]), payload: Buffer.from([1, 2, 3]) }));
  return { socket, pending, calls };
}

async function closeTransport(socket) {
  socket.destroy();
  await new Promise((resolve) => socket.once('close', resolve));
}

test('transport closes, then the inflater fails: failure, then closed (once)', async () => {
  const { socket, pending, calls } = setup();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pending.length, 1);
  await closeTransport(socket);
  assert.deepEqual(calls, [], 'nothing is reported while the inflater still holds the message');
  pending[0](Object.assign(new Error('invalid stored block lengths'), { code: 'Z_DATA_ERROR' }));
  assert.deepEqual(calls, ['failure 1007', 'closed']);
});

test('transport closes, then the inflater delivers: message, then closed (once)', async () => {
  const { socket, pending, calls } = setup();
  await new Promise((resolve) => setImmediate(resolve));
  await closeTransport(socket);
  pending[0](null, Buffer.alloc(5));
  assert.deepEqual(calls, ['message 5', 'closed']);
});
