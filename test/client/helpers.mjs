// Helpers for the client-convenience tests: loopback servers on port 0 (sockwire, raw HTTP, raw TCP), bounded waits,
// an event recorder, and a snapshot of the process's active handles.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const sockwire = require('../../dist/cjs/index.js');
export const { WebSocket, WebSocketServer, ReconnectingWebSocket, WebSocketStream, WebSocketError } = sockwire;

/** Upper bound of any single wait. */
export const WAIT_MS = 8000;

/** Short reconnect delays so the suite stays fast (the code's own lower bounds are asserted, never speed). */
export const FAST = { minDelay: 20, maxDelay: 160, factor: 2, minUptime: 10000 };

/** Race `promise` against a cleared timer. */
export function withTimeout(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Arguments of the next `name` event (bounded). */
export function nextEvent(emitter, name, ms = WAIT_MS) {
  return withTimeout(new Promise((resolve) => emitter.once(name, (...args) => resolve(args))), `event ${name}`, ms);
}

/** Resolve when `predicate()` holds, checked after each `name` event (bounded). */
export function until(emitter, name, predicate, ms = WAIT_MS) {
  return withTimeout(
    new Promise((resolve) => {
      if (predicate()) return resolve();
      const check = () => {
        if (!predicate()) return;
        emitter.removeListener(name, check);
        resolve();
      };
      emitter.on(name, check);
    }),
    `${name} until predicate`,
    ms
  );
}

/** Resolve once `predicate()` holds, checking every few ms (bounded); for state no event announces. */
export function poll(predicate, label, ms = WAIT_MS) {
  return withTimeout(
    new Promise((resolve) => {
      const check = () => (predicate() ? resolve() : setTimeout(check, 2));
      check();
    }),
    label,
    ms
  );
}

/** Sleep; used only to give the code a chance to do something it must not do. */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sockwire server on 127.0.0.1:0, closed after test `t`. */
export async function startServer(t, options = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  t.after(() => stopServer(wss));
  await once(wss, 'listening');
  return wss;
}

/** Terminate the server's clients and close it. */
export async function stopServer(wss) {
  for (const ws of wss.clients) ws.terminate();
  await withTimeout(new Promise((resolve) => wss.close(() => resolve())), 'wss.close').catch(() => {});
}

/** A plain HTTP server whose every request gets `respond(req, res)`; closed after test `t`. */
export async function startHttpServer(t, respond) {
  // Without an 'upgrade' listener Node hands upgrade requests to the request handler.
  const server = http.createServer(respond);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => closeServer(server));
  return server;
}

/** Close a net/http server and every connection it holds. */
export function closeServer(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A free loopback port nobody listens on (bound once, then released). */
export async function unusedPort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await closeServer(server);
  return port;
}

/** Record the listed events of `emitter` as [name, ...args] with a ms timestamp relative to `start`. */
export function record(emitter, names, start = performance.now()) {
  const log = [];
  for (const name of names) emitter.on(name, (...args) => log.push({ name, at: performance.now() - start, args }));
  return log;
}

/** Counts of the process's active resources by type (timers, sockets, servers). */
export function activeResources() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Close `rws` for good and wait until its socket (if any) reported 'close'. */
export async function closeFully(rws) {
  const socket = rws.socket;
  rws.close();
  if (socket !== null && socket.readyState !== WebSocket.CLOSED) await nextEvent(socket, 'close');
}
