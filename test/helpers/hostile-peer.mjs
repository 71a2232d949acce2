// A raw, evil WebSocket peer for the hostile-input tests: a frame builder that can lie about anything, a raw TCP
// client that performs the upgrade by hand, a parser for what the server sends back, a seeded PRNG and small
// memory probes. Everything talks to 127.0.0.1 on port 0 and every wait is bounded.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import { buildFrame, parseFrames } from './frame-bytes.mjs';
import { xorshift32 } from './xorshift.mjs';

const require = createRequire(import.meta.url);

/** The implementation under test and the reference. */
// SOCKWIRE_HOSTILE_DIST lets a run pin a snapshot of the build while others rebuild dist/ (development only).
const ENTRY = process.env.SOCKWIRE_HOSTILE_DIST ?? '../../dist/cjs/index.js';
export const sockwire = require(ENTRY);
/** A module of the built package by its path under dist/cjs (e.g. 'core/message-reader.js'). */
export function requireDist(path) {
  return require(ENTRY.replace(/index\.js$/, path));
}
export const ws = require('ws');
/** Frames out of a byte stream, payloads unmasked; `{ frames, rest }` (see frame-bytes.mjs). */
export { parseFrames };

/**
 * Where `startServer` reads upgrade heads: 'port' (sockwire's own parser, port mode) or 'server' (Node's parser, on
 * an http.Server of the test's). `npm run test:hostile:server-mode` runs the whole suite the second way.
 */
export const SERVER_MODE = process.env.SOCKWIRE_HOSTILE_SERVER_MODE === 'server' ? 'server' : 'port';
export const SERVER_MODES = ['port', 'server'];

/** Upper bound for any single wait in the hostile suite. */
export const WAIT_MS = 5000;
export const KiB = 1024;
export const MiB = 1024 * 1024;
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const FIXED_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** Deterministic PRNG (xorshift32 with a splitmix-style seed scramble): same seed, same run. */
export function seeded(seed) {
  const next = xorshift32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b));
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    bool: (p = 0.5) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    bytes: (n) => {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = (next() * 256) | 0;
      return out;
    }
  };
}

/**
 * Build one frame (RFC 6455 §5.2) with every field under the caller's control.
 * `length` overrides the declared payload length (a lie); `lengthForm` forces 7/16/64-bit encoding.
 */
export function frame({ opcode = 0x1, fin = true, rsv = 0, mask = true, key = FIXED_MASK, payload = Buffer.alloc(0), length, lengthForm } = {}) {
  return buildFrame({ opcode: opcode & 0x0f, fin, rsv: rsv & 7, key: mask ? Buffer.from(key) : null, payload, length, lengthForm });
}

/** A close payload: 2-byte code plus reason. */
export function closePayload(code, reason = '') {
  const r = Buffer.isBuffer(reason) ? reason : Buffer.from(reason);
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

/** A raw upgrade request; `headers` adds or overrides lines, `null` drops one. */
export function upgradeRequest({ method = 'GET', path = '/', version = 'HTTP/1.1', headers = {}, extraLines = [] } = {}) {
  const lines = { Host: '127.0.0.1', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13', ...headers };
  let text = `${method} ${path} ${version}\r\n`;
  for (const [name, value] of Object.entries(lines)) if (value !== null) text += `${name}: ${value}\r\n`;
  for (const line of extraLines) text += `${line}\r\n`;
  return `${text}\r\n`;
}

/** The expected Sec-WebSocket-Accept of a key (RFC 6455 §4.2.2). */
export function acceptOf(key) {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Race a promise against a bounded timer (cleared afterwards). */
export function bounded(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Resolve on the next macrotask (lets socket I/O run). */
export const tick = () => new Promise((resolve) => setImmediate(resolve));
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Start a server of `lib` (sockwire or ws) on 127.0.0.1:0. Records every accepted socket's events as strings.
 * `errorListener` false leaves the app without an 'error' listener (ws would throw, so only use it with sockwire).
 */
export async function startServer(lib, options = {}, { errorListener = true, onConnection, mode = SERVER_MODE } = {}) {
  let httpServer = null;
  let wss;
  if (mode === 'server') {
    httpServer = http.createServer();
    wss = new lib.WebSocketServer({ server: httpServer, ...options });
    httpServer.listen(0, '127.0.0.1');
  } else {
    wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  }
  await bounded(new Promise((resolve) => (httpServer ?? wss).once('listening', resolve)), 'listening');
  const peers = [];
  wss.on('connection', (socket, req) => {
    const record = { socket, events: [], closes: 0, closed: null, messages: [] };
    record.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        record.closes++;
        record.events.push(`close:${code}`);
        record.reason = reason;
        resolve(code);
      });
    });
    if (errorListener) socket.on('error', (err) => record.events.push(`error:${err.code}`));
    socket.on('message', (data, isBinary) => {
      record.messages.push({ data, isBinary });
      record.events.push(`message:${isBinary ? 'binary' : 'text'}:${messageLength(data)}`);
    });
    peers.push(record);
    if (onConnection) onConnection(socket, req, record);
  });
  const port = (httpServer ?? wss).address().port;
  const stop = async () => {
    for (const p of peers) p.socket.terminate();
    // Raw peers still open (e.g. after a failed assertion) would keep the HTTP server from closing.
    for (const socket of rawSockets) socket.destroy();
    await bounded(new Promise((resolve) => wss.close(() => resolve())), 'server close');
    if (httpServer !== null) {
      httpServer.closeAllConnections();
      await bounded(new Promise((resolve) => httpServer.close(() => resolve())), 'http server close');
    }
  };
  return { wss, port, peers, stop };
}

function messageLength(data) {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

/**
 * A raw client: TCP connect, hand-written upgrade, then collect everything the server sends.
 * `peer.closeCode()` is the code of the first close frame received (1005 for an empty one, null if none).
 */
const rawSockets = new Set();

export async function rawClient(port, { request = upgradeRequest(), expectUpgrade = true, host = '127.0.0.1' } = {}) {
  const socket = net.connect(port, host);
  rawSockets.add(socket);
  socket.once('close', () => rawSockets.delete(socket));
  socket.on('error', () => {});
  await bounded(new Promise((resolve) => socket.once('connect', resolve)), 'raw connect');
  const peer = { socket, head: '', status: 0, chunks: [], bytes: 0, ended: false, closed: false };
  let headDone = false;
  let pending = Buffer.alloc(0);
  let resolveHead;
  const headSeen = new Promise((resolve) => (resolveHead = resolve));
  peer.done = new Promise((resolve) => socket.once('close', () => {
    peer.closed = true;
    resolveHead();
    resolve();
  }));
  socket.on('end', () => (peer.ended = true));
  socket.on('data', (chunk) => {
    peer.bytes += chunk.length;
    if (headDone) {
      peer.chunks.push(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const end = pending.indexOf('\r\n\r\n');
    if (end === -1) return;
    headDone = true;
    peer.head = pending.subarray(0, end + 4).toString('latin1');
    peer.status = Number(peer.head.split(' ')[1]);
    const rest = pending.subarray(end + 4);
    if (rest.length > 0) peer.chunks.push(rest);
    resolveHead();
  });
  socket.write(request);
  if (expectUpgrade) {
    await bounded(headSeen, 'upgrade response');
    if (peer.status !== 101) throw new Error(`upgrade refused: ${peer.head.split('\r\n')[0]}`);
  }
  peer.headSeen = headSeen;
  peer.received = () => parseFrames(Buffer.concat(peer.chunks));
  peer.closeFrame = () => peer.received().frames.find((f) => f.opcode === 0x8) ?? null;
  peer.closeCode = () => {
    const close = peer.closeFrame();
    if (close === null) return null;
    return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
  };
  /** Wait for the server to close the TCP connection (bounded). */
  peer.waitClosed = (ms = WAIT_MS) => bounded(peer.done, 'server closes the connection', ms);
  return peer;
}

/** Write bytes to a socket in pieces of `size` bytes, awaiting drain (bounded by the byte count). */
export async function writeChunked(socket, bytes, size) {
  for (let at = 0; at < bytes.length && !socket.destroyed; at += size) {
    if (!socket.write(bytes.subarray(at, at + size))) {
      await bounded(new Promise((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      }), 'drain');
    }
  }
}

/**
 * Drive one hostile byte stream into a fresh connection of a fresh `lib` server and report what happened:
 * the close code on the wire, the server-side events, and whether the server ended TCP.
 */
export async function hostileSession(lib, bytes, { serverOptions = {}, errorListener = true, chunk = 0, clientClose = false } = {}) {
  const server = await startServer(lib, serverOptions, { errorListener });
  try {
    const peer = await rawClient(server.port);
    if (chunk > 0) await writeChunked(peer.socket, bytes, chunk);
    else peer.socket.write(bytes);
    if (clientClose) peer.socket.end();
    await peer.waitClosed();
    const record = server.peers[0];
    await bounded(record.closed, 'server-side close event');
    await tick();
    return { wireCode: peer.closeCode(), events: record.events, closes: record.closes, record, peer };
  } finally {
    await server.stop();
  }
}

/** Force a full GC when exposed (`--expose-gc`), else do nothing; returns whether it ran. */
export function collect() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    return true;
  }
  return false;
}

/** Run `fn` while sampling RSS every few ms; returns `{ result, rssGrowth, heapGrowth }` (peak over start). */
export async function measurePeak(fn) {
  collect();
  const start = process.memoryUsage();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await fn();
    sample();
    return { result, rssGrowth: peakRss - start.rss, heapGrowth: peakHeap - start.heapUsed };
  } finally {
    clearInterval(timer);
  }
}

/** Count this process's open file descriptors (Linux), or -1 when unknown. */
export async function openFds() {
  try {
    const { readdirSync } = await import('node:fs');
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}
