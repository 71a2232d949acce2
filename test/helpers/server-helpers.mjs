// Shared helpers for the WebSocketServer API tests: raw HTTP/TCP clients on loopback, frame builders and
// bounded waits. Everything here is test-only and talks to 127.0.0.1 on port 0.
import { once } from 'node:events';
import net from 'node:net';
import { after } from 'node:test';

import { buildFrame } from './frame-bytes.mjs';
import { WebSocketServer } from './impl.mjs';

/** The sample key from RFC 6455 §1.3 and its accept value. */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
/** The exact 101 response head a server sends for {@link KEY} with no subprotocol or extension (RFC 6455 §4.2.2). */
export const SUCCESS_HEAD = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`;

/** Upper bound for any single wait in these tests. */
export const WAIT_MS = 4000;

/** Await one event with a bounded wait; resolves with the event's argument array. */
export function onceEvent(emitter, name, ms = WAIT_MS) {
  return once(emitter, name, { signal: AbortSignal.timeout(ms) });
}

/** Race a promise against a bounded timer (cleared afterwards so the process can exit). */
export function withTimeout(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/**
 * Build a raw upgrade request. `headers` overrides or adds lines (value `null` drops a default one).
 * Default lines: Host, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version.
 */
export function upgradeRequest({ method = 'GET', path = '/', headers = {} } = {}) {
  const lines = {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(lines)) {
    if (value !== null) text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}

/** The exact bytes of a handshake rejection as SPEC §3 describes them. */
export function rejection(status, statusText, body, extraLines = []) {
  const extra = extraLines.map((line) => `${line}\r\n`).join('');
  return (
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/html\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
  );
}

/** Raw client sockets still open; destroyed by `stopServer` so a failed test cannot keep a server alive. */
const openSockets = new Set();

/** Destroy every raw client socket this module opened. */
export function destroyRawSockets() {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
}

/**
 * Make a leak fail loudly instead of hanging the run: once all tests of the file are done, the process gets a
 * bounded grace period (unref'd, so a clean exit is not delayed) and then exits with a failure.
 */
export function exitGuard() {
  after(() => {
    setTimeout(() => {
      process.stderr.write('server tests: handles still open after all tests; forcing exit\n');
      process.exit(1);
    }, WAIT_MS).unref();
  });
}

/** Connect a raw TCP client to 127.0.0.1:port. */
export async function connectRaw(port, host = '127.0.0.1') {
  const socket = net.connect(port, host);
  openSockets.add(socket);
  socket.on('close', () => openSockets.delete(socket));
  await onceEvent(socket, 'connect');
  return socket;
}

/**
 * Write `data` on a fresh raw connection and collect every byte until the server closes it.
 * Returns the whole response as a latin1 string.
 */
export async function sendRaw(port, data) {
  const socket = await connectRaw(port);
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = onceEvent(socket, 'close');
  socket.write(data);
  try {
    await closed;
  } finally {
    socket.destroy();
  }
  return Buffer.concat(chunks).toString('latin1');
}

/**
 * Write `data` on a fresh raw connection and read until the end of the HTTP response head.
 * Returns `{ socket, head, rest }`; the socket stays open and owned by the caller.
 */
export async function openRaw(port, data) {
  const socket = await connectRaw(port);
  socket.on('error', () => {});
  socket.write(data);
  const { head, rest } = await readHead(socket);
  return { socket, head, rest };
}

/** Read from `socket` until "\r\n\r\n"; returns the head (latin1) and any bytes after it. */
export function readHead(socket, ms = WAIT_MS) {
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
      const onClose = () => reject(new Error(`closed before response head: ${buffered.toString('latin1')}`));
      socket.on('data', onData);
      socket.on('close', onClose);
    }),
    'response head',
    ms,
  );
}

/** Read `socket` (starting with `initial`) until it closes; returns all bytes. */
export function readToClose(socket, initial = Buffer.alloc(0), ms = WAIT_MS) {
  return withTimeout(
    new Promise((resolve) => {
      const chunks = [initial];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.resume();
    }),
    'socket close',
    ms,
  );
}

const FIXED_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A client-to-server (masked, RFC 6455 §5.3) frame. */
export function maskedFrame(opcode, payload, fin = true) {
  return buildFrame({ opcode, fin, payload: Buffer.from(payload), key: FIXED_MASK });
}

/** A masked close frame carrying `code` and `reason`. */
export function maskedClose(code, reason = '') {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return maskedFrame(0x8, payload);
}

/**
 * Start a server in `port` mode on 127.0.0.1:0 and wait for 'listening'. The server is stopped after test `t`
 * (also when it fails); stopping twice is harmless.
 */
export async function startServer(t, options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  t.after(() => stopServer(wss));
  await onceEvent(wss, 'listening');
  return wss;
}

const stopped = new WeakSet();

/** Destroy raw sockets, terminate tracked clients and close the server; waits for the close callback once. */
export async function stopServer(wss) {
  destroyRawSockets();
  if (wss.clients) for (const ws of wss.clients) ws.terminate();
  if (stopped.has(wss)) return;
  stopped.add(wss);
  await withTimeout(new Promise((resolve) => wss.close(() => resolve())), 'wss.close');
}

/** Create an http(s) server listening on 127.0.0.1:0, closed after test `t`. */
export async function startHttp(t, server) {
  t.after(() => stopHttp(server));
  server.listen(0, '127.0.0.1');
  await onceEvent(server, 'listening');
  return server;
}

/** Close a Node http/net server, destroying any leftover connections first. */
export async function stopHttp(server) {
  destroyRawSockets();
  if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
  if (!server.listening) return;
  await withTimeout(new Promise((resolve) => server.close(() => resolve())), 'server.close');
}
