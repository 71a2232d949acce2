// Differential test: the same seeded byte streams (valid, mutated, random, limit-hitting), cut into the same chunks,
// go to ws's Receiver and to ours (the Receiver facade and the bare MessageReader), on both sides (isServer true and
// false). Messages, pings, pongs, conclude codes, error classes, codes, messages and close codes must be equal.
// The one allowed difference (SPEC.md §10): fragmented text that turns invalid in a non-final fragment fails there
// in sockwire and only at the final fragment in ws — there only the error code and the events before it are compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRandom,
  randomChunks,
  byteChunks,
  runReader,
  runReceiver,
  Receiver,
  WsReceiver
} from '../helpers/core-util.mjs';
import { randomConversation, encodeFrames, hasEarlyUtf8Failure, randomText } from '../helpers/core-frames.mjs';

const STREAMS = 240;
const SEED = 0xd1ff;

/** Encode frame by frame so mutations can target one frame's header. */
function encodeEach(random, frames, masked) {
  return frames.map((frame) => encodeFrames(random, [frame], frame.wrongMask ? !masked : masked));
}

/** Model-level mutations: they change what a frame says, and encodeFrame writes it faithfully. */
function mutateModel(random, frames) {
  const index = random.int(0, frames.length - 1);
  const frame = { ...frames[index] };
  switch (random.int(0, 6)) {
    case 0:
      frame.opcode = random.int(0, 15);
      break;
    case 1:
      frame.rsv1 = true;
      break;
    case 2:
      frame.fin = !frame.fin;
      break;
    case 3:
      // A bad byte in the payload: invalid UTF-8 for text, harmless for binary.
      if (frame.payload.length > 0) {
        const payload = Buffer.from(frame.payload);
        payload[random.int(0, payload.length - 1)] = random.pick([0xff, 0xc0, 0x80, 0xed, 0xf4]);
        frame.payload = payload;
      }
      break;
    case 4:
      frame.wrongMask = true;
      break;
    case 5: {
      const code = random.bool(0.5) ? random.int(990, 1020) : random.int(0, 5100);
      frame.opcode = 0x8;
      frame.fin = true;
      frame.payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), randomText(random, random.int(0, 10))]);
      break;
    }
    default:
      frame.opcode = random.pick([0x8, 0x9, 0xa]);
      frame.payload = random.bytes(random.pick([1, 124, 125, 126, 127, 200]));
  }
  frames[index] = frame;
}

/** Byte-level mutations of the encoded stream. */
function mutateBytes(random, pieces) {
  const index = random.int(0, pieces.length - 1);
  const piece = Buffer.from(pieces[index]);
  switch (random.int(0, 3)) {
    case 0:
      piece[random.int(0, Math.min(1, piece.length - 1))] ^= 1 << random.int(0, 7);
      break;
    case 1:
      piece[random.int(0, piece.length - 1)] = random.int(0, 255);
      break;
    case 2:
      // A 64-bit length that no JS number holds exactly, or a merely huge one.
      pieces.splice(index, 0, Buffer.from(random.bool() ? '827f0020000000000000' : '82ff0000010000000000', 'hex'));
      return;
    default:
      pieces[index] = piece.subarray(0, random.int(0, piece.length));
      return;
  }
  pieces[index] = piece;
}

/** A fragmented text message whose second fragment breaks UTF-8, finished correctly afterwards. */
function earlyUtf8Frames(random) {
  const bad = random.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x28]]);
  return [
    { opcode: 0x1, fin: false, payload: randomText(random, random.int(0, 10)) },
    { opcode: 0x0, fin: false, payload: Buffer.concat([randomText(random, random.int(0, 5)), Buffer.from(bad)]) },
    { opcode: 0x9, fin: true, payload: Buffer.from('between') },
    { opcode: 0x0, fin: true, payload: randomText(random, random.int(0, 10)) }
  ];
}

function makeStream(random, n) {
  const isServer = random.bool();
  const options = { isServer };
  const kind = ['valid', 'mutated', 'mutated', 'random', 'limits', 'early'][n % 6];
  let bytes;
  if (kind === 'random') {
    bytes = random.bytes(random.int(1, 64));
    // Half the time make it start like a plausible frame for this side.
    if (random.bool()) bytes[1] = (bytes[1] & 0x7f) | (isServer ? 0x80 : 0);
  } else if (kind === 'early') {
    bytes = Buffer.concat(encodeEach(random, earlyUtf8Frames(random), isServer));
  } else {
    const { frames } = randomConversation(random, { allowLarge: false, maxMessages: 4 });
    if (kind === 'mutated') {
      const modelMutations = random.int(0, 2);
      for (let i = 0; i < modelMutations; i++) mutateModel(random, frames);
    }
    const pieces = encodeEach(random, frames, isServer);
    if (kind === 'mutated' && random.bool(0.6)) mutateBytes(random, pieces);
    bytes = Buffer.concat(pieces);
    if (kind === 'limits') {
      const which = random.int(0, 3);
      if (which === 0) options.maxPayload = random.int(1, 300);
      else if (which === 1) options.maxFragments = random.int(1, 4);
      else if (which === 2) options.maxBufferedChunks = random.int(1, 6);
      else options.skipUTF8Validation = true;
      if (random.bool(0.3)) options.allowSynchronousEvents = false;
    }
  }
  const chunks =
    kind === 'limits' && options.maxBufferedChunks !== undefined
      ? randomChunks(random, bytes, 4)
      : random.bool(0.25) && bytes.length < 2000
        ? byteChunks(bytes)
        : randomChunks(random, bytes, random.pick([3, 50, 100000]));
  return { kind, options, bytes, chunks };
}

const isError = (event) => event.startsWith('error:');
const UTF8_ERROR = 'error:Error:WS_ERR_INVALID_UTF8:1007:Invalid WebSocket frame: invalid UTF-8 sequence';

test(`${STREAMS} seeded streams give the same events, errors and codes in ws and sockwire`, async (t) => {
  const random = createRandom(SEED);
  const tally = {
    streams: 0,
    identical: 0,
    early: 0,
    withError: 0,
    withMessage: 0,
    withClose: 0,
    errorCodes: new Set()
  };
  for (let n = 0; n < STREAMS; n++) {
    const { kind, options, bytes, chunks } = makeStream(random, n);
    const copy = () => chunks.map((c) => Buffer.from(c));
    const label = `stream ${n} (${kind}, ${JSON.stringify(options)}): ${bytes.subarray(0, 48).toString('hex')}`;
    const ws = await runReceiver(WsReceiver, copy(), options);
    const ours = await runReceiver(Receiver, copy(), options);
    const readerOptions = { ...options, allowSynchronousEvents: undefined };
    assert.deepEqual(runReader(copy(), readerOptions).events, ours, `MessageReader = Receiver: ${label}`);
    tally.streams++;
    const last = ours[ours.length - 1];
    if (last === UTF8_ERROR && hasEarlyUtf8Failure(bytes) && options.skipUTF8Validation !== true) {
      // SPEC §10: we stop at the first bad fragment; ws goes on until the final one.
      tally.early++;
      assert.deepEqual(ws.slice(0, ours.length - 1), ours.slice(0, -1), `events before the early failure: ${label}`);
      if (kind === 'early') {
        assert.equal(ws[ws.length - 1].split(':').slice(0, 4).join(':'), 'error:Error:WS_ERR_INVALID_UTF8:1007', label);
        // ws still reported the ping sent after the bad fragment; we had stopped before it.
        assert.equal(ws[ws.length - 2], `ping:${Buffer.from('between').toString('hex')}`, label);
        assert.equal(ours.length, ws.length - 1, label);
      }
    } else {
      assert.equal(kind === 'early', false, `the early-UTF-8 case was not detected: ${label}`);
      assert.deepEqual(ours, ws, label);
      tally.identical++;
    }
    if (ws.some(isError)) {
      tally.withError++;
      tally.errorCodes.add(ws.find(isError).split(':')[2]);
    }
    if (ws.some((e) => e.startsWith('message:'))) tally.withMessage++;
    if (ws.some((e) => e.startsWith('close:'))) tally.withClose++;
  }
  t.diagnostic(JSON.stringify({ ...tally, errorCodes: [...tally.errorCodes].sort() }));
  // The streams exercised what a differential test is for.
  assert.ok(tally.early >= STREAMS / 6, `early: ${tally.early}`);
  assert.ok(tally.withError > 80, `withError: ${tally.withError}`);
  assert.ok(tally.withMessage > 80, `withMessage: ${tally.withMessage}`);
  assert.ok(tally.withClose > 20, `withClose: ${tally.withClose}`);
  const codes = [...tally.errorCodes].sort();
  for (const code of [
    'WS_ERR_EXPECTED_FIN',
    'WS_ERR_INVALID_CLOSE_CODE',
    'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    'WS_ERR_INVALID_OPCODE',
    'WS_ERR_INVALID_UTF8',
    'WS_ERR_TOO_MANY_BUFFERED_PARTS',
    'WS_ERR_UNEXPECTED_RSV_1',
    'WS_ERR_UNEXPECTED_RSV_2_3',
    'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
    'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
  ]) {
    assert.ok(codes.includes(code), `no stream produced ${code}: ${codes.join(', ')}`);
  }
  assert.ok(codes.includes('WS_ERR_EXPECTED_MASK') || codes.includes('WS_ERR_UNEXPECTED_MASK'), codes.join(', '));
});
