// A client's view of an echo server, shared by the CLI and example tests: open a sockwire client, send one message
// and wait for its echo, and send an upgrade request the server must refuse (status line back).
import net from 'node:net';
import { createRequire } from 'node:module';
import { KEY } from './server-helpers.mjs';

const require = createRequire(import.meta.url);
const { WebSocket } = require('../../dist/cjs/index.js');

/** An open sockwire client of ws://127.0.0.1:`port`/ (permessage-deflate off: exact wire sizes). */
export function openEchoClient(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Send `data` and resolve with the echo as a string. */
export function echoOnce(ws, data) {
  return new Promise((resolve) => {
    ws.once('message', (reply) => resolve(String(reply)));
    ws.send(data);
  });
}

/** An upgrade request with Sec-WebSocket-Version 99, which a server refuses with 400; resolves with the status line. */
export function refusedUpgrade(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 99\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk) => (text += chunk));
    socket.on('close', () => resolve(text.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

/**
 * Upgrade a raw connection, then send an unmasked text frame 'no mask' (a client must mask: RFC 6455 §5.1); resolves
 * with the bytes the server sent after its 101 head, up to the close of the connection.
 */
export function unmaskedFrame(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    let received = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (upgraded || end === -1) return;
      upgraded = true;
      if (!received.subarray(0, end).toString().startsWith('HTTP/1.1 101 ')) reject(new Error(`not upgraded: ${received}`));
      received = received.subarray(end + 4);
      socket.write(Buffer.concat([Buffer.from([0x81, 7]), Buffer.from('no mask')]));
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}
