// SPEC §4: wss:// and https:// addresses over TLS, with TLS options passed through to https.request. The server is
// an https server using the committed self-signed fixture; its 'upgrade' handler does the handshake by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { once, record, eventNames } from '../helpers/client-events.mjs';
import { acceptKey, encodeFrame, FrameReader } from '../helpers/client-raw-server.mjs';
import { cert, startHttpsServer } from '../helpers/tls-fixture.mjs';

/** An https server that upgrades every request and hands `{ socket, req, frames }` to `onOpen`. */
async function tlsServer(t, onOpen = () => {}) {
  const server = await startHttpsServer({
    onUpgrade(req, socket) {
      socket.on('error', () => {});
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'])}\r\n\r\n`
      );
      onOpen({ socket, req, frames: new FrameReader(socket) });
    }
  });
  t.after(() => server.close());
  return server;
}

test('wss:// with rejectUnauthorized:false: open, exchange a message each way, close 1000', async (t) => {
  let peer;
  const server = await tlsServer(t, (p) => (peer = p));
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/secure`, { rejectUnauthorized: false });
  await once(ws, 'open');
  assert.equal(peer.req.url, '/secure');
  assert.equal(peer.socket.encrypted, true);
  assert.equal(ws.url, `wss://127.0.0.1:${server.port}/secure`);

  ws.send('over tls');
  const [frame] = await peer.frames.take(1);
  assert.equal(frame.opcode, 1);
  assert.equal(frame.masked, true);
  assert.equal(frame.payload.toString(), 'over tls');

  const message = once(ws, 'message');
  peer.socket.write(encodeFrame({ opcode: 2, payload: Buffer.from([1, 2, 3]) }));
  const [data, isBinary] = await message;
  assert.deepEqual([...data], [1, 2, 3]);
  assert.equal(isBinary, true);

  ws.close(1000);
  const [, closeFrame] = await peer.frames.take(2);
  assert.equal(closeFrame.opcode, 8);
  assert.deepEqual([...closeFrame.payload], [0x03, 0xe8]);
  peer.socket.end(encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }));
  const [code] = await once(ws, 'close');
  assert.equal(code, 1000);
});

test('wss:// trusting the fixture through `ca`', async (t) => {
  const server = await tlsServer(t);
  const ws = new WebSocket(`wss://localhost:${server.port}/`, { ca: cert });
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close']);
  ws.on('open', () => ws.terminate());
  await done;
  assert.deepEqual(eventNames(log), ['upgrade', 'open', 'close']);
});

test('https:// address is the same as wss://', async (t) => {
  const server = await tlsServer(t);
  const ws = new WebSocket(`https://127.0.0.1:${server.port}/h`, { ca: cert });
  assert.equal(ws.url, `wss://127.0.0.1:${server.port}/h`);
  await once(ws, 'open');
  ws.terminate();
  await once(ws, 'close');
});

test('untrusted self-signed certificate → TLS error, then close 1006', async (t) => {
  const server = await tlsServer(t);
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/`);
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  assert.equal(log[1][1], 1006);
});

test('servername/hostname mismatch is checked (cert is for localhost, not other.invalid)', async (t) => {
  const server = await tlsServer(t);
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/`, { ca: cert, servername: 'other.invalid' });
  const { log, done } = record(ws, ['open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});
