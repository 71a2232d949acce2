// Helpers for the sockwire feature tests: loopback servers on port 0, raw clients, a frame reader and bounded waits.
import { once } from 'node:events';
import net from 'node:net';
import { createRequire } from 'node:module';
import { buildFrame, parseFrames as splitFrames } from '../helpers/frame-bytes.mjs';
import {
  KEY,
  readHead as readHeadWithin,
  readToClose as readToCloseWithin,
  upgradeRequest,
  withTimeout as raceTimeout
} from '../helpers/server-helpers.mjs';

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
  return raceTimeout(promise, label, ms);
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

/**
 * A raw TCP client that completes the upgrade. Resolves `{ socket, rest }` with the socket paused right after the
 * 101 head (`rest` = bytes that followed it). Destroyed after test `t`.
 */
export async function rawUpgrade(t, port, extraHeaders = {}) {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  await onceEvent(socket, 'connect');
  socket.write(upgradeRequest({ headers: extraHeaders }));
  const { head, rest } = await readHead(socket);
  if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${head}`);
  return { socket, head, rest };
}

/** Read until the end of an HTTP response head; pauses the socket afterwards. */
export function readHead(socket) {
  return readHeadWithin(socket, WAIT_MS);
}

/** Resume `socket` and collect everything until it closes. */
export function readToClose(socket, initial = Buffer.alloc(0)) {
  return readToCloseWithin(socket, initial, WAIT_MS);
}

/** Split server-to-client (unmasked) frames; returns `{ frames, rest }`, each frame `{ fin, rsv1, opcode, payload }`. */
export function parseFrames(buffer) {
  const { frames, rest } = splitFrames(buffer);
  return { frames: frames.map(({ fin, rsv, opcode, payload }) => ({ fin, rsv1: (rsv & 4) !== 0, opcode, payload })), rest };
}

/** A client-to-server (masked) frame with a fixed mask. */
export function maskedFrame(opcode, payload) {
  return buildFrame({ opcode, payload: Buffer.from(payload), key: Buffer.from([1, 2, 3, 4]) });
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

/** Read raw frames from a paused raw socket until `count` frames arrived. */
export function rawFrames(socket, initial, count) {
  return withTimeout(
    new Promise((resolve) => {
      let buffer = initial;
      const check = () => {
        const { frames } = parseFrames(buffer);
        if (frames.length >= count) {
          socket.off('data', onData);
          socket.pause();
          resolve(frames);
        }
      };
      const onData = (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        check();
      };
      socket.on('data', onData);
      socket.resume();
      check();
    }),
    'raw frames',
  );
}
