// Issue 8 rows 11, 12 (valid splits), 13 (clean close-frame cases, peer that never answers) and 18 (frames pipelined
// in the upgrade's head): strange but legal input must be accepted with the message intact, and sockwire must put
// the same bytes on the wire as ws.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { bounded, closePayload, frame, rawClient, SERVER_MODES, sleep, sockwire, startServer, tick, upgradeRequest, writeChunked, ws } from '../helpers/hostile-peer.mjs';

const cont = (payload, fin) => frame({ opcode: 0x0, payload, fin });
const close1000 = frame({ opcode: 0x8, payload: closePayload(1000) });

/**
 * Send `input` (then, unless it already has one, a close 1000) and return what came back: the frames the server
 * wrote, its events, and the messages it received.
 */
async function converse(lib, input, { chunk = 0, inHead = false, mode } = {}) {
  const server = await startServer(lib, {}, { mode });
  try {
    const request = inHead ? Buffer.concat([Buffer.from(upgradeRequest()), input]) : upgradeRequest();
    const peer = await rawClient(server.port, { request });
    if (!inHead) {
      if (chunk > 0) await writeChunked(peer.socket, input, chunk);
      else peer.socket.write(input);
    }
    await peer.waitClosed();
    const record = server.peers[0];
    await bounded(record.closed, 'server close event');
    await tick();
    const frames = peer.received().frames.map((f) => `${f.opcode}:${f.payload.toString('hex')}`);
    return { frames, events: record.events, messages: record.messages.map((m) => m.data.toString('hex')) };
  } finally {
    await server.stop();
  }
}

/** Check sockwire (whole and byte-by-byte) and ws give the same result, and return it. */
async function sameAsWs(input, options = {}) {
  const ours = await converse(sockwire, input, options);
  const trickled = await converse(sockwire, input, { ...options, chunk: options.inHead ? 0 : 1 });
  const reference = await converse(ws, input, options);
  assert.deepEqual(ours, reference, 'sockwire and ws see the same conversation');
  assert.deepEqual(trickled, ours, 'TCP segmentation changes nothing');
  return ours;
}

test('row 11: pings and pongs between fragments are answered and the message arrives intact', { timeout: 15000 }, async () => {
  const input = Buffer.concat([
    frame({ opcode: 0x1, fin: false, payload: 'Hel' }),
    frame({ opcode: 0x9, payload: 'p1' }),
    cont('lo, ', false),
    frame({ opcode: 0xa, payload: 'unsolicited' }),
    cont(Buffer.alloc(0), false),
    frame({ opcode: 0x9, payload: Buffer.alloc(125, 0x7a) }),
    cont('wörld', true),
    close1000
  ]);
  const result = await sameAsWs(input);
  assert.deepEqual(result.messages, [Buffer.from('Hello, wörld').toString('hex')]);
  assert.deepEqual(result.frames, [`10:${Buffer.from('p1').toString('hex')}`, `10:${'7a'.repeat(125)}`, '8:03e8']);
  assert.deepEqual(result.events, [`message:text:${Buffer.byteLength('Hello, wörld')}`, 'close:1000']);
});

test('row 11: a close frame inside a fragmented message ends it cleanly without a message', { timeout: 15000 }, async () => {
  const result = await sameAsWs(Buffer.concat([frame({ opcode: 0x2, fin: false, payload: 'part' }), close1000, cont('never', true)]));
  assert.deepEqual(result.events, ['close:1000']);
  assert.deepEqual(result.frames, ['8:03e8']);
});

test('row 12: valid multi-byte characters split across fragments and TCP chunks are accepted', { timeout: 15000 }, async () => {
  const pile = Buffer.from('a€𝄞é\u{10ffff}\u{fffd}', 'utf8');
  // One byte per fragment, with empty fragments between: every code point is cut at every position.
  const frames = [frame({ opcode: 0x1, fin: false, payload: Buffer.alloc(0) })];
  for (const byte of pile) frames.push(cont(Buffer.from([byte]), false), cont(Buffer.alloc(0), false));
  frames.push(cont(Buffer.alloc(0), true), close1000);
  const result = await sameAsWs(Buffer.concat(frames));
  assert.deepEqual(result.messages, [pile.toString('hex')]);
  assert.deepEqual(result.events, [`message:text:${pile.length}`, 'close:1000']);
});

test('row 13: a 123-byte close reason is echoed byte for byte; an empty close gives 1005', { timeout: 15000 }, async () => {
  const reason = 'ü'.repeat(61) + 'x';
  assert.equal(Buffer.byteLength(reason), 123);
  const full = await sameAsWs(frame({ opcode: 0x8, payload: closePayload(4999, reason) }));
  assert.deepEqual(full.frames, [`8:${closePayload(4999, reason).toString('hex')}`]);
  assert.deepEqual(full.events, ['close:4999']);
  const empty = await sameAsWs(frame({ opcode: 0x8 }));
  assert.deepEqual(empty.frames, ['8:']);
  assert.deepEqual(empty.events, ['close:1005']);
});

test('row 13: data after the close frame is ignored (no message, no error)', { timeout: 15000 }, async () => {
  const result = await sameAsWs(Buffer.concat([close1000, frame({ payload: 'late' }), frame({ opcode: 0x9 }), frame({ opcode: 0x3 })]));
  assert.deepEqual(result.events, ['close:1000']);
  assert.deepEqual(result.frames, ['8:03e8']);
});

test('row 13: a peer that never answers our close is dropped after closeTimeout; one close event, 1006', { timeout: 15000 }, async () => {
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, { closeTimeout: 200 });
    try {
      const peer = await rawClient(server.port);
      await bounded(new Promise((resolve) => (server.peers.length > 0 ? resolve() : server.wss.once('connection', resolve))), 'connection');
      const record = server.peers[0];
      record.socket.close(1000, 'bye');
      // The peer reads but never replies and never sends FIN.
      await peer.waitClosed(3000);
      assert.equal(await bounded(record.closed, 'close event', 3000), 1006);
      await sleep(50);
      assert.equal(record.closes, 1);
      assert.deepEqual(record.events, ['close:1006']);
      assert.deepEqual(peer.received().frames.map((f) => `${f.opcode}:${f.payload.toString('hex')}`), [`8:${closePayload(1000, 'bye').toString('hex')}`]);
      assert.equal(record.socket.readyState, 3);
    } finally {
      await server.stop();
    }
  }
});

// The head's trailing bytes come from sockwire's parser in port mode and from Node's in server mode.
for (const mode of SERVER_MODES) {
  test(`row 18 (${mode} mode): frames pipelined in the upgrade head are processed exactly once`, { timeout: 15000 }, async () => {
    const input = Buffer.concat([frame({ payload: 'one' }), frame({ opcode: 0x9, payload: 'p' }), frame({ opcode: 0x2, payload: 'two' }), close1000]);
    const result = await sameAsWs(input, { inHead: true, mode });
    assert.deepEqual(result.messages, [Buffer.from('one').toString('hex'), Buffer.from('two').toString('hex')]);
    assert.deepEqual(result.frames, [`10:${Buffer.from('p').toString('hex')}`, '8:03e8']);
    assert.deepEqual(result.events, ['message:text:3', 'message:binary:3', 'close:1000']);
  });
}

test('row 18: a protocol error pipelined in the head closes with 1002 after the valid message before it', { timeout: 15000 }, async () => {
  const input = Buffer.concat([frame({ payload: 'ok' }), frame({ opcode: 0x1, rsv: 2 })]);
  const ours = await converse(sockwire, input, { inHead: true });
  const reference = await converse(ws, input, { inHead: true });
  assert.deepEqual(ours, reference);
  assert.deepEqual(ours.frames, ['8:03ea']);
  assert.deepEqual(ours.events, ['message:text:2', 'error:WS_ERR_UNEXPECTED_RSV_2_3', 'close:1006']);
});
