// SPEC §4 close()/terminate(): argument validation, the close handshake bytes in both directions, close while
// connecting, idempotence, closeTimeout, and 'close' firing exactly once with the right code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { delay, eventNames, once, record } from '../helpers/client-events.mjs';
import { connectClient } from '../helpers/client-connect.mjs';
import { closePayload, encodeFrame, startRawServer } from '../helpers/client-raw-server.mjs';

const zeroMask = { generateMask: (mask) => mask.fill(0), perMessageDeflate: false };

/** Counts every 'close' and 'error' until `ms` after the first 'close' (to catch a second one). */
function countCloses(ws) {
  const log = [];
  ws.on('close', (code, reason) => log.push(['close', code, reason.toString()]));
  ws.on('error', (err) => log.push(['error', err.message]));
  return log;
}

test('close(code) rejects codes outside 1000–1003, 1007–1014, 3000–4999 with a TypeError', async (t) => {
  const { ws } = await connectClient(t, WebSocket, { options: zeroMask });
  // A rejected call leaves the socket OPEN, so all bad codes can be tried on one connection.
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535, '1000', null, NaN]) {
    assert.throws(
      () => ws.close(code),
      (err) => {
        assert.equal(err.constructor, TypeError, String(code));
        assert.equal(err.message, 'First argument must be a valid error code number');
        return true;
      }
    );
    assert.equal(ws.readyState, WebSocket.OPEN);
  }
});

test('close(code) accepts 1001 … and sends the code big-endian', async (t) => {
  for (const [code, hex] of [
    [1000, '03e8'],
    [1001, '03e9'],
    [1003, '03eb'],
    [1007, '03ef'],
    [1014, '03f6'],
    [3000, '0bb8'],
    [4999, '1387']
  ]) {
    const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
    ws.close(code);
    assert.equal(ws.readyState, WebSocket.CLOSING);
    const [frame] = await peer.frames.take(1);
    assert.equal(frame.raw.toString('hex'), '888200000000' + hex, String(code));
  }
});

test('close reason: up to 123 bytes is sent; 124 bytes → RangeError', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  for (const reason of ['x'.repeat(124), 'é'.repeat(62), Buffer.alloc(124)]) {
    assert.throws(
      () => ws.close(1000, reason),
      (err) => {
        assert.equal(err.constructor, RangeError);
        assert.equal(err.message, 'The message must not be greater than 123 bytes');
        return true;
      }
    );
  }
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.close(4000, 'y'.repeat(123));
  const [frame] = await peer.frames.take(1);
  assert.equal(frame.raw.subarray(0, 2).toString('hex'), '88fd');
  assert.equal(frame.payload.toString('hex'), '0fa0' + Buffer.from('y'.repeat(123)).toString('hex'));
});

test('close() without a code sends an empty close frame; a reason without a code is ignored', async (t) => {
  const a = await connectClient(t, WebSocket, { options: zeroMask });
  a.ws.close();
  assert.equal((await a.peer.frames.take(1))[0].raw.toString('hex'), '888000000000');
  const b = await connectClient(t, WebSocket, { options: zeroMask });
  b.ws.close(undefined, 'ignored');
  assert.equal((await b.peer.frames.take(1))[0].raw.toString('hex'), '888000000000');
});

test('client-initiated close: frame, peer echo + FIN → "close" once with the peer code and reason', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const log = countCloses(ws);
  ws.close(1000, 'bye');
  ws.close(4000, 'second call is a no-op');
  const [frame] = await peer.frames.take(1);
  assert.equal(frame.raw.toString('hex'), '888500000000' + '03e8' + Buffer.from('bye').toString('hex'));
  peer.socket.end(encodeFrame({ opcode: 8, payload: closePayload(1000, 'ok') }));
  await once(ws, 'close');
  await delay(50);
  assert.deepEqual(log, [['close', 1000, 'ok']]);
  assert.equal(peer.frames.frames.length, 1, 'only one close frame was sent');
  assert.equal(ws.readyState, WebSocket.CLOSED);
});

test('peer-initiated close: the client echoes code and reason exactly, then "close"', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const { log, done } = record(ws, ['message', 'error', 'close']);
  peer.socket.write(encodeFrame({ opcode: 8, payload: closePayload(4001, 'peer') }));
  const [echo] = await peer.frames.take(1);
  assert.equal(echo.raw.toString('hex'), '888600000000' + '0fa1' + Buffer.from('peer').toString('hex'));
  assert.equal(ws.readyState, WebSocket.CLOSING);
  peer.socket.end();
  await done;
  assert.deepEqual(
    log.map(([name, code, reason]) => [name, code, reason.toString()]),
    [['close', 4001, 'peer']]
  );
});

test('peer close frame without a code → echo with no payload, "close" 1005 with an empty reason', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  peer.socket.write(encodeFrame({ opcode: 8 }));
  const [echo] = await peer.frames.take(1);
  assert.equal(echo.raw.toString('hex'), '888000000000');
  peer.socket.end();
  const [code, reason] = await once(ws, 'close');
  assert.equal(code, 1005);
  assert.ok(Buffer.isBuffer(reason));
  assert.equal(reason.length, 0);
});

test('peer ends TCP without a close frame → "close" 1006, no error', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const { log, done } = record(ws, ['error', 'close']);
  peer.socket.end();
  await done;
  assert.deepEqual(eventNames(log), ['close']);
  assert.equal(log[0][1], 1006);
  assert.equal(log[0][2].length, 0);
});

test('closeTimeout: a peer that never answers our close → "close" 1006 after the timeout, no error', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: { ...zeroMask, closeTimeout: 100 } });
  const { log, done } = record(ws, ['error', 'close']);
  ws.close(1000, 'bye');
  await peer.frames.take(1);
  await done;
  assert.deepEqual(eventNames(log), ['close']);
  assert.equal(log[0][1], 1006);
  assert.equal(log[0][2].length, 0);
  // The client tore the TCP connection down itself.
  await peer.frames.waitEnd(2000);
});

test('close while connecting → error "WebSocket was closed before the connection was established", close 1006', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const ws = new WebSocket(server.url);
  const states = [];
  ws.on('error', () => states.push(['error', ws.readyState]));
  ws.on('close', () => states.push(['close', ws.readyState]));
  const { log, done } = record(ws, ['open', 'error', 'close']);
  ws.close();
  assert.equal(ws.readyState, WebSocket.CLOSING);
  ws.close();
  await done;
  await delay(50);
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'WebSocket was closed before the connection was established');
  assert.equal(log[1][1], 1006);
  assert.deepEqual(states, [
    ['error', WebSocket.CLOSING],
    ['close', WebSocket.CLOSED]
  ]);
});

test('terminate while connecting → same error, close 1006', async (t) => {
  const server = await startRawServer((socket) => socket.resume());
  t.after(() => server.close());
  const ws = new WebSocket(server.url);
  const { log, done } = record(ws, ['open', 'error', 'close']);
  ws.terminate();
  assert.equal(ws.readyState, WebSocket.CLOSING);
  ws.terminate();
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'WebSocket was closed before the connection was established');
  assert.equal(log[1][1], 1006);
});

test('terminate while open: no close frame on the wire, "close" 1006 exactly once', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const log = countCloses(ws);
  const closed = once(ws, 'close');
  ws.terminate();
  assert.equal(ws.readyState, WebSocket.CLOSING);
  await peer.frames.waitEnd(2000);
  await closed;
  ws.terminate();
  ws.close();
  await delay(50);
  assert.deepEqual(log, [['close', 1006, '']]);
  assert.equal(peer.frames.frames.length, 0);
  assert.equal(ws.readyState, WebSocket.CLOSED);
});

test('terminate while closing: "close" 1006 at once (the peer never answered)', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const log = countCloses(ws);
  ws.close(1000);
  await peer.frames.take(1);
  ws.terminate();
  await once(ws, 'close');
  await delay(50);
  assert.deepEqual(log, [['close', 1006, '']]);
});

test('close() after CLOSED does nothing', async (t) => {
  const { ws, peer } = await connectClient(t, WebSocket, { options: zeroMask });
  const log = countCloses(ws);
  peer.socket.end(encodeFrame({ opcode: 8, payload: closePayload(1000) }));
  await once(ws, 'close');
  ws.close(1000);
  ws.close(4000, 'x');
  await delay(50);
  assert.deepEqual(log, [['close', 1000, '']]);
  assert.equal(ws.readyState, WebSocket.CLOSED);
});
