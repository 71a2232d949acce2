// SPEC §4 options shared with the server, seen from the client: autoPong, allowSynchronousEvents,
// skipUTF8Validation, maxPayload, maxFragments, and the 'ping'/'pong' events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { delay, eventNames, once, record } from '../helpers/client-events.mjs';
import { connectClient } from '../helpers/client-connect.mjs';
import { encodeFrame } from '../helpers/client-raw-server.mjs';

const plain = { perMessageDeflate: false, generateMask: (mask) => mask.fill(0) };

test("autoPong (default): each ping is answered with a pong of the same payload; 'ping'/'pong' events", async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  const events = [];
  ws.on('ping', (data) => events.push(['ping', Buffer.isBuffer(data), data.toString('hex')]));
  ws.on('pong', (data) => events.push(['pong', Buffer.isBuffer(data), data.toString('hex')]));
  peer.socket.write(
    Buffer.concat([
      encodeFrame({ opcode: 9, payload: 'hi' }),
      encodeFrame({ opcode: 9 }),
      encodeFrame({ opcode: 10, payload: 'po' })
    ])
  );
  const frames = await peer.frames.take(2);
  assert.deepEqual(
    frames.map((f) => f.raw.toString('hex')),
    ['8a82000000006869', '8a8000000000']
  );
  await delay(20);
  assert.deepEqual(events, [
    ['ping', true, '6869'],
    ['ping', true, ''],
    ['pong', true, '706f']
  ]);
});

test("autoPong:false: 'ping' fires but no pong is sent", async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: { ...plain, autoPong: false } });
  const pings = [];
  ws.on('ping', (data) => pings.push(data.toString()));
  peer.socket.write(encodeFrame({ opcode: 9, payload: 'hi' }));
  await once(ws, 'ping');
  // A marker sent after the ping event must be the first frame the peer sees.
  ws.send('marker');
  const [first] = await peer.frames.take(1);
  assert.equal(first.opcode, 1);
  assert.equal(first.payload.toString(), 'marker');
  await delay(50);
  assert.equal(peer.frames.frames.length, 1);
  assert.deepEqual(pings, ['hi']);
});

/** Writes a, ping, b, c in one chunk and logs events and the microtasks each listener queues. */
async function syncOrder(t, allowSynchronousEvents) {
  const options = allowSynchronousEvents === undefined ? plain : { ...plain, allowSynchronousEvents };
  const { ws, peer } = await connectClient(t, WebSocket, { options });
  const log = [];
  const done = new Promise((resolve) => {
    ws.on('message', (data) => {
      const s = data.toString();
      log.push(`msg ${s}`);
      queueMicrotask(() => log.push(`micro ${s}`));
      if (s === 'c') setTimeout(resolve, 20);
    });
  });
  ws.on('ping', (data) => {
    log.push(`ping ${data}`);
    queueMicrotask(() => log.push('micro ping'));
  });
  peer.socket.write(
    Buffer.concat([
      encodeFrame({ opcode: 1, payload: 'a' }),
      encodeFrame({ opcode: 9, payload: 'p' }),
      encodeFrame({ opcode: 1, payload: 'b' }),
      encodeFrame({ opcode: 1, payload: 'c' })
    ])
  );
  await done;
  return log;
}

test('allowSynchronousEvents true (default): several events in one tick, microtasks after them', async (t) => {
  const expected = ['msg a', 'ping p', 'msg b', 'msg c', 'micro a', 'micro ping', 'micro b', 'micro c'];
  assert.deepEqual(await syncOrder(t, undefined), expected);
  assert.deepEqual(await syncOrder(t, true), expected);
});

test("allowSynchronousEvents false: each event's microtasks run before the next event", async (t) => {
  assert.deepEqual(await syncOrder(t, false), [
    'msg a',
    'micro a',
    'ping p',
    'micro ping',
    'msg b',
    'micro b',
    'msg c',
    'micro c'
  ]);
});

test('skipUTF8Validation: invalid text and close reasons are delivered as they are', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: { ...plain, skipUTF8Validation: true } });
  const { log, done } = record(ws, ['message', 'error', 'close']);
  peer.socket.write(
    Buffer.concat([
      encodeFrame({ opcode: 1, payload: Buffer.from([0x61, 0xff]) }),
      encodeFrame({ opcode: 1, fin: false, payload: Buffer.from([0xc3]) }),
      encodeFrame({ opcode: 0, payload: Buffer.from([0x28]) }),
      encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0xff, 0xfe]) })
    ])
  );
  const [echo] = await peer.frames.take(1);
  assert.equal(echo.raw.toString('hex'), '88840000000003e8fffe');
  peer.socket.end();
  await done;
  assert.deepEqual(
    log.map(([name, a, b]) => [name, Buffer.isBuffer(a) ? a.toString('hex') : a, Buffer.isBuffer(b) ? b.toString('hex') : b]),
    [
      ['message', '61ff', false],
      ['message', 'c328', false],
      ['close', 1000, 'fffe']
    ]
  );
});

test('maxPayload: a message one byte over → 1009 close frame, WS_ERR_UNSUPPORTED_MESSAGE_LENGTH, close 1006', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: { ...plain, maxPayload: 100 } });
  const { log, done } = record(ws, ['message', 'error', 'close']);
  peer.socket.write(encodeFrame({ opcode: 2, payload: Buffer.alloc(100) }));
  await once(ws, 'message');
  peer.socket.write(
    Buffer.concat([
      encodeFrame({ opcode: 2, fin: false, payload: Buffer.alloc(60) }),
      encodeFrame({ opcode: 0, payload: Buffer.alloc(41) })
    ])
  );
  const [frame] = await peer.frames.take(1);
  assert.equal(frame.raw.toString('hex'), '88820000000003f1');
  await done;
  assert.deepEqual(eventNames(log), ['message', 'error', 'close']);
  const err = log[1][1];
  assert.ok(err instanceof RangeError);
  assert.equal(err.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.equal(err.message, 'Max payload size exceeded');
  assert.equal(log[2][1], 1006);
});

test('maxFragments: one frame too many → 1008 close frame, WS_ERR_TOO_MANY_BUFFERED_PARTS', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: { ...plain, maxFragments: 3 } });
  const { log, done } = record(ws, ['message', 'error', 'close']);
  const frames = (n) => [
    ...Array.from({ length: n - 1 }, (_, i) => encodeFrame({ opcode: i === 0 ? 2 : 0, fin: false, payload: 'x' })),
    encodeFrame({ opcode: 0, payload: 'y' })
  ];
  peer.socket.write(Buffer.concat(frames(3)));
  const [data] = await once(ws, 'message');
  assert.equal(data.toString(), 'xxy');
  peer.socket.write(Buffer.concat(frames(4)));
  const [frame] = await peer.frames.take(1);
  assert.equal(frame.raw.toString('hex'), '88820000000003f0');
  await done;
  assert.deepEqual(eventNames(log), ['message', 'error', 'close']);
  assert.ok(log[1][1] instanceof RangeError);
  assert.equal(log[1][1].code, 'WS_ERR_TOO_MANY_BUFFERED_PARTS');
  assert.equal(log[1][1].message, 'Too many message fragments');
  assert.equal(log[2][1], 1006);
});
