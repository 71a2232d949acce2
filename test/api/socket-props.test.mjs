// SPEC §4 properties: binaryType (4 values, invalid ignored), pause/resume/isPaused, bufferedAmount, protocol,
// extensions and url before/after open, readyState, and the on* attribute handlers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { delay, once, within } from '../helpers/client-events.mjs';
import { connectClient } from '../helpers/client-connect.mjs';
import { closePayload, encodeFrame, startRawServer } from '../helpers/client-raw-server.mjs';

const plain = { perMessageDeflate: false, generateMask: (mask) => mask.fill(0) };

/** Sends text 'txt', binary 'bin', and binary 'fr'+'ag' in two fragments; resolves with the 3 message events. */
async function threeMessages(ws, peer) {
  const got = [];
  const done = new Promise((resolve) => {
    const listener = (data, isBinary) => {
      got.push([data, isBinary]);
      if (got.length === 3) {
        ws.off('message', listener);
        resolve(got);
      }
    };
    ws.on('message', listener);
  });
  peer.socket.write(
    Buffer.concat([
      encodeFrame({ opcode: 1, payload: 'txt' }),
      encodeFrame({ opcode: 2, payload: 'bin' }),
      encodeFrame({ opcode: 2, fin: false, payload: 'fr' }),
      encodeFrame({ opcode: 0, payload: 'ag' })
    ])
  );
  return within(done, 2000, 'three messages');
}

test("binaryType defaults to 'nodebuffer': binary as Buffer, text as Buffer with isBinary false", async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  assert.equal(ws.binaryType, 'nodebuffer');
  const [[text, textBinary], [bin, binBinary], [frag, fragBinary]] = await threeMessages(ws, peer);
  assert.ok(Buffer.isBuffer(text));
  assert.equal(text.toString(), 'txt');
  assert.equal(textBinary, false);
  assert.ok(Buffer.isBuffer(bin));
  assert.equal(bin.toString(), 'bin');
  assert.equal(binBinary, true);
  assert.ok(Buffer.isBuffer(frag));
  assert.equal(frag.toString(), 'frag');
  assert.equal(fragBinary, true);
});

test("binaryType 'arraybuffer': binary as ArrayBuffer of exactly the message; text stays a Buffer", async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  ws.binaryType = 'arraybuffer';
  assert.equal(ws.binaryType, 'arraybuffer');
  const [[text, textBinary], [bin], [frag]] = await threeMessages(ws, peer);
  assert.ok(Buffer.isBuffer(text));
  assert.equal(textBinary, false);
  assert.ok(bin instanceof ArrayBuffer);
  assert.equal(bin.byteLength, 3);
  assert.equal(Buffer.from(bin).toString(), 'bin');
  assert.ok(frag instanceof ArrayBuffer);
  assert.equal(Buffer.from(frag).toString(), 'frag');
});

test("binaryType 'fragments': binary as an array of one Buffer per frame; text stays a Buffer", async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  ws.binaryType = 'fragments';
  const [[text], [bin], [frag]] = await threeMessages(ws, peer);
  assert.ok(Buffer.isBuffer(text));
  assert.equal(text.toString(), 'txt');
  assert.ok(Array.isArray(bin));
  assert.deepEqual(
    bin.map((b) => [Buffer.isBuffer(b), b.toString()]),
    [[true, 'bin']]
  );
  assert.deepEqual(
    frag.map((b) => [Buffer.isBuffer(b), b.toString()]),
    [
      [true, 'fr'],
      [true, 'ag']
    ]
  );
});

test("binaryType 'blob': binary as a Blob with the bytes; text stays a Buffer", async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  ws.binaryType = 'blob';
  const [[text], [bin, binBinary], [frag]] = await threeMessages(ws, peer);
  assert.ok(Buffer.isBuffer(text));
  assert.ok(bin instanceof Blob);
  assert.equal(binBinary, true);
  assert.equal(bin.size, 3);
  assert.equal(Buffer.from(await bin.arrayBuffer()).toString(), 'bin');
  assert.ok(frag instanceof Blob);
  assert.equal(await frag.text(), 'frag');
});

test('binaryType: unknown values are ignored (no throw, previous value kept)', () => {
  const ws = new WebSocket('ws://127.0.0.1:1');
  ws.on('error', () => {});
  ws.binaryType = 'arraybuffer';
  for (const bad of ['bogus', 'Blob', 'ArrayBuffer', '', null, undefined, 1]) {
    ws.binaryType = bad;
    assert.equal(ws.binaryType, 'arraybuffer');
  }
  ws.binaryType = 'fragments';
  assert.equal(ws.binaryType, 'fragments');
  ws.terminate();
});

test('pause()/resume()/isPaused: no messages while paused, delivered in order after resume', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  assert.equal(ws.isPaused, false);
  const got = [];
  ws.on('message', (data) => got.push(data.toString()));
  ws.pause();
  assert.equal(ws.isPaused, true);
  peer.socket.write(Buffer.concat([encodeFrame({ opcode: 1, payload: 'one' }), encodeFrame({ opcode: 1, payload: 'two' })]));
  await delay(100);
  assert.deepEqual(got, []);
  const second = new Promise((resolve) => ws.on('message', () => got.length === 2 && resolve()));
  ws.resume();
  assert.equal(ws.isPaused, false);
  await within(second, 2000, 'messages after resume');
  assert.deepEqual(got, ['one', 'two']);
});

test('pause() while CONNECTING does nothing; a paused socket does not see the peer close until resumed', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const connecting = new WebSocket(server.url);
  connecting.on('error', () => {});
  connecting.pause();
  assert.equal(connecting.isPaused, false);
  connecting.terminate();

  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  ws.pause();
  peer.socket.write(encodeFrame({ opcode: 8, payload: closePayload(1000) }));
  await delay(100);
  assert.equal(ws.readyState, WebSocket.OPEN);
  const closed = once(ws, 'close');
  ws.resume();
  const [echo] = await peer.frames.take(1);
  assert.equal(echo.raw.toString('hex'), '88820000000003e8');
  peer.socket.end();
  const [code] = await closed;
  assert.equal(code, 1000);
});

test('bufferedAmount: 0 before and after open; grows while the peer does not read; back to 0 once read', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const pending = new WebSocket(server.url);
  pending.on('error', () => {});
  assert.equal(pending.bufferedAmount, 0);
  pending.terminate();

  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  assert.equal(ws.bufferedAmount, 0);
  peer.socket.pause();
  const size = 16 * 1024 * 1024;
  ws.send(Buffer.alloc(size));
  assert.ok(ws.bufferedAmount > 0, `bufferedAmount ${ws.bufferedAmount}`);
  assert.ok(ws.bufferedAmount <= size + 14, `bufferedAmount ${ws.bufferedAmount}`);
  peer.socket.resume();
  const [frame] = await peer.frames.take(1, 10000);
  assert.equal(frame.payload.length, size);
  for (let i = 0; i < 100 && ws.bufferedAmount !== 0; i++) await delay(10);
  assert.equal(ws.bufferedAmount, 0);
});

test('protocol and extensions are empty strings while connecting; url is set at once', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const ws = new WebSocket(server.url + '/x?y', ['chat']);
  ws.on('error', () => {});
  assert.equal(ws.protocol, '');
  assert.equal(ws.extensions, '');
  assert.equal(ws.url, server.url + '/x?y');
  assert.equal(ws.readyState, WebSocket.CONNECTING);
  ws.terminate();
  await once(ws, 'close');
});

test('on* attribute handlers: called with the event object; assigning replaces; null removes', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: plain });
  const calls = [];
  const first = () => calls.push('first');
  ws.onmessage = first;
  assert.equal(ws.onmessage, first);
  ws.onmessage = (event) => calls.push(['second', event.type, event.data.toString(), event.target === ws]);
  peer.socket.write(encodeFrame({ opcode: 1, payload: 'm1' }));
  await once(ws, 'message');
  ws.onmessage = null;
  assert.equal(ws.onmessage, null);
  peer.socket.write(encodeFrame({ opcode: 1, payload: 'm2' }));
  await once(ws, 'message');
  ws.onerror = (event) => calls.push(['error', event.type]);
  ws.onclose = (event) => calls.push(['close', event.type, event.code, event.reason, event.wasClean]);
  peer.socket.end(encodeFrame({ opcode: 8, payload: closePayload(4321, 'why') }));
  await once(ws, 'close');
  assert.deepEqual(calls, [
    ['second', 'message', 'm1', true],
    ['close', 'close', 4321, 'why', true]
  ]);
});

test('onopen is called with an open Event', async (t) => {
  const { ws } = await connectClient(t, WebSocket, { options: plain });
  assert.equal(ws.onopen, null);
  const fresh = new WebSocket(ws.url);
  t.after(() => fresh.terminate());
  const seen = await within(
    new Promise((resolve) => {
      fresh.onopen = (event) => resolve([event.type, event.target === fresh, fresh.readyState]);
    }),
    2000,
    'onopen'
  );
  assert.deepEqual(seen, ['open', true, WebSocket.OPEN]);
});
