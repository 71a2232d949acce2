// SPEC §4 send(): every data type, the binary/compress/fin/mask options, callbacks, the CONNECTING rule, and the
// after-close rule (callback error, bufferedAmount grows). Frames are read raw by the peer, so opcodes, flags and
// payload bytes are exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, inflateRawSync } from 'node:zlib';
import { WebSocket } from '../helpers/impl.mjs';
import { once, within } from '../helpers/client-events.mjs';
import { connectClient } from '../helpers/client-connect.mjs';
import { startRawServer } from '../helpers/client-raw-server.mjs';

const zeroMask = { generateMask: (mask) => mask.fill(0), perMessageDeflate: false };

/** Sends each item and returns the frames the peer got, as [opcode, fin, rsv, masked, payload hex]. */
async function framesFor(t, items, options = zeroMask) {
  const { ws, peer } = await connectClient(t, WebSocket, { options });
  for (const [data, opts] of items) ws.send(data, opts);
  const frames = await peer.frames.take(items.length);
  return frames.map((f) => [f.opcode, f.fin, f.rsv, f.masked, f.payload.toString('hex')]);
}

test('send before open throws "WebSocket is not open: readyState 0 (CONNECTING)"', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const ws = new WebSocket(server.url);
  ws.on('error', () => {});
  for (const call of [() => ws.send('x'), () => ws.send('x', () => {}), () => ws.ping(), () => ws.pong('p')]) {
    assert.throws(call, (err) => {
      assert.equal(err.constructor, Error);
      assert.equal(err.message, 'WebSocket is not open: readyState 0 (CONNECTING)');
      return true;
    });
  }
  ws.terminate();
  await once(ws, 'close');
});

test('string → text frame; Buffer → binary frame; number → its string form as text', async (t) => {
  const frames = await framesFor(t, [['héllo'], [Buffer.from([0, 1, 255])], [42], [-1.5]]);
  assert.deepEqual(frames, [
    [1, true, 0, true, Buffer.from('héllo').toString('hex')],
    [2, true, 0, true, '0001ff'],
    [1, true, 0, true, Buffer.from('42').toString('hex')],
    [1, true, 0, true, Buffer.from('-1.5').toString('hex')]
  ]);
});

test('ArrayBuffer, DataView and every typed array send exactly the bytes of the view', async (t) => {
  const backing = new ArrayBuffer(16);
  new Uint8Array(backing).forEach((_, i, a) => (a[i] = i + 1));
  const views = [
    backing,
    new DataView(backing, 3, 4),
    new Uint8Array(backing, 2, 3),
    new Int8Array([-1, 2]),
    new Uint8ClampedArray([300, 5]),
    new Int16Array([-2]),
    new Uint16Array([1, 2]).subarray(1),
    new Int32Array([1]),
    new Uint32Array([0xdeadbeef]),
    new Float32Array([1.5]),
    new Float64Array([1.5]),
    new BigInt64Array([-1n]),
    new BigUint64Array([2n])
  ];
  const frames = await framesFor(t, views.map((view) => [view]));
  const expected = views.map((view) => {
    const bytes = ArrayBuffer.isView(view) ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : Buffer.from(view);
    return [2, true, 0, true, bytes.toString('hex')];
  });
  assert.deepEqual(frames, expected);
  // Spot-check a few against literal bytes so the expectation above cannot share a bug with the code under test.
  assert.equal(frames[1][4], '04050607');
  assert.equal(frames[4][4], 'ff05');
  assert.equal(frames[6][4], '0200');
  assert.equal(frames[8][4], 'efbeadde');
});

test('Blob → binary frame with its bytes, kept in order with later sends', async (t) => {
  const frames = await framesFor(t, [[new Blob(['blob', Buffer.from([0])])], ['after'], [new Blob([])]]);
  assert.deepEqual(frames, [
    [2, true, 0, true, Buffer.from('blob\0').toString('hex')],
    [1, true, 0, true, Buffer.from('after').toString('hex')],
    [2, true, 0, true, '']
  ]);
});

test('options.binary overrides the data type', async (t) => {
  const frames = await framesFor(t, [
    ['abc', { binary: true }],
    [Buffer.from('buf'), { binary: false }]
  ]);
  assert.deepEqual(frames, [
    [2, true, 0, true, '616263'],
    [1, true, 0, true, '627566']
  ]);
});

test('options.fin:false fragments a message; the next sends continue it (RFC 6455 §5.4)', async (t) => {
  const frames = await framesFor(t, [['a', { fin: false }], ['b', { fin: false }], ['c'], [Buffer.from('d'), { fin: false }], [Buffer.from('e')]]);
  assert.deepEqual(frames, [
    [1, false, 0, true, '61'],
    [0, false, 0, true, '62'],
    [0, true, 0, true, '63'],
    [2, false, 0, true, '64'],
    [0, true, 0, true, '65']
  ]);
});

test('options.mask:false sends an unmasked frame from the client', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  ws.send('m', { mask: false });
  ws.send('n');
  const frames = await peer.frames.take(2);
  assert.equal(frames[0].raw.toString('hex'), '81016d');
  assert.equal(frames[1].raw.toString('hex'), '8181000000006e');
});

test('callbacks: called once with null after the frame is written, in order', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const calls = [];
  await within(
    new Promise((resolve) => {
      ws.send('one', (err) => calls.push(['one', err]));
      ws.send(Buffer.from('two'), { binary: true }, (err) => calls.push(['two', err]));
      ws.send(new Blob(['three']), (err) => calls.push(['three', err]));
      ws.ping('four', undefined, (err) => calls.push(['four', err]));
      ws.pong('five', true, (err) => {
        calls.push(['five', err]);
        resolve();
      });
    }),
    2000,
    'callbacks'
  );
  assert.deepEqual(calls, [
    ['one', null],
    ['two', null],
    ['three', null],
    ['four', null],
    ['five', null]
  ]);
  const frames = await peer.frames.take(5);
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.payload.toString()]),
    [
      [1, 'one'],
      [2, 'two'],
      [2, 'three'],
      [9, 'four'],
      [10, 'five']
    ]
  );
});

test('after close started: no throw, callback error, bufferedAmount grows by the data size', async (t) => {
  const { ws } = await connectClient(t, WebSocket, { options: zeroMask });
  ws.close();
  assert.equal(ws.readyState, WebSocket.CLOSING);
  const errors = [];
  const start = ws.bufferedAmount;
  const steps = [
    [() => ws.send('abcd', (e) => errors.push(e)), 4],
    [() => ws.send(new Uint8Array(10), (e) => errors.push(e)), 10],
    [() => ws.send(new Blob(['12345']), (e) => errors.push(e)), 5],
    [() => ws.send(7, (e) => errors.push(e)), 1],
    [() => ws.send(new ArrayBuffer(6)), 6],
    [() => ws.ping('abc', undefined, (e) => errors.push(e)), 3],
    [() => ws.pong(Buffer.alloc(2), undefined, (e) => errors.push(e)), 2]
  ];
  let expected = start;
  for (const [step, size] of steps) {
    step();
    expected += size;
    assert.equal(ws.bufferedAmount, expected);
  }
  await within(
    (async () => {
      for (let i = 0; i < 50 && errors.length < 6; i++) await new Promise((resolve) => setImmediate(resolve));
    })(),
    2000,
    'callback errors'
  );
  assert.equal(errors.length, 6);
  for (const err of errors) {
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'WebSocket is not open: readyState 2 (CLOSING)');
  }
});

test('after close: CLOSED state reports readyState 3 in the callback error', async (t) => {
  const { ws } = await connectClient(t, WebSocket, { options: zeroMask });
  ws.terminate();
  await once(ws, 'close');
  const before = ws.bufferedAmount;
  const [err] = await within(new Promise((resolve) => ws.send('xyz', (...args) => resolve(args))), 2000, 'cb');
  assert.equal(err.message, 'WebSocket is not open: readyState 3 (CLOSED)');
  assert.equal(ws.bufferedAmount - before, 3);
  assert.doesNotThrow(() => ws.send('no callback'));
});

test('ping/pong payload over 125 bytes → RangeError while open; 125 is fine', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const message = 'The data size must not be greater than 125 bytes';
  for (const call of [() => ws.ping(Buffer.alloc(126)), () => ws.pong('x'.repeat(126)), () => ws.ping('é'.repeat(63))]) {
    assert.throws(call, (err) => {
      assert.equal(err.constructor, RangeError);
      assert.equal(err.message, message);
      return true;
    });
  }
  ws.ping(Buffer.alloc(125, 1));
  ws.pong(42);
  ws.ping();
  const frames = await peer.frames.take(3);
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.payload.length, f.masked]),
    [
      [9, 125, true],
      [10, 2, true],
      [9, 0, true]
    ]
  );
  assert.equal(frames[1].payload.toString(), '42');
  // Once closing, the state check comes first: no throw, the callback gets the not-open error.
  ws.close();
  const [err] = await within(new Promise((resolve) => ws.ping(Buffer.alloc(126), undefined, (...args) => resolve(args))), 2000, 'cb');
  assert.equal(err.message, 'WebSocket is not open: readyState 2 (CLOSING)');
});

/** Inflates client payloads as one RFC 7692 §7.2.2 stream: each message gets its 00 00 ff ff tail back. */
function inflateMessages(payloads) {
  const tail = Buffer.from([0, 0, 0xff, 0xff]);
  const stream = Buffer.concat(payloads.flatMap((payload) => [payload, tail]));
  return inflateRawSync(stream, { finishFlush: constants.Z_SYNC_FLUSH }).toString();
}

test('compress with permessage-deflate negotiated: RSV1 set by default, cleared by compress:false', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, {
    options: { generateMask: (mask) => mask.fill(0) },
    responseLines: ['Sec-WebSocket-Extensions: permessage-deflate']
  });
  assert.equal(ws.extensions, 'permessage-deflate');
  const big = 'abcdefgh'.repeat(200);
  ws.send('small');
  ws.send(big);
  ws.send(big, { compress: false });
  ws.send(Buffer.from(big), { compress: true });
  const frames = await peer.frames.take(4, 3000);
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.rsv]),
    [
      [1, 4],
      [1, 4],
      [1, 0],
      [2, 4]
    ]
  );
  assert.ok(frames[1].payload.length < 100);
  assert.equal(frames[2].payload.toString(), big);
  assert.equal(inflateMessages([frames[0].payload, frames[1].payload, frames[3].payload]), 'small' + big + big);
});

test('with client_no_context_takeover, messages under the 1024-byte threshold go uncompressed', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, {
    options: { generateMask: (mask) => mask.fill(0) },
    responseLines: ['Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover']
  });
  ws.send('x'.repeat(1023));
  ws.send('y'.repeat(1024));
  const frames = await peer.frames.take(2, 3000);
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.rsv]),
    [
      [1, 0],
      [1, 4]
    ]
  );
  assert.equal(frames[0].payload.toString(), 'x'.repeat(1023));
  assert.equal(inflateMessages([frames[1].payload]), 'y'.repeat(1024));
});

test('compress is ignored when no extension was negotiated', async (t) => {
  const frames = await framesFor(t, [['x'.repeat(2000), { compress: true }]], { perMessageDeflate: false });
  assert.equal(frames[0][2], 0);
  assert.equal(frames[0][4], Buffer.from('x'.repeat(2000)).toString('hex'));
});
