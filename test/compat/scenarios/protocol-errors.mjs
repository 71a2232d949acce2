// Protocol violations from a raw peer (RFC 6455 §5.2, §5.4, §5.5, §7.4, §8.1) and the receiver limits. Compared:
// the 'error' (class, message, WS_ERR_* code), the close frame the implementation sends back, and 'close'.
import { OP, closePayload } from '../wire.mjs';
import { openClient } from './client-role.mjs';
import { openServer } from './server-role.mjs';

const long = (n, byte = 0x61) => Buffer.alloc(n, byte);

/** A 64-bit length of 2^53 (RFC 6455 §5.2 allows 63 bits; ws and sockwire cap at 2^53 − 1), masked. */
const hugeLengthFrame = Buffer.from([0x82, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x37, 0xfa, 0x21, 0x3d]);

/**
 * Server-side cases: `frames` is a list of frame options sent in order by the raw (masking) client, or a Buffer.
 */
const serverCases = [
  ['RSV2 set', [{ op: OP.text, rsv: 2, payload: 'x' }]],
  ['RSV3 set', [{ op: OP.binary, rsv: 1, payload: 'x' }]],
  ['RSV1 without negotiated deflate', [{ op: OP.text, rsv: 4, payload: 'x' }]],
  ['RSV1 on a ping', [{ op: OP.ping, rsv: 4, payload: 'x' }]],
  ['reserved data opcode 3', [{ op: 3, payload: 'x' }]],
  ['reserved control opcode 0xB', [{ op: 0x0b, payload: 'x' }]],
  ['continuation with nothing to continue', [{ op: OP.cont, payload: 'x' }]],
  [
    'new text frame inside a fragmented message',
    [
      { op: OP.text, fin: false, payload: 'a' },
      { op: OP.text, payload: 'b' }
    ]
  ],
  ['fragmented ping', [{ op: OP.ping, fin: false, payload: 'x' }]],
  ['ping payload of 126 bytes', [{ op: OP.ping, payload: long(126) }]],
  ['close payload of 1 byte', [{ op: OP.close, payload: Buffer.from([0x03]) }]],
  ['unmasked frame sent to the server', [{ op: OP.text, payload: 'x', mask: false }]],
  ['64-bit length above 2^53 - 1', hugeLengthFrame],
  ['close code 999', [{ op: OP.close, payload: closePayload(999) }]],
  ['close code 1005 on the wire', [{ op: OP.close, payload: closePayload(1005) }]],
  ['close code 1006 on the wire', [{ op: OP.close, payload: closePayload(1006) }]],
  ['close code 2999', [{ op: OP.close, payload: closePayload(2999, 'r') }]],
  ['close code 5000', [{ op: OP.close, payload: closePayload(5000) }]],
  ['invalid UTF-8 text', [{ op: OP.text, payload: Buffer.from([0x68, 0xc3, 0x28]) }]],
  ['invalid UTF-8 close reason', [{ op: OP.close, payload: closePayload(1000, Buffer.from([0xff, 0xfe])) }]],
  ['overlong UTF-8 encoding in text', [{ op: OP.text, payload: Buffer.from([0xc0, 0xaf]) }]],
  ['UTF-16 surrogate encoded in text', [{ op: OP.text, payload: Buffer.from([0xed, 0xa0, 0x80]) }]],
  ['maxPayload 10 exceeded by one frame', [{ op: OP.binary, payload: long(11) }], { maxPayload: 10 }],
  [
    'maxPayload 10 exceeded across fragments',
    [
      { op: OP.binary, fin: false, payload: long(6) },
      { op: OP.cont, payload: long(6) }
    ],
    { maxPayload: 10 }
  ],
  [
    'maxFragments 2 exceeded',
    [
      { op: OP.text, fin: false, payload: 'a' },
      { op: OP.cont, fin: false, payload: 'b' },
      { op: OP.cont, payload: 'c' }
    ],
    { maxFragments: 2 }
  ]
];

/** Runs one server-side violation: send, then wait for both ends to finish. */
function serverCase([title, frames, serverOptions = {}]) {
  return {
    name: `server rejects: ${title}`,
    async run(ctx) {
      const { peer, done } = await openServer(ctx, serverOptions);
      if (Buffer.isBuffer(frames)) peer.send(frames);
      else for (const f of frames) peer.sendFrame(f);
      await done();
    }
  };
}

/** Client-side cases: frames sent by the raw (non-masking) server. */
const clientCases = [
  ['masked frame sent to the client', [{ op: OP.text, payload: 'x', mask: true }]],
  ['reserved opcode 7', [{ op: 7, payload: 'x' }]],
  ['RSV2 set', [{ op: OP.binary, rsv: 2, payload: 'x' }]],
  ['invalid UTF-8 text', [{ op: OP.text, payload: Buffer.from([0xe2, 0x82]) }]],
  ['close code 1004', [{ op: OP.close, payload: closePayload(1004) }]],
  ['maxPayload 4 exceeded', [{ op: OP.binary, payload: long(5) }], { maxPayload: 4 }],
  ['control frame with 16-bit length encoding', [{ op: OP.pong, payload: long(126) }]]
];

function clientCase([title, frames, clientOptions = {}]) {
  return {
    name: `client rejects: ${title}`,
    async run(ctx) {
      const { peer, done } = await openClient(ctx, { clientOptions });
      for (const f of frames) peer.sendFrame(f);
      await done();
    }
  };
}

/** Only the last close code the impl reports and the code it sent (SPEC §10: sockwire validates fragments early). */
function finalCloseCode(log) {
  const closes = (log.server ?? []).filter((e) => e[0] === 'close').map((e) => e[2]);
  const peerEntry = (log.peer ?? []).find((e) => e[0] === 'peer-closed');
  const sent = peerEntry ? peerEntry[1].frames.filter((f) => f.op === OP.close).map((f) => f.data.slice(0, 4)) : [];
  return { closeEventCodes: closes, closeFrameCodesSent: sent };
}

export default [
  ...serverCases.map(serverCase),
  {
    name: 'server rejects: invalid UTF-8 split across fragments (final close code only)',
    select: finalCloseCode,
    async run(ctx) {
      const { peer, done } = await openServer(ctx);
      peer.sendFrame({ op: OP.text, fin: false, payload: Buffer.from([0x61, 0xf0, 0x9f]) });
      peer.sendFrame({ op: OP.cont, fin: false, payload: Buffer.from([0x28, 0x62]) });
      peer.sendFrame({ op: OP.cont, payload: Buffer.from([0x63]) });
      await done();
    }
  },
  {
    name: 'server accepts: valid 4-byte code point split across three fragments',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      conn.sock.on('message', () => conn.sock.close(1000));
      peer.sendFrame({ op: OP.text, fin: false, payload: Buffer.from([0x61, 0xf0]) });
      peer.sendFrame({ op: OP.cont, fin: false, payload: Buffer.from([0x9f, 0x98]) });
      peer.sendFrame({ op: OP.cont, payload: Buffer.from([0x80, 0x7a]) });
      await done();
    }
  },
  {
    name: 'server accepts: close code 1014 with reason is echoed',
    async run(ctx) {
      const { peer, done } = await openServer(ctx);
      peer.sendClose(1014, 'bad gateway');
      await done();
    }
  },
  {
    name: 'server skipUTF8Validation: invalid text and close reason are delivered',
    async run(ctx) {
      const { peer, done } = await openServer(ctx, { skipUTF8Validation: true });
      peer.sendFrame({ op: OP.text, payload: Buffer.from([0xff, 0x41]) });
      peer.sendFrame({ op: OP.close, payload: closePayload(4001, Buffer.from([0xc3])) });
      await done();
    }
  },
  ...clientCases.map(clientCase)
];
