// A hand-driven WebSocket peer for client tests: a plain TCP server on 127.0.0.1:0 that reads the HTTP upgrade
// request, writes whatever response the test crafts, and then exchanges raw frames. Nothing here uses the library
// under test, so every byte the client sends or receives is visible to the test.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { buildFrame, frameLength, parseFrames } from './frame-bytes.mjs';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §4.2.2: the Sec-WebSocket-Accept value for a request key. */
export function acceptKey(key) {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/**
 * Starts a TCP server on 127.0.0.1 port 0 (or on the Unix socket `path`). `onSocket(socket)` runs for every
 * connection. Every accepted socket is tracked so `close()` can destroy them and let the process exit.
 */
export async function startRawServer(onSocket, { path } = {}) {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    if (path) server.listen(path, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  const port = path ? undefined : server.address().port;
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}`,
    sockets,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    }
  };
}

/**
 * Reads one HTTP request head from `socket`. Resolves with the request line, lower-cased headers (repeated headers
 * joined with ', '), the raw head text and any bytes that arrived after the blank line.
 */
export function readRequest(socket) {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buffered.length > 65536) reject(new Error('request head too large'));
        return;
      }
      socket.off('data', onData);
      socket.off('close', onClose);
      // Paused until a FrameReader (or the test) attaches, so no byte is lost in between.
      socket.pause();
      const raw = buffered.subarray(0, end).toString('latin1');
      const rest = buffered.subarray(end + 4);
      const [requestLine, ...lines] = raw.split('\r\n');
      const headers = {};
      const rawHeaders = [];
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        rawHeaders.push([name, value]);
        const key = name.toLowerCase();
        headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
      }
      const [method, path] = requestLine.split(' ');
      // Put the surplus back so later readers (frame parsers) see it first.
      if (rest.length > 0) socket.unshift(rest);
      resolve({ requestLine, method, path, headers, rawHeaders, raw });
    };
    const onClose = () => reject(new Error('socket closed before the request head ended'));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** Writes a correct 101 response for `request`, with extra header lines (strings "Name: value") appended. */
export function writeSwitching(socket, request, extraLines = []) {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(request.headers['sec-websocket-key'])}`,
    ...extraLines
  ];
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * Starts a raw server that completes the handshake for every connection, then calls `onOpen(peer)` where `peer`
 * is `{ socket, request, frames }` and `frames` is a FrameReader over the client's bytes.
 */
export async function startAcceptingServer(onOpen, extraLines = () => [], listen = {}) {
  return startRawServer(async (socket) => {
    let request;
    try {
      request = await readRequest(socket);
    } catch {
      return;
    }
    writeSwitching(socket, request, extraLines(request));
    onOpen({ socket, request, frames: new FrameReader(socket) });
  }, listen);
}

/**
 * Encodes one frame as a server would (unmasked unless `mask` is a 4-byte Buffer). `opcode` is a number; `payload`
 * a Buffer or string; `rsv` a 3-bit number placed in bits 6..4 of the first byte.
 */
export function encodeFrame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0), mask, length }) {
  return buildFrame({ fin, rsv, opcode, payload, key: mask || null, length });
}

/** A close frame payload: 2-byte code followed by the reason. */
export function closePayload(code, reason = '') {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/**
 * Collects frames the client sends on `socket`. Each frame is `{ fin, rsv, opcode, masked, maskKey, payload, raw }`
 * where `payload` is unmasked and `raw` holds the exact bytes on the wire.
 */
export class FrameReader {
  constructor(socket) {
    // Chunks wait until the frame at their head can be complete: joining every chunk onto the unparsed rest
    // copied a 16 MiB frame's bytes hundreds of times, which took seconds on a busy machine.
    this.chunks = [];
    this.length = 0;
    this.needed = 2;
    this.frames = [];
    this.waiters = [];
    this.ended = false;
    socket.on('data', (chunk) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      if (this.length >= this.needed) this.parse();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.resume();
  }

  parse() {
    const { frames, rest } = parseFrames(Buffer.concat(this.chunks, this.length));
    for (const { fin, rsv, opcode, masked, key, payload, raw } of frames) {
      this.frames.push({ fin, rsv, opcode, masked, maskKey: key && Buffer.from(key), payload, raw: Buffer.from(raw) });
    }
    this.chunks = rest.length === 0 ? [] : [rest];
    this.length = rest.length;
    this.needed = frameLength(rest) ?? rest.length + 1;
    if (frames.length > 0) this.wake();
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves with the first `count` frames once they have arrived; rejects after `ms` or if the socket closes. */
  async take(count, ms = 2000) {
    const deadline = Date.now() + ms;
    while (this.frames.length < count) {
      if (this.ended) throw new Error(`socket closed with ${this.frames.length}/${count} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.frames.length}/${count} frames`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.slice(0, count);
  }

  /** Resolves once the socket has closed (rejects after `ms`). */
  async waitEnd(ms = 2000) {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the socket to close');
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
