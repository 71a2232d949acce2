// Issue 8 rows 4, 5, 12, 13 (peer-side close-frame cases) and 14: every RFC 6455 violation a raw client can commit
// against a real server on loopback. Each case runs three times: sockwire with an 'error' listener (exact event
// order and WS_ERR_* code), sockwire with none (must not throw; same close code on the wire; one 'close'), and ws
// as the reference (same wire code and events) unless SPEC §10 says sockwire deliberately differs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { closePayload, frame, hostileSession, measurePeak, MiB, sockwire, ws } from '../helpers/hostile-peer.mjs';

const text = (payload, more = {}) => frame({ opcode: 0x1, payload, ...more });
const cont = (payload, fin) => frame({ opcode: 0x0, payload, fin });
const bytes = (...list) => Buffer.from(list);

/** name, bytes sent after the upgrade, wire close code, WS_ERR_* code, server options, whether ws agrees. */
const CASES = [
  // Row 4: absurd declared lengths are refused from the header alone (nothing of the payload is ever sent).
  ['64-bit length 2^32 (> maxPayload)', frame({ length: 2 ** 32 }), 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
  ['64-bit length 2^53', frame({ length: 2 ** 53 }), 1009, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
  ['64-bit length 2^63', frame({ length: 2 ** 63 }), 1009, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
  ['64-bit length 2^64 - 1', Buffer.concat([bytes(0x82, 0xff), Buffer.alloc(8, 0xff)]), 1009, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
  ['16-bit length over a 1000-byte maxPayload', frame({ length: 1001 }), 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', { maxPayload: 1000 }],
  // Row 5: a message over maxPayload spread over many fragments.
  [
    'maxPayload 1000 reached by the 6th of 10 fragments of 200 bytes',
    Buffer.concat(Array.from({ length: 10 }, (_, i) => frame({ opcode: i === 0 ? 0x2 : 0x0, fin: i === 9, payload: Buffer.alloc(200, i) }))),
    1009,
    'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    { maxPayload: 1000 }
  ],
  [
    'maxFragments 4 passed by empty continuation frames',
    Buffer.concat([frame({ opcode: 0x2, fin: false }), ...Array.from({ length: 10 }, () => cont(Buffer.alloc(0), false))]),
    1008,
    'WS_ERR_TOO_MANY_BUFFERED_PARTS',
    { maxFragments: 4 }
  ],
  // Row 12: invalid UTF-8 (single frames: both libraries fail at the final frame).
  ['text 0xff', text(bytes(0x41, 0xff)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text lone surrogate U+D800 (ED A0 80)', text(bytes(0xed, 0xa0, 0x80)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text overlong "/" (C0 AF)', text(bytes(0xc0, 0xaf)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text overlong 3-byte (E0 80 AF)', text(bytes(0xe0, 0x80, 0xaf)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text overlong 4-byte (F0 80 80 AF)', text(bytes(0xf0, 0x80, 0x80, 0xaf)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text above U+10FFFF (F4 90 80 80)', text(bytes(0xf4, 0x90, 0x80, 0x80)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text F5 lead byte', text(bytes(0xf5, 0x80, 0x80, 0x80)), 1007, 'WS_ERR_INVALID_UTF8'],
  ['text truncated at the end of the final fragment', Buffer.concat([text(bytes(0x41), { fin: false }), cont(bytes(0xe2, 0x82), true)]), 1007, 'WS_ERR_INVALID_UTF8'],
  // Row 12, SPEC §10: fragmented text fails at the first invalid fragment; the final fragment never comes.
  ['first fragment invalid, no final fragment sent', text(bytes(0x41, 0xff), { fin: false }), 1007, 'WS_ERR_INVALID_UTF8', {}, false],
  ['overlong split across fragments (E0 | 80 AF), no final', Buffer.concat([text(bytes(0xe0), { fin: false }), cont(bytes(0x80, 0xaf), false)]), 1007, 'WS_ERR_INVALID_UTF8', {}, false],
  ['surrogate split across fragments (ED | A0 80), no final', Buffer.concat([text(bytes(0xed), { fin: false }), cont(bytes(0xa0), false), cont(bytes(0x80), false)]), 1007, 'WS_ERR_INVALID_UTF8', {}, false],
  ['above U+10FFFF split across fragments (F4 | 90), no final', Buffer.concat([text(bytes(0xf4), { fin: false }), cont(bytes(0x90), false)]), 1007, 'WS_ERR_INVALID_UTF8', {}, false],
  // Row 13: close frames.
  ['close with a 1-byte payload', frame({ opcode: 0x8, payload: bytes(0x03) }), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) => [
    `close code ${code}`,
    frame({ opcode: 0x8, payload: closePayload(code) }),
    1002,
    'WS_ERR_INVALID_CLOSE_CODE'
  ]),
  ['close with a 124-byte reason (126-byte payload)', frame({ opcode: 0x8, payload: closePayload(1000, 'r'.repeat(124)) }), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ['close with an invalid UTF-8 reason', frame({ opcode: 0x8, payload: closePayload(1000, bytes(0x61, 0xc3, 0x28)) }), 1007, 'WS_ERR_INVALID_UTF8'],
  ['fragmented close', frame({ opcode: 0x8, fin: false, payload: closePayload(1000) }), 1002, 'WS_ERR_EXPECTED_FIN'],
  // Row 14: everything else RFC 6455 §5.2 / §5.4 / §5.5 forbids.
  ['RSV1 without a negotiated extension', text('a', { rsv: 4 }), 1002, 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV2', text('a', { rsv: 2 }), 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
  ['RSV3', text('a', { rsv: 1 }), 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
  ['RSV1 on a ping', frame({ opcode: 0x9, rsv: 4 }), 1002, 'WS_ERR_UNEXPECTED_RSV_1'],
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode) => [`reserved opcode 0x${opcode.toString(16)}`, frame({ opcode }), 1002, 'WS_ERR_INVALID_OPCODE']),
  ['unmasked frame at a server', text('a', { mask: false }), 1002, 'WS_ERR_EXPECTED_MASK'],
  ['continuation without a start', cont('a', true), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['new text frame inside a fragmented message', Buffer.concat([text('a', { fin: false }), text('b')]), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['new binary frame inside a fragmented message', Buffer.concat([text('a', { fin: false }), frame({ opcode: 0x2 })]), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['ping of 126 bytes', frame({ opcode: 0x9, payload: Buffer.alloc(126) }), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ['pong of 65536 bytes (64-bit length)', frame({ opcode: 0xa, length: 65536 }), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ['ping of 5 bytes in 16-bit length form', frame({ opcode: 0x9, payload: 'abcde', lengthForm: 16 }), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  ['fragmented ping', frame({ opcode: 0x9, fin: false }), 1002, 'WS_ERR_EXPECTED_FIN'],
  ['fragmented pong inside a fragmented message', Buffer.concat([text('a', { fin: false }), frame({ opcode: 0xa, fin: false })]), 1002, 'WS_ERR_EXPECTED_FIN']
];

describe('hostile frames against a server: exact close code on the wire and WS_ERR_* code', () => {
  for (const [name, input, wireCode, errorCode, serverOptions = {}, sameAsWs = true] of CASES) {
    test(name, { timeout: 15000 }, async () => {
      const ours = await hostileSession(sockwire, input, { serverOptions });
      assert.equal(ours.wireCode, wireCode, 'close code sockwire wrote');
      assert.deepEqual(ours.events, [`error:${errorCode}`, 'close:1006']);
      assert.equal(ours.record.messages.length, 0);

      // No 'error' listener: no throw, same bytes, one 'close'.
      const quiet = await hostileSession(sockwire, input, { serverOptions, errorListener: false });
      assert.equal(quiet.wireCode, wireCode);
      assert.deepEqual(quiet.events, ['close:1006']);
      assert.equal(quiet.closes, 1);

      // Byte-at-a-time delivery changes nothing.
      const trickled = await hostileSession(sockwire, input, { serverOptions, chunk: 1 });
      assert.equal(trickled.wireCode, wireCode);
      assert.deepEqual(trickled.events, [`error:${errorCode}`, 'close:1006']);

      if (sameAsWs) {
        const reference = await hostileSession(ws, input, { serverOptions });
        assert.equal(reference.wireCode, wireCode, 'ws agrees on the wire code');
        assert.deepEqual(reference.events, ours.events, 'ws agrees on the events');
      }
    });
  }
});

test('row 4: a 2^63 header is refused before any payload allocation (heap growth < 16 MiB over 200 connections)', { timeout: 20000 }, async () => {
  // Warm up once so module loading and JIT do not count.
  await hostileSession(sockwire, frame({ length: 2 ** 63 }), { errorListener: false });
  const { heapGrowth } = await measurePeak(async () => {
    for (let i = 0; i < 200; i++) {
      const { wireCode } = await hostileSession(sockwire, frame({ opcode: 0x2, length: 2 ** 32 + i }), { serverOptions: { maxPayload: 0 }, errorListener: false, clientClose: true });
      assert.ok(wireCode === null || wireCode === 1009);
    }
  });
  // Garbage from 200 sessions counts until a GC runs; one refused 4 GiB allocation would be 250 times the bound.
  assert.ok(heapGrowth < 16 * MiB, `heap grew ${heapGrowth} bytes`);
});
