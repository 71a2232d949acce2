// Helpers for the sockwire feature tests: loopback servers on port 0, raw clients, a frame reader and bounded waits.
import { once } from 'node:events';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const sockwire = require('../../dist/cjs/index.js');
export const { WebSocket, WebSocketServer } = sockwire;

/** Upper bound of any single wait. */
export const WAIT_MS = 5000;

/** Await an event with a bounded wait; resolves with its arguments. */
export function onceEvent(emitter, name, ms = WAIT_MS) {
  return once(emitter, name, { signal: AbortSignal.timeout(ms) });
}

/** Resolve with the arguments of the next `name` event, ignoring 'error' events (unlike `events.once`). */
export function nextEvent(emitter, name, ms = WAIT_MS) {
  return withTimeout(new Promise((resolve) => emitter.once(name, (...args) => resolve(args))), `event ${name}`, ms);
}

/** Race `promise` against a cleared timer. */
export function withTimeout(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Sleep (used only to let a peer stay quiet or busy; never to assert speed). */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A listening server on 127.0.0.1:0, torn down after test `t`. */
export async function startServer(t, options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  t.after(() => stopServer(wss));
  await onceEvent(wss, 'listening');
  return wss;
}

/** Terminate clients and close the server (bounded). */
export async function stopServer(wss) {
  if (wss.clients) for (const ws of wss.clients) ws.terminate();
  await withTimeout(new Promise((resolve) => wss.close(() => resolve())), 'wss.close').catch(() => {});
}

/** A sockwire client, open; terminated after test `t`. */
export async function openClient(t, wss, options = {}, path = '/') {
  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}${path}`, options);
  t.after(() => ws.terminate());
  ws.on('error', () => {});
  await onceEvent(ws, 'open');
  return ws;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * A raw TCP client that completes the upgrade. Resolves `{ socket, rest }` with the socket paused right after the
 * 101 head (`rest` = bytes that followed it). Destroyed after test `t`.
 */
export async function rawUpgrade(t, port, extraHeaders = {}) {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  await onceEvent(socket, 'connect');
  let request = `GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`;
  for (const [name, value] of Object.entries(extraHeaders)) request += `${name}: ${value}\r\n`;
  socket.write(`${request}\r\n`);
  const { head, rest } = await readHead(socket);
  if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${head}`);
  return { socket, head, rest };
}

/** Read until the end of an HTTP response head; pauses the socket afterwards. */
export function readHead(socket) {
  return withTimeout(
    new Promise((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      const onData = (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.pause();
        resolve({ head: buffered.subarray(0, end + 4).toString('latin1'), rest: buffered.subarray(end + 4) });
      };
      const onClose = () => reject(new Error(`closed before a response head: ${buffered.toString('latin1')}`));
      socket.on('data', onData);
      socket.on('close', onClose);
    }),
    'response head',
  );
}

/** Resume `socket` and collect everything until it closes. */
export function readToClose(socket, initial = Buffer.alloc(0)) {
  return withTimeout(
    new Promise((resolve) => {
      const chunks = [initial];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.resume();
    }),
    'raw socket close',
  );
}

/** Split server-to-client (unmasked) frames; returns `{ frames, rest }`. */
export function parseFrames(buffer) {
  const frames = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const first = buffer[offset];
    let length = buffer[offset + 1] & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      start = offset + 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      start = offset + 10;
    }
    if (buffer.length < start + length) break;
    frames.push({
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      opcode: first & 0x0f,
      payload: buffer.subarray(start, start + length),
    });
    offset = start + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/** A client-to-server (masked) frame with a fixed mask. */
export function maskedFrame(opcode, payload) {
  const data = Buffer.from(payload);
  const mask = Buffer.from([1, 2, 3, 4]);
  const header = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length]) : Buffer.from([0x80 | opcode, 0xfe, data.length >> 8, data.length & 0xff]);
  const masked = Buffer.from(data.map((byte, i) => byte ^ mask[i & 3]));
  return Buffer.concat([header, mask, masked]);
}

/** Send an HTTP upgrade request with node:http and resolve with the response status, headers and body. */
export async function httpUpgrade(port, headers = {}) {
  const http = await import('node:http');
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': KEY,
          'Sec-WebSocket-Version': '13',
          ...headers,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode, headers: res.headers, body: '' });
      });
      req.on('response', (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end();
    }),
    'http upgrade',
  );
}
