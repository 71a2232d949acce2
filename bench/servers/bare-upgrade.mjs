// The bare upgrade answer the floor servers share (raw-handshake.mjs, minimal-echo.mjs, minimal-deflate-echo.mjs):
// collect the request head, find the Sec-WebSocket-Key, answer 101 with the SHA-1 accept. No other checks, so
// only a bound for benchmarks.
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY_FIELD = /\r\nsec-websocket-key:[ \t]*([^\r\n]+?)[ \t]*\r\n/i;

/**
 * Feed one chunk of `socket`'s request head (kept on `socket.head` until complete). Returns true once the 101 is
 * written; false while the head is incomplete or after answering 400 to a head without a key. `extraFields` (each
 * line ending in CRLF) go into the 101 as they are.
 */
export function answerUpgrade(socket, chunk, extraFields = '') {
  socket.head = socket.head === undefined ? chunk.toString('latin1') : socket.head + chunk.toString('latin1');
  if (!socket.head.includes('\r\n\r\n')) return false;
  const key = KEY_FIELD.exec(socket.head)?.[1];
  socket.head = undefined;
  if (key === undefined) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return false;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extraFields}\r\n`);
  return true;
}
