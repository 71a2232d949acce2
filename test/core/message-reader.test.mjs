// The streaming frame parser and message assembler: every receive rule of SPEC.md §6 with its exact code, message and
// close code (each checked against ws's Receiver on the same bytes), every split point of a multi-frame input, the
// limits, binaryType shaping, deferred events (schedule) and the inflater hand-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  hex,
  splitAt,
  byteChunks,
  runReader,
  runReceiver,
  createRecordingSink,
  MessageReader,
  Receiver,
  WsReceiver
} from '../helpers/core-util.mjs';
import { CLIENT, SERVER, frameError, ERROR_CASES } from '../helpers/core-error-cases.mjs';

const require = createRequire(import.meta.url);
const { fail, failFromError, toError } = require('../../dist/cjs/core/errors.js');
const { isValidApplicationCloseCode, CLOSE_CODE_DESCRIPTIONS } = require('../../dist/cjs/core/close-codes.js');

/** Ours (MessageReader and the Receiver facade) and ws's Receiver must all report exactly `expected`. */
async function expectAll(name, chunks, options, expected) {
  const copy = () => chunks.map((c) => Buffer.from(c));
  assert.deepEqual(runReader(copy(), options).events, expected, `MessageReader: ${name}`);
  assert.deepEqual(await runReceiver(WsReceiver, copy(), options), expected, `ws Receiver: ${name}`);
  assert.deepEqual(await runReceiver(Receiver, copy(), options), expected, `sockwire Receiver: ${name}`);
}

test('SPEC §6: every receive error has the exact code, class, message and close code, as ws reports them', async () => {
  for (const [name, bytes, options, expected] of ERROR_CASES) await expectAll(name, [hex(bytes)], options, expected);
});

test('SPEC §6: every error case is found the same way when fed one byte at a time', async () => {
  for (const [name, bytes, options, expected] of ERROR_CASES)
    await expectAll(`${name} (bytewise)`, byteChunks(hex(bytes)), options, expected);
});

test('maxPayload is checked at the header: 2^40 announced fails before any payload arrives', async () => {
  const header = hex('82 7f 00 00 01 00 00 00 00 00');
  const expected = ['error:RangeError:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH:1009:Max payload size exceeded'];
  await expectAll('2^40 header', [header], { ...CLIENT, maxPayload: 100 * 1024 * 1024 }, expected);
  // 16-bit length too, and masked at a server: the failure comes before the mask key.
  await expectAll('16-bit header', [hex('82 7e 01 00')], { ...CLIENT, maxPayload: 255 }, expected);
  await expectAll('masked header', [hex('82 fe 01 00')], { ...SERVER, maxPayload: 255 }, expected);
  // Without a limit, 2^53 - 1 is a legal length: nothing happens until the payload arrives.
  const { events, reader } = runReader([hex('82 7f 00 1f ff ff ff ff ff ff 01 02')], CLIENT);
  assert.deepEqual(events, []);
  assert.equal(reader.pendingBytes, 2);
  assert.equal(reader.finished, false);
});

test('maxBufferedChunks: too many network chunks held for one partial frame → 1008, as ws', async () => {
  // Header, then 1-byte chunks of a 10-byte payload: the queue holds 3 chunks, the 4th is refused.
  const chunks = [hex('82 0a'), ...byteChunks(hex('01 02 03 04 05 06 07 08 09 0a'))];
  const expected = ['error:RangeError:WS_ERR_TOO_MANY_BUFFERED_PARTS:1008:Too many buffered chunks'];
  await expectAll('maxBufferedChunks 3', chunks, { ...CLIENT, maxBufferedChunks: 3 }, expected);
  // With room for all of them the frame completes.
  await expectAll('maxBufferedChunks 10', chunks, { ...CLIENT, maxBufferedChunks: 10 }, [
    'message:binary:0102030405060708090a'
  ]);
  // Chunks that are parsed at once do not accumulate.
  await expectAll('parsed chunks', byteChunks(hex('82 00 82 00 82 00 82 00')), { ...CLIENT, maxBufferedChunks: 2 }, [
    'message:binary:',
    'message:binary:',
    'message:binary:',
    'message:binary:'
  ]);
});

test('close codes: exactly 1000–1003, 1007–1014 and 3000–4999 are accepted, as ws decides for 0..5010 and 65535', async () => {
  const codes = [];
  for (let code = 0; code <= 5010; code++) codes.push(code);
  codes.push(65535);
  const accepted = [];
  for (const code of codes) {
    const frame = Buffer.from([0x88, 0x02, code >> 8, code & 0xff]);
    const ours = runReader([Buffer.from(frame)], CLIENT).events;
    if (ours[0].startsWith('close:')) accepted.push(code);
    if ((code >= 990 && code <= 1020) || (code >= 2990 && code <= 3010) || code >= 4990 || code % 97 === 0) {
      assert.deepEqual(await runReceiver(WsReceiver, [frame], CLIENT), ours, `code ${code}`);
    }
  }
  const expected = [];
  for (let c = 1000; c <= 1014; c++) if (c < 1004 || c > 1006) expected.push(c);
  for (let c = 3000; c <= 4999; c++) expected.push(c);
  assert.deepEqual(accepted, expected);
  // The application-side rule is narrower (SPEC §4 close()).
  assert.equal(isValidApplicationCloseCode(1000), true);
  assert.equal(isValidApplicationCloseCode(1001), false);
  assert.equal(isValidApplicationCloseCode(2999), false);
  assert.equal(isValidApplicationCloseCode(3000), true);
  assert.equal(isValidApplicationCloseCode(4999), true);
  assert.equal(isValidApplicationCloseCode(5000), false);
  assert.equal(Object.keys(CLOSE_CODE_DESCRIPTIONS).length, 14);
  assert.equal(CLOSE_CODE_DESCRIPTIONS[1009], 'message too big');
});

test('close frames: empty → 1005 with an empty reason; code + UTF-8 reason; nothing read afterwards', async () => {
  await expectAll('empty close', [hex('88 00 81 01 61')], CLIENT, ['close:1005:']);
  await expectAll('close with reason', [hex('88 05 03 e8 62 79 65 81 01 61')], CLIENT, ['close:1000:627965']);
  await expectAll('masked close at server', [hex('88 84 01 02 03 04 02 ea 61 7d')], SERVER, ['close:1000:6279']);
  const { reader, sink } = runReader([hex('88 02 0f a0')], CLIENT);
  assert.equal(reader.finished, true);
  reader.receive(hex('81 01 61'));
  assert.deepEqual(sink.events, ['close:4000:']);
  assert.equal(reader.pendingBytes, 0);
});

test('skipUTF8Validation accepts invalid text and close reasons, as ws', async () => {
  const options = { ...CLIENT, skipUTF8Validation: true };
  await expectAll('skip text', [hex('81 01 ff 01 01 c0 80 01 af')], options, ['message:text:ff', 'message:text:c0af']);
  await expectAll('skip reason', [hex('88 03 03 e8 ff')], options, ['close:1000:ff']);
});

// A multi-frame input: text, ping, fragmented binary with a pong in the middle, then close.
const MULTI_CLIENT = hex(
  '81 05 48 65 6c 6c 6f  89 02 70 31  02 03 01 02 03  8a 00  00 01 04  80 02 05 06  88 04 03 e8 6f 6b'
);
const MULTI_SERVER = hex(
  '81 85 37 fa 21 3d 7f 9f 4d 51 58 ' + // RFC 6455 §5.7 masked "Hello"
    '89 82 00 00 00 00 70 31 ' + // zero mask key
    '02 83 01 01 01 01 00 03 02 ' +
    '8a 80 aa bb cc dd ' +
    '00 81 ff ff ff ff fb ' +
    '80 82 10 20 30 40 15 26 ' +
    '88 84 01 01 01 01 02 e9 6e 6a'
);
const MULTI_EVENTS = [
  'message:text:48656c6c6f',
  'ping:7031',
  'pong:',
  'message:binary:010203040506',
  'close:1000:6f6b'
];

test('every split point of a multi-frame input gives identical events (client and server side)', () => {
  for (const [bytes, options] of [
    [MULTI_CLIENT, CLIENT],
    [MULTI_SERVER, SERVER]
  ]) {
    assert.deepEqual(runReader([Buffer.from(bytes)], options).events, MULTI_EVENTS);
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(runReader(splitAt(bytes, [i]), options).events, MULTI_EVENTS, `split at ${i}`);
    }
    assert.deepEqual(runReader(byteChunks(bytes), options).events, MULTI_EVENTS, 'one byte at a time');
    // Every pair of split points (three pieces).
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        assert.deepEqual(runReader(splitAt(bytes, [i, j]), options).events, MULTI_EVENTS, `split at ${i},${j}`);
      }
    }
  }
});

test('ws reports the same events for the multi-frame input, whole and byte by byte', async () => {
  await expectAll('client whole', [MULTI_CLIENT], CLIENT, MULTI_EVENTS);
  await expectAll('client bytewise', byteChunks(MULTI_CLIENT), CLIENT, MULTI_EVENTS);
  await expectAll('server whole', [MULTI_SERVER], SERVER, MULTI_EVENTS);
  await expectAll('server bytewise', byteChunks(MULTI_SERVER), SERVER, MULTI_EVENTS);
});

/** A sink that keeps the data objects themselves. */
function keepingSink() {
  const messages = [];
  return {
    messages,
    failures: [],
    onMessage: (data, isBinary) => messages.push({ data, isBinary }),
    onPing: () => {},
    onPong: () => {},
    onClose: () => {},
    onFailure(failure) {
      this.failures.push(failure);
    },
    onIdle: () => {}
  };
}

test('views, not copies: a whole frame in one chunk is delivered as a view of that chunk', () => {
  const chunk = Buffer.concat([hex('82 7e 10 00'), Buffer.alloc(4096, 7)]);
  const sink = keepingSink();
  new MessageReader(sink, CLIENT).receive(chunk);
  assert.equal(sink.messages.length, 1);
  assert.equal(sink.messages[0].data.buffer, chunk.buffer);
  assert.equal(sink.messages[0].data.byteOffset, chunk.byteOffset + 4);
  assert.equal(sink.messages[0].data.length, 4096);
});

test('memory bound: tiny fragments in one big chunk are copied out, so the partial message does not pin the chunk', () => {
  const count = 10000;
  const frames = [];
  for (let i = 0; i < count - 1; i++) frames.push(Buffer.from([i === 0 ? 0x02 : 0x00, 0x01, i & 0xff]));
  frames.push(Buffer.from([0x80, 0x01, 0xff]));
  const chunk = Buffer.concat(frames);
  assert.ok(chunk.buffer.byteLength >= chunk.length);
  const sink = keepingSink();
  new MessageReader(sink, { ...CLIENT, binaryType: 'fragments', maxFragments: 0 }).receive(chunk);
  assert.equal(sink.messages.length, 1);
  const fragments = sink.messages[0].data;
  // The first 1024 frames keep one Buffer each (as ws does); later small frames are packed into 16 KiB chunks,
  // so per-Buffer overhead cannot grow with the frame count: 1024 + 1 packed chunk + the final frame.
  assert.equal(fragments.length, 1024 + 1 + 1);
  for (let i = 0; i < 1024; i++) assert.equal(fragments[i].length, 1);
  assert.equal(fragments[1024].length, count - 1 - 1024);
  const joined = Buffer.concat(fragments);
  assert.equal(joined.length, count);
  for (let i = 0; i < count; i++) assert.equal(joined[i], i === count - 1 ? 0xff : i & 0xff);
  let retained = 0;
  for (let i = 0; i < fragments.length - 1; i++) if (fragments[i].buffer === chunk.buffer) retained++;
  assert.equal(retained, 0, 'no non-final fragment may be a view of the 30 KB input chunk');
  // A fragment that is most of its chunk stays a view (no needless copy).
  const big = Buffer.concat([hex('02 7e 10 00'), Buffer.alloc(4096, 1)]);
  const sink2 = keepingSink();
  const reader = new MessageReader(sink2, { ...CLIENT, binaryType: 'fragments' });
  reader.receive(big);
  reader.receive(hex('80 01 02'));
  assert.equal(sink2.messages[0].data[0].buffer, big.buffer);
  assert.deepEqual(
    sink2.messages[0].data.map((b) => b.length),
    [4096, 1]
  );
});

test('memory bound: empty fragments are not stored; maxFragments bounds their count', () => {
  const frames = [hex('02 00')];
  for (let i = 0; i < 4000; i++) frames.push(hex('00 00'));
  frames.push(hex('80 02 61 62'));
  const sink = keepingSink();
  new MessageReader(sink, { ...CLIENT, binaryType: 'fragments' }).receive(Buffer.concat(frames));
  assert.equal(sink.messages.length, 1);
  assert.deepEqual(sink.messages[0].data, [hex('61 62')]);

  const limited = keepingSink();
  new MessageReader(limited, { ...CLIENT, maxFragments: 16384 }).receive(
    Buffer.concat([hex('02 00'), Buffer.alloc(2 * 16384, 0)])
  );
  assert.equal(limited.messages.length, 0);
  assert.deepEqual(
    limited.failures.map((f) => [f.code, f.closeCode, f.message]),
    [['WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008, 'Too many message fragments']]
  );
});

test('binaryType shapes binary messages: nodebuffer, arraybuffer, fragments, blob; can change between messages', async () => {
  const sink = keepingSink();
  const reader = new MessageReader(sink, CLIENT);
  const fragmented = hex('02 02 01 02 80 02 03 04');
  reader.receive(Buffer.from(fragmented));
  reader.binaryType = 'arraybuffer';
  reader.receive(Buffer.from(fragmented));
  reader.receive(hex('82 02 05 06'));
  reader.binaryType = 'fragments';
  reader.receive(Buffer.from(fragmented));
  reader.binaryType = 'blob';
  reader.receive(Buffer.from(fragmented));
  reader.receive(hex('81 02 68 69'));
  const [a, b, c, d, e, f] = sink.messages;
  assert.ok(Buffer.isBuffer(a.data));
  assert.equal(a.data.toString('hex'), '01020304');
  assert.ok(b.data instanceof ArrayBuffer);
  assert.equal(Buffer.from(b.data).toString('hex'), '01020304');
  assert.ok(c.data instanceof ArrayBuffer);
  assert.equal(c.data.byteLength, 2);
  assert.equal(Buffer.from(c.data).toString('hex'), '0506');
  assert.ok(Array.isArray(d.data));
  assert.deepEqual(
    d.data.map((x) => x.toString('hex')),
    ['0102', '0304']
  );
  assert.ok(e.data instanceof Blob);
  assert.equal(Buffer.from(await e.data.arrayBuffer()).toString('hex'), '01020304');
  // Text is a Buffer whatever binaryType says.
  assert.ok(Buffer.isBuffer(f.data));
  assert.equal(f.isBinary, false);
  assert.equal(f.data.toString(), 'hi');
  // A large fragmented arraybuffer message owns its whole backing store.
  const big = Buffer.concat([hex('02 7e 13 88'), Buffer.alloc(5000, 9), hex('80 7e 13 88'), Buffer.alloc(5000, 8)]);
  const sink2 = keepingSink();
  new MessageReader(sink2, { ...CLIENT, binaryType: 'arraybuffer' }).receive(big);
  assert.equal(sink2.messages[0].data.byteLength, 10000);
  const bytes = new Uint8Array(sink2.messages[0].data);
  assert.equal(bytes[4999], 9);
  assert.equal(bytes[5000], 8);
});

test('empty input chunks are ignored; an empty message is an empty Buffer', () => {
  const { events, reader } = runReader([Buffer.alloc(0), hex('81 00'), Buffer.alloc(0), hex('82 00')], CLIENT);
  assert.deepEqual(events, ['message:text:', 'message:binary:']);
  assert.equal(reader.pendingBytes, 0);
});

test('schedule: each event waits for its task, reading parks meanwhile, onIdle once the input is used', () => {
  const tasks = [];
  const sink = createRecordingSink();
  const reader = new MessageReader(sink, { ...CLIENT, schedule: (task) => tasks.push(task) });
  reader.receive(hex('89 01 61 81 01 62 8a 01 63 82 01 64'));
  assert.deepEqual(sink.events, []);
  assert.equal(reader.parked, true);
  assert.equal(reader.pendingBytes, 9);
  assert.equal(tasks.length, 1);
  // Input that arrives while parked is only queued.
  reader.receive(hex('88 02 03 e8'));
  assert.equal(reader.pendingBytes, 13);
  assert.equal(tasks.length, 1);
  const expected = ['ping:61', 'message:text:62', 'pong:63', 'message:binary:64'];
  for (let i = 0; i < 4; i++) {
    tasks.shift()();
    assert.deepEqual(sink.events.slice(0, i + 1), expected.slice(0, i + 1));
    // The next event waits for its own task; after the last one the close frame is read at once.
    assert.equal(sink.events.length, i < 3 ? i + 1 : 5);
    assert.equal(tasks.length, i < 3 ? 1 : 0);
  }
  // The close frame is not deferred (reading stops at it).
  assert.deepEqual(sink.events, [...expected, 'close:1000:']);
  assert.equal(reader.finished, true);
  assert.equal(sink.idle, 1);
});

test('schedule: onIdle after each drained batch; a stop() while parked drops the pending task', () => {
  const tasks = [];
  const sink = createRecordingSink();
  const reader = new MessageReader(sink, { ...CLIENT, schedule: (task) => tasks.push(task) });
  reader.receive(hex('81 01 61'));
  tasks.shift()();
  assert.deepEqual(sink.events, ['message:text:61']);
  assert.equal(sink.idle, 1);
  assert.equal(reader.parked, false);
  reader.receive(hex('81 01 62 81 01 63'));
  reader.stop();
  assert.equal(reader.finished, true);
  assert.equal(reader.pendingBytes, 0);
  tasks.shift()();
  assert.deepEqual(sink.events, ['message:text:61']);
  assert.equal(sink.idle, 1);
});

test('schedule: ws with allowSynchronousEvents false delivers the same events', async () => {
  const bytes = hex('89 01 61 81 01 62 02 01 63 8a 00 80 01 64 88 02 03 e8');
  const expected = ['ping:61', 'message:text:62', 'pong:', 'message:binary:6364', 'close:1000:'];
  await expectAll('deferred', [bytes], { ...CLIENT, allowSynchronousEvents: false }, expected);
  await expectAll('deferred bytewise', byteChunks(bytes), { ...CLIENT, allowSynchronousEvents: false }, expected);
});

/** An inflater whose callbacks the test runs by hand. */
function manualInflater() {
  const calls = [];
  return {
    calls,
    decompress(data, fin, callback) {
      calls.push({ data: Buffer.from(data), fin, callback });
    }
  };
}

test('inflater: RSV1 messages park until decompress answers; fragments are inflated one by one', () => {
  const inflater = manualInflater();
  const sink = createRecordingSink();
  const reader = new MessageReader(sink, { ...CLIENT, inflater });
  reader.receive(hex('41 02 aa bb 80 01 cc 81 01 7a'));
  assert.equal(reader.parked, true);
  assert.equal(inflater.calls.length, 1);
  assert.deepEqual([inflater.calls[0].data.toString('hex'), inflater.calls[0].fin], ['aabb', false]);
  inflater.calls[0].callback(null, Buffer.from('Hel'));
  assert.equal(inflater.calls.length, 2);
  assert.deepEqual([inflater.calls[1].data.toString('hex'), inflater.calls[1].fin], ['cc', true]);
  assert.equal(sink.idle, 0);
  inflater.calls[1].callback(null, Buffer.from('lo'));
  // The uncompressed text frame that followed is read once the inflater answered.
  assert.deepEqual(sink.events, ['message:text:48656c6c6f', 'message:text:7a']);
  assert.equal(sink.idle, 1);
  assert.equal(inflater.calls.length, 2);
});

test('inflater: RSV1 on a continuation or a control frame still fails with WS_ERR_UNEXPECTED_RSV_1', () => {
  for (const bytes of ['41 01 aa c0 01 bb', 'c9 00', 'c8 00']) {
    const inflater = manualInflater();
    const sink = createRecordingSink();
    const reader = new MessageReader(sink, { ...CLIENT, inflater });
    reader.receive(hex(bytes));
    for (const call of inflater.calls) call.callback(null, Buffer.from('x'));
    assert.deepEqual(sink.events, [frameError('WS_ERR_UNEXPECTED_RSV_1', 1002, 'RSV1 must be clear')], bytes);
  }
});

test('inflater: inflated size past maxPayload → 1009; an inflater error passes through with its code', () => {
  const inflater = manualInflater();
  const sink = createRecordingSink();
  new MessageReader(sink, { ...CLIENT, inflater, maxPayload: 10 }).receive(hex('c2 01 00'));
  inflater.calls[0].callback(null, Buffer.alloc(11));
  assert.deepEqual(sink.events, ['error:RangeError:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH:1009:Max payload size exceeded']);

  const inflater2 = manualInflater();
  const sink2 = createRecordingSink();
  const reader2 = new MessageReader(sink2, { ...CLIENT, inflater: inflater2 });
  reader2.receive(hex('c1 01 00'));
  const zlibError = Object.assign(new Error('invalid stored block lengths'), { code: 'Z_DATA_ERROR', closeCode: 1007 });
  inflater2.calls[0].callback(zlibError);
  assert.equal(sink2.failures.length, 1);
  assert.equal(sink2.failures[0].code, 'Z_DATA_ERROR');
  assert.equal(sink2.failures[0].closeCode, 1007);
  assert.equal(sink2.failures[0].cause, zlibError);
  assert.equal(reader2.finished, true);

  // An empty result is an empty message; a callback after stop() is ignored.
  const inflater3 = manualInflater();
  const sink3 = createRecordingSink();
  const reader3 = new MessageReader(sink3, { ...CLIENT, inflater: inflater3 });
  reader3.receive(hex('c2 01 00 c2 01 00'));
  inflater3.calls[0].callback(null, undefined);
  assert.deepEqual(sink3.events, ['message:binary:']);
  reader3.stop();
  inflater3.calls[1].callback(null, Buffer.from('late'));
  assert.deepEqual(sink3.events, ['message:binary:']);
});

test('inflater: inflated text is delivered synchronously even when events are scheduled (as ws)', () => {
  const inflater = manualInflater();
  const tasks = [];
  const sink = createRecordingSink();
  new MessageReader(sink, { ...CLIENT, inflater, schedule: (task) => tasks.push(task) }).receive(hex('c1 01 00'));
  inflater.calls[0].callback(null, Buffer.from('ok'));
  assert.deepEqual(sink.events, ['message:text:6f6b']);
  assert.equal(tasks.length, 0);
  const inflaterBad = manualInflater();
  const sinkBad = createRecordingSink();
  new MessageReader(sinkBad, { ...CLIENT, inflater: inflaterBad }).receive(hex('41 01 00'));
  inflaterBad.calls[0].callback(null, hex('ff'));
  assert.deepEqual(sinkBad.events, [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')]);
});

test('failure values become ws-shaped errors (class, code, closeCode, message)', () => {
  const protocol = toError(fail('WS_ERR_INVALID_OPCODE', 'invalid opcode 3'));
  assert.ok(protocol instanceof RangeError);
  assert.equal(protocol.message, 'Invalid WebSocket frame: invalid opcode 3');
  assert.equal(protocol.code, 'WS_ERR_INVALID_OPCODE');
  assert.equal(protocol.closeCode, 1002);
  const utf8 = toError(fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 sequence'));
  assert.equal(utf8.constructor, Error);
  assert.equal(utf8.closeCode, 1007);
  const size = toError(fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded', false));
  assert.equal(size.message, 'Max payload size exceeded');
  assert.equal(size.closeCode, 1009);
  // An extension's error keeps its identity and own code; the close code defaults to 1007 (RFC 7692 §8).
  const cause = Object.assign(new Error('boom'), { code: 'Z_BUF_ERROR' });
  const wrapped = failFromError(cause);
  assert.deepEqual([wrapped.code, wrapped.closeCode, wrapped.message], ['Z_BUF_ERROR', 1007, 'boom']);
  assert.equal(toError(wrapped), cause);
  assert.equal(cause.closeCode, 1007);
  const guarded = failFromError(Object.assign(new RangeError('Max payload size exceeded'), { closeCode: 1009 }));
  assert.equal(guarded.closeCode, 1009);
  assert.equal(guarded.code, 'WS_ERR_INVALID_UTF8');
});

test('binary-data helpers: concat cuts or copies as asked; toArrayBuffer avoids a copy when it can', () => {
  const { concat, toArrayBuffer } = require('../../dist/cjs/core/binary-data.js');
  const { NOOP, EMPTY_BUFFER } = require('../../dist/cjs/core/constants.js');
  assert.equal(concat([], 0), EMPTY_BUFFER);
  const single = hex('01 02 03');
  assert.equal(concat([single], 3), single, 'one piece of the right length is returned as is');
  assert.equal(concat([single], 2).toString('hex'), '0102');
  assert.equal(concat([hex('01 02'), hex('03 04'), hex('05')], 4).toString('hex'), '01020304');
  // A totalLength past the data gives only the bytes there are.
  assert.equal(concat([hex('01'), hex('02')], 5).toString('hex'), '0102');
  const whole = new Uint8Array([9, 8, 7]);
  const owning = Buffer.from(whole.buffer);
  assert.equal(toArrayBuffer(owning), whole.buffer);
  const view = toArrayBuffer(owning.subarray(1));
  assert.notEqual(view, whole.buffer);
  assert.deepEqual([...new Uint8Array(view)], [8, 7]);
  assert.equal(NOOP(), undefined);
  assert.equal(EMPTY_BUFFER.length, 0);
});

test('SPEC §10: fragmented text fails at the first fragment that breaks UTF-8, before the final fragment arrives', async () => {
  for (const first of ['01 01 ff', '01 02 41 c0', '01 01 e2 00 01 28', '01 03 ed a0 80', '01 01 f4 00 01 90']) {
    const { events, reader } = runReader([hex(first)], CLIENT);
    assert.deepEqual(events, [frameError('WS_ERR_INVALID_UTF8', 1007, 'invalid UTF-8 sequence', 'Error')], first);
    assert.equal(reader.finished, true);
    // ws waits for the final fragment: nothing yet.
    assert.deepEqual(await runReceiver(WsReceiver, [hex(first)], CLIENT), [], `ws on ${first}`);
  }
  // A valid prefix keeps going; a code point split across three fragments is accepted.
  const { events } = runReader([hex('01 01 f0 00 02 9f 92 00 00 80 01 a9')], CLIENT);
  assert.deepEqual(events, ['message:text:f09f92a9']);
});

test('a masked payload spanning socket reads: exact bytes for every binaryType and text; an arraybuffer message is not copied again', async () => {
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const payload = Buffer.alloc(200000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0x7f; // ASCII, so valid text as well
  const frame = (opcode) => {
    const header = Buffer.from([0x80 | opcode, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    header.writeUInt32BE(payload.length, 6);
    const masked = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ key[i & 3];
    return Buffer.concat([header, key, masked]);
  };
  /** The frame as 64 KiB socket reads, each a fresh ArrayBuffer: the payload starts 14 bytes into the first. */
  const deliver = (binaryType, opcode) => {
    const sink = keepingSink();
    const reader = new MessageReader(sink, { ...SERVER, binaryType });
    const wire = frame(opcode);
    const originalSlice = ArrayBuffer.prototype.slice;
    let slices = 0;
    ArrayBuffer.prototype.slice = function countedSlice(...args) {
      slices++;
      return originalSlice.apply(this, args);
    };
    try {
      for (let at = 0; at < wire.length; at += 65536) reader.receive(Buffer.from(wire.subarray(at, at + 65536)));
    } finally {
      ArrayBuffer.prototype.slice = originalSlice;
    }
    assert.equal(sink.failures.length, 0);
    assert.equal(sink.messages.length, 1);
    return { message: sink.messages[0], slices };
  };
  const asBuffer = deliver('nodebuffer', 2).message.data;
  assert.deepEqual(asBuffer, payload);
  // Unmasked straight into a target aligned like the first piece (14 bytes in), so the word loop has no copy step.
  assert.equal(asBuffer.byteOffset & 7, 14 & 7);
  const asArrayBuffer = deliver('arraybuffer', 2);
  assert.ok(asArrayBuffer.message.data instanceof ArrayBuffer);
  assert.equal(asArrayBuffer.message.data.byteLength, payload.length);
  assert.deepEqual(Buffer.from(asArrayBuffer.message.data), payload);
  assert.equal(asArrayBuffer.slices, 0, 'the target is the message ArrayBuffer itself');
  const asFragments = deliver('fragments', 2).message.data;
  assert.deepEqual(Buffer.concat(asFragments), payload);
  assert.deepEqual(Buffer.from(await deliver('blob', 2).message.data.arrayBuffer()), payload);
  // Text is a Buffer whatever binaryType says, and is checked as it arrives.
  const text = deliver('arraybuffer', 1).message;
  assert.equal(text.isBinary, false);
  assert.deepEqual(text.data, payload);
});
