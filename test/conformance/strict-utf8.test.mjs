// Strict UTF-8 (RFC 6455 §8.1, Autobahn 6.4.1–6.4.4 in their strict reading): text fails with 1007 as soon as the
// bytes received so far cannot start valid UTF-8, across fragments and inside one frame that is still arriving.
// Autobahn is not installable here; these tests send its payloads cut the way its cases cut them, to the reader
// itself (every cut checked against WHATWG's streaming decoder), to sockwire as a server and to sockwire as a client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRandom, MessageReader, splitAt } from '../helpers/core-util.mjs';
import { buildFrame } from '../helpers/frame-bytes.mjs';
import { bounded, FIXED_MASK, rawClient, sockwire, startServer } from '../helpers/hostile-peer.mjs';
import { startAcceptingServer } from '../helpers/client-raw-server.mjs';

const VALID = Buffer.from('κόσμε', 'utf8');
const EDITED = Buffer.from('edited');
/** Autobahn 6.4.1 / 6.4.3: the middle part is a 4-byte sequence past U+10FFFF. */
const PARTS_6_4_1 = [VALID, Buffer.from([0xf4, 0x90, 0x80, 0x80]), EDITED];
/** Autobahn 6.4.2 / 6.4.4: the same bytes cut so that F4 ends part one and 0x90 alone (what breaks it) is part two. */
const PARTS_6_4_2 = [
  Buffer.concat([VALID, Buffer.from([0xf4])]),
  Buffer.from([0x90]),
  Buffer.concat([Buffer.from([0x80, 0x80]), EDITED])
];

/** A text frame (or a continuation when `first` is false) carrying `payload`, masked with `key` if given. */
function textFrame(payload, { fin = true, first = true, key = null } = {}) {
  return buildFrame({ opcode: first ? 0x1 : 0x0, fin, key, payload });
}

/** Feeds `pieces` one by one; returns the index of the piece after which the reader failed (or -1) and events. */
function feedReader(pieces, options) {
  const events = [];
  let failedAt = -1;
  const reader = new MessageReader(
    {
      onMessage: (data) => events.push(`message:${Buffer.from(data).toString('hex')}`),
      onPing() {},
      onPong() {},
      onClose: () => events.push('close'),
      onFailure: (failure) => events.push(`fail:${failure.code}:${failure.closeCode}`),
      onIdle() {}
    },
    options
  );
  pieces.forEach((piece, index) => {
    if (reader.finished) return;
    reader.receive(piece);
    if (failedAt < 0 && events.some((e) => e.startsWith('fail:'))) failedAt = index;
  });
  return { failedAt, events };
}

/** Where WHATWG's fatal streaming decoder first rejects the text pieces: their index, or -1 if it never does. */
function decoderRejectsAt(textPieces) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < textPieces.length; i++) {
    try {
      decoder.decode(textPieces[i], { stream: i < textPieces.length - 1 });
    } catch {
      return i;
    }
  }
  return -1;
}

for (const [name, parts, frames] of [
  ['6.4.1: three fragments, the second invalid', PARTS_6_4_1, 'fragments'],
  ['6.4.2: three fragments, the byte that breaks it alone in the second', PARTS_6_4_2, 'fragments'],
  ['6.4.3: one frame in three chops, the second invalid', PARTS_6_4_1, 'chops'],
  ['6.4.4: one frame in three chops, the byte that breaks it alone in the second', PARTS_6_4_2, 'chops']
]) {
  for (const isServer of [true, false]) {
    test(`Autobahn ${name}: the reader fails with 1007 right after the second part (${isServer ? 'server' : 'client'})`, () => {
      const key = isServer ? FIXED_MASK : null;
      let pieces;
      if (frames === 'fragments') {
        pieces = parts.map((part, i) => textFrame(part, { fin: i === parts.length - 1, first: i === 0, key }));
      } else {
        const whole = textFrame(Buffer.concat(parts), { key });
        const header = whole.length - Buffer.concat(parts).length;
        pieces = splitAt(whole, [header + parts[0].length, header + parts[0].length + parts[1].length]);
      }
      const { failedAt, events } = feedReader(pieces, { isServer });
      assert.equal(failedAt, 1);
      assert.deepEqual(events, ['fail:WS_ERR_INVALID_UTF8:1007']);
    });
  }
}

test('a valid text frame cut at every pair of positions is delivered intact; the whole-frame path is unchanged', () => {
  const text = Buffer.from('a€𝄞é ok 中文 ✓', 'utf8');
  for (const key of [null, FIXED_MASK]) {
    const whole = textFrame(text, { key });
    for (let a = 1; a < whole.length; a++) {
      for (let b = a; b < whole.length; b++) {
        const { events } = feedReader(splitAt(whole, a === b ? [a] : [a, b]), { isServer: key !== null });
        assert.deepEqual(events, [`message:${text.toString('hex')}`], `cut at ${a}/${b}`);
      }
    }
  }
});

test('random text cut into random chops fails exactly where the WHATWG streaming decoder does (2000 cases)', () => {
  const random = createRandom(0x6443);
  const alphabet = ['a', 'é', '€', '𝄞', '\u07ff', '\uffff'].map((c) => Buffer.from(c));
  const junk = [[0xf4, 0x90], [0xed, 0xa0], [0xe0, 0x80], [0xc0], [0xff], [0x80], [0xf5], [0xc2]];
  for (let n = 0; n < 2000; n++) {
    const pieces = [];
    for (let i = random.int(1, 12); i > 0; i--) pieces.push(random.pick(alphabet));
    if (random.bool(0.6)) pieces.splice(random.int(0, pieces.length), 0, Buffer.from(random.pick(junk)));
    const payload = Buffer.concat(pieces);
    const key = random.bool() ? FIXED_MASK : null;
    const whole = textFrame(payload, { key });
    const header = whole.length - payload.length;
    const cuts = [];
    for (let at = header; at < whole.length; at += random.int(1, 4)) cuts.push(at);
    const chops = splitAt(whole, cuts);
    // The first chop is the header alone; the rest carry the text, which the decoder gets unmasked.
    const expected = decoderRejectsAt(splitAt(payload, cuts.slice(1).map((at) => at - header)));
    const { failedAt, events } = feedReader(chops, { isServer: key !== null });
    assert.equal(failedAt, expected < 0 ? -1 : expected + 1, `case ${n}: ${payload.toString('hex')} cut ${cuts}`);
    if (expected < 0) assert.deepEqual(events, [`message:${payload.toString('hex')}`]);
  }
});

test('early checks stay off where they must: skipUTF8Validation, binary frames, control frames', () => {
  const bad = Buffer.from([0x61, 0xff, 0x62]);
  const key = FIXED_MASK;
  const text = textFrame(bad, { key });
  assert.deepEqual(feedReader(splitAt(text, [7, 8]), { isServer: true, skipUTF8Validation: true }).events, [
    `message:${bad.toString('hex')}`
  ]);
  const binary = buildFrame({ opcode: 0x2, key, payload: bad });
  assert.deepEqual(feedReader(splitAt(binary, [7, 8]), { isServer: true }).events, [`message:${bad.toString('hex')}`]);
});

/** Writes the pieces as separate socket writes, yielding to the event loop between them. */
async function writeApart(socket, pieces) {
  for (const piece of pieces) {
    if (socket.destroyed) return;
    socket.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

for (const [name, parts] of [
  ['6.4.3', PARTS_6_4_1],
  ['6.4.4', PARTS_6_4_2]
]) {
  test(`Autobahn ${name} against a sockwire server (permessage-deflate on): 1007 before the frame is complete`, async () => {
    const server = await startServer(sockwire, { perMessageDeflate: true });
    try {
      const peer = await rawClient(server.port);
      const payload = Buffer.concat(parts);
      const whole = textFrame(payload, { key: FIXED_MASK });
      const header = whole.length - payload.length;
      // The last chop is never sent: the frame stays incomplete, so only an early check can fail it.
      const [first, second] = splitAt(whole, [header + parts[0].length, header + parts[0].length + parts[1].length]);
      await writeApart(peer.socket, [first, second]);
      await peer.waitClosed();
      await bounded(server.peers[0].closed, 'server close');
      assert.equal(peer.closeCode(), 1007);
      // The peer never answers our close frame, so 'close' reports 1006, as ws does.
      assert.deepEqual(server.peers[0].events, ['error:WS_ERR_INVALID_UTF8', 'close:1006']);
    } finally {
      await server.stop();
    }
  });

  test(`Autobahn ${name} against a sockwire client: 1007 before the frame is complete`, async () => {
    const payload = Buffer.concat(parts);
    const whole = textFrame(payload);
    const header = whole.length - payload.length;
    const [first, second] = splitAt(whole, [header + parts[0].length, header + parts[0].length + parts[1].length]);
    let closeFrame;
    const server = await startAcceptingServer(async ({ socket, frames }) => {
      await writeApart(socket, [first, second]);
      closeFrame = await frames.take(1, 4000).then((list) => list[0]);
      socket.end();
    });
    try {
      const client = new sockwire(server.url);
      const events = [];
      client.on('error', (err) => events.push(`error:${err.code}`));
      const closed = new Promise((resolve) => client.on('close', (code) => resolve(events.push(`close:${code}`))));
      await bounded(closed, 'client close');
      assert.deepEqual(events, ['error:WS_ERR_INVALID_UTF8', 'close:1006']);
      assert.equal(closeFrame.opcode, 0x8);
      assert.equal(closeFrame.payload.readUInt16BE(0), 1007);
    } finally {
      await server.close();
    }
  });
}
