// A loopback HTTP server for the browser tests: serves a blank same-origin page at `/` and routes WebSocket
// upgrades by path to sockwire WebSocketServers (noServer mode), each with its own options.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The built package under test. */
export const sockwire = require('../../../dist/cjs/index.js');

/** SHA-256 of bytes or a string (as UTF-8), hex. */
export function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>sockwire interop</title><p>sockwire interop page</p>';

/**
 * Start the server. `routes` maps a path to WebSocketServer options (noServer is added); each route's server is
 * returned as `servers[path]`, and every accepted upgrade's raw socket as `sockets[path]` (for byte counts).
 */
export async function startPageServer(routes) {
  const servers = {};
  const sockets = {};
  for (const [path, options] of Object.entries(routes)) {
    servers[path] = new sockwire.WebSocketServer({ ...options, noServer: true });
    sockets[path] = [];
  }
  const http = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(PAGE) });
    res.end(PAGE);
  });
  http.on('upgrade', (req, socket, head) => {
    const path = req.url.split('?')[0];
    const wss = servers[path];
    if (wss === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets[path].push(socket);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', resolve);
  });
  const { port } = http.address();
  return {
    servers,
    sockets,
    pageUrl: `http://127.0.0.1:${port}/`,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path}`,
    async close() {
      for (const wss of Object.values(servers)) {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
      }
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  };
}
