// The transport can vanish while the reader is still waiting for the inflater. Whatever the inflater then says
// (a message, a failure), 'close' must still fire exactly once (sockwire-specific: ws is not the reference here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, deflateRawSync } from 'node:zlib';
import { buildFrame } from '../helpers/frame-bytes.mjs';
import { KEY, exitGuard, onceEvent, openRaw, startServer, upgradeRequest } from '../helpers/server-helpers.mjs';

exitGuard();

const MASK = Buffer.from([1, 2, 3, 4]);
const OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };

async function closeDuringInflate(t, payload) {
  const wss = await startServer(t, { perMessageDeflate: { threshold: 0 } });
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(wss.address().port, upgradeRequest({ headers: { ...OFFER, 'Sec-WebSocket-Key': KEY } }));
  assert.match(head, /^HTTP\/1\.1 101 /);
  const [ws] = await connected;
  const events = [];
  ws.on('message', (data) => events.push(`message ${data.length}`));
  ws.on('error', (error) => events.push(`error ${error.code}`));
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  // One compressed frame (RSV1), then the TCP connection dies before zlib can answer.
  socket.write(buildFrame({ opcode: 0x2, rsv: 4, key: MASK, payload }));
  socket.destroy();
  const code = await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000, 'no close'))]);
  return { code, events, readyState: ws.readyState };
}

test('a corrupt compressed frame followed by a dropped connection still ends in one close', async (t) => {
  const corrupt = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]);
  const { code, events, readyState } = await closeDuringInflate(t, corrupt);
  assert.equal(code, 1006);
  assert.equal(readyState, 3);
  assert.ok(events.length <= 1, events.join());
});

test('a valid compressed frame followed by a dropped connection is delivered, then one close', async (t) => {
  const message = Buffer.alloc(200000, 7);
  // RFC 7692 §7.2.1: compress with a sync flush and drop the 00 00 ff ff tail.
  const compressed = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const { code, events } = await closeDuringInflate(t, compressed);
  assert.equal(code, 1006);
  assert.deepEqual(events, ['message 200000']);
});
