// SPEC §4/§6 through the client API: a protocol violation by the peer makes the client send a close frame with the
// error's status (exact bytes), emit 'error' (with .code, class and message), then 'close' once. Plus the SPEC §10
// difference: with no 'error' listener nothing is thrown (sockwire only).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket, implName } from '../helpers/impl.mjs';
import { delay, eventNames, record } from '../helpers/client-events.mjs';
import { connectClient } from '../helpers/client-connect.mjs';
import { closePayload, encodeFrame } from '../helpers/client-raw-server.mjs';

const plain = { perMessageDeflate: false, generateMask: (mask) => mask.fill(0) };

/** A frame header announcing a 64-bit payload length of 2^53 (no payload follows). */
function hugeLengthHeader() {
  const header = Buffer.alloc(10);
  header[0] = 0x82;
  header[1] = 127;
  header.writeBigUInt64BE(2n ** 53n, 2);
  return header;
}

const P = 'Invalid WebSocket frame: ';
// [name, bytes from the peer, error class, code, message, close status sent back]
const CASES = [
  ['RSV2 set', encodeFrame({ opcode: 1, rsv: 2, payload: 'x' }), RangeError, 'WS_ERR_UNEXPECTED_RSV_2_3', `${P}RSV2 and RSV3 must be clear`, 1002],
  ['RSV3 set', encodeFrame({ opcode: 1, rsv: 1, payload: 'x' }), RangeError, 'WS_ERR_UNEXPECTED_RSV_2_3', `${P}RSV2 and RSV3 must be clear`, 1002],
  ['RSV1 without deflate', encodeFrame({ opcode: 1, rsv: 4, payload: 'x' }), RangeError, 'WS_ERR_UNEXPECTED_RSV_1', `${P}RSV1 must be clear`, 1002],
  ['RSV1 on a control frame', encodeFrame({ opcode: 9, rsv: 4, payload: 'x' }), RangeError, 'WS_ERR_UNEXPECTED_RSV_1', `${P}RSV1 must be clear`, 1002],
  ['reserved opcode 3', encodeFrame({ opcode: 3, payload: 'x' }), RangeError, 'WS_ERR_INVALID_OPCODE', `${P}invalid opcode 3`, 1002],
  ['reserved opcode 11', encodeFrame({ opcode: 11 }), RangeError, 'WS_ERR_INVALID_OPCODE', `${P}invalid opcode 11`, 1002],
  ['continuation with nothing to continue', encodeFrame({ opcode: 0, payload: 'x' }), RangeError, 'WS_ERR_INVALID_OPCODE', `${P}invalid opcode 0`, 1002],
  [
    'new data frame inside a fragmented message',
    Buffer.concat([encodeFrame({ opcode: 1, fin: false, payload: 'a' }), encodeFrame({ opcode: 2, payload: 'b' })]),
    RangeError,
    'WS_ERR_INVALID_OPCODE',
    `${P}invalid opcode 2`,
    1002
  ],
  ['fragmented ping', encodeFrame({ opcode: 9, fin: false, payload: 'x' }), RangeError, 'WS_ERR_EXPECTED_FIN', `${P}FIN must be set`, 1002],
  ['ping payload of 126 bytes', encodeFrame({ opcode: 9, payload: Buffer.alloc(126) }), RangeError, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', `${P}invalid payload length 126`, 1002],
  ['close payload of 1 byte', encodeFrame({ opcode: 8, payload: Buffer.from([3]) }), RangeError, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', `${P}invalid payload length 1`, 1002],
  ['masked frame from the server', encodeFrame({ opcode: 1, payload: 'x', mask: Buffer.from([1, 2, 3, 4]) }), RangeError, 'WS_ERR_UNEXPECTED_MASK', `${P}MASK must be clear`, 1002],
  ['64-bit length above 2^53 - 1', hugeLengthHeader(), RangeError, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 'Unsupported WebSocket frame: payload length > 2^53 - 1', 1009],
  ['invalid UTF-8 text', encodeFrame({ opcode: 1, payload: Buffer.from([0x61, 0xff]) }), Error, 'WS_ERR_INVALID_UTF8', `${P}invalid UTF-8 sequence`, 1007],
  [
    'invalid UTF-8 across fragments',
    Buffer.concat([encodeFrame({ opcode: 1, fin: false, payload: Buffer.from([0xe2, 0x82]) }), encodeFrame({ opcode: 0, payload: Buffer.from([0x28]) })]),
    Error,
    'WS_ERR_INVALID_UTF8',
    `${P}invalid UTF-8 sequence`,
    1007
  ],
  ['invalid UTF-8 close reason', encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0xff]) }), Error, 'WS_ERR_INVALID_UTF8', `${P}invalid UTF-8 sequence`, 1007],
  ...[1004, 1005, 1006, 1015, 2999, 5000, 999].map((code) => [
    `close code ${code}`,
    encodeFrame({ opcode: 8, payload: closePayload(code) }),
    RangeError,
    'WS_ERR_INVALID_CLOSE_CODE',
    `${P}invalid status code ${code}`,
    1002
  ])
];

for (const [name, bytes, Class, code, message, status] of CASES) {
  test(`protocol error: ${name} → close ${status} sent, 'error' ${code}, then 'close' 1006`, async (t) => {
    const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
    const states = [];
    ws.on('error', () => states.push(['error', ws.readyState]));
    const { log, done } = record(ws, ['message', 'ping', 'pong', 'error', 'close']);
    peer.socket.write(bytes);
    const [frame] = await peer.frames.take(1);
    const statusHex = status.toString(16).padStart(4, '0');
    assert.equal(frame.raw.toString('hex'), `888200000000${statusHex}`);
    // The client does not wait for the peer's answer: it ends the TCP connection itself.
    await peer.frames.waitEnd(3000);
    await done;
    await delay(20);
    assert.deepEqual(eventNames(log), ['error', 'close']);
    const err = log[0][1];
    assert.equal(err.constructor, Class);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    assert.deepEqual(states, [['error', WebSocket.CLOSING]]);
    assert.equal(log[1][1], 1006);
    assert.equal(log[1][2].length, 0);
    assert.equal(peer.frames.frames.length, 1, 'exactly one close frame');
  });
}

test('close codes a peer may send (1000–1003, 1007–1014, 3000–4999) are accepted and reported', async (t) => {
  for (const code of [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1013, 1014, 3000, 4999]) {
    const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
    const { log, done } = record(ws, ['error', 'close']);
    peer.socket.write(encodeFrame({ opcode: 8, payload: closePayload(code, 'r') }));
    const [echo] = await peer.frames.take(1);
    assert.equal(echo.payload.readUInt16BE(0), code);
    peer.socket.end();
    await done;
    assert.deepEqual(
      log.map(([n, c, r]) => [n, c, r.toString()]),
      [['close', code, 'r']],
      String(code)
    );
  }
});

test(
  'SPEC §10: a peer-caused error with no error listener does not throw; close still happens (sockwire only)',
  { skip: implName === 'ws' && 'ws throws here by design; sockwire differs' },
  async (t) => {
    const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
    const uncaught = [];
    const onUncaught = (err) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    t.after(() => process.off('uncaughtException', onUncaught));
    const closes = [];
    ws.on('close', (code) => closes.push(code));
    peer.socket.write(encodeFrame({ opcode: 1, rsv: 2, payload: 'x' }));
    const [frame] = await peer.frames.take(1);
    assert.equal(frame.raw.toString('hex'), '88820000000003ea');
    await peer.frames.waitEnd(3000);
    for (let i = 0; i < 100 && closes.length === 0; i++) await delay(10);
    assert.deepEqual(closes, [1006]);
    assert.deepEqual(uncaught, []);
  }
);

test(
  'SPEC §10: invalid UTF-8 in the first fragment of a text message closes with 1007 at once (sockwire only)',
  { skip: implName === 'ws' && 'ws validates only the whole message' },
  async (t) => {
    const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
    const { log, done } = record(ws, ['message', 'error', 'close']);
    // No final fragment ever comes: only early validation can detect the error.
    peer.socket.write(encodeFrame({ opcode: 1, fin: false, payload: Buffer.from([0x61, 0xff]) }));
    const [frame] = await peer.frames.take(1);
    assert.equal(frame.raw.toString('hex'), '88820000000003ef');
    await done;
    assert.deepEqual(eventNames(log), ['error', 'close']);
    assert.equal(log[0][1].code, 'WS_ERR_INVALID_UTF8');
  }
);
