// HTTP/2 test servers on loopback: node:http2 servers (TLS with the committed test CA's certificate, or h2c) with a
// sockwire WebSocketServer attached, plus a bounded way to close everything. Local files and 127.0.0.1 only.
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The built package under test. */
export const sockwire = require('../../dist/cjs/index.js');

const dir = fileURLToPath(new URL('../fixtures/h2/', import.meta.url));
/** The test CA (trust it with `ca:`). */
export const ca = readFileSync(dir + 'ca.pem');
/** Server certificate for localhost / 127.0.0.1 / ::1, signed by {@link ca}. */
export const cert = readFileSync(dir + 'cert.pem');
/** Its private key. */
export const key = readFileSync(dir + 'key.pem');

/** Client options that trust the test CA and ask for HTTP/2 (`wss:`) or h2c (`ws:`). */
export function clientOptions(secure, extra = {}) {
  return secure ? { http2: true, ca, ...extra } : { http2: 'prior-knowledge', ...extra };
}

/**
 * Start an HTTP/2 server (`secure`: TLS + ALPN, `allowHTTP1` on; else h2c) on 127.0.0.1:0 with a sockwire
 * WebSocketServer in `server` mode. Every session is counted (`sessions`) and kept for `close()`.
 */
export async function startH2({ secure = true, wss: wssOptions = {}, server: serverOptions = {}, onRequest } = {}) {
  const server = secure
    ? http2.createSecureServer({ key, cert, allowHTTP1: true, ...serverOptions })
    : http2.createServer(serverOptions);
  if (onRequest) server.on('request', onRequest);
  const sessions = new Set();
  let sessionCount = 0;
  server.on('session', (session) => {
    sessionCount++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  /** The TCP sockets under the sessions (to cut a connection abruptly). */
  const tcpSockets = new Set();
  server.on('connection', (socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
  });
  const wss = new sockwire.WebSocketServer({ server, ...wssOptions });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const scheme = secure ? 'wss' : 'ws';
  return {
    server,
    wss,
    port,
    sessions,
    tcpSockets,
    get sessionCount() {
      return sessionCount;
    },
    url: (path = '/') => `${scheme}://127.0.0.1:${port}${path}`,
    origin: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    async close() {
      for (const ws of wss.clients ?? []) ws.terminate();
      wss.close();
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  };
}

/** Resolve with the first `'connection'` (ws, req) of `wss`. */
export function nextConnection(wss) {
  return once(wss, 'connection', { signal: AbortSignal.timeout(8000) });
}

/** Open a client, resolve once it is open (reject on error/close first). */
export function openClient(url, options, protocols) {
  const ws = protocols === undefined ? new sockwire.WebSocket(url, options) : new sockwire.WebSocket(url, protocols, options);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out opening ${url}`)), 8000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resolve with [code, reason-string] of the socket's 'close' ('error' events do not reject it). */
export function closed(ws, ms = 8000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for close')), ms);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve([code, reason.toString()]);
    });
  });
}

/** Resolve with the next message [data, isBinary]. */
export function nextMessage(ws, ms = 8000) {
  return once(ws, 'message', { signal: AbortSignal.timeout(ms) });
}
