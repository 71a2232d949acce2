// The committed self-signed certificate for wss:// tests (see test/fixtures/tls/README.md). Local files only.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

/** PEM certificate for localhost / 127.0.0.1 / ::1. */
export const cert = readFileSync(dir + 'cert.pem');
/** PEM private key matching `cert`. */
export const key = readFileSync(dir + 'key.pem');

/**
 * Starts an https server on 127.0.0.1:0 using the fixture certificate. `onUpgrade(req, socket, head)` handles
 * upgrade requests; `onRequest(req, res)` plain ones. Returns `{ server, port, close() }`.
 */
export async function startHttpsServer({ onUpgrade, onRequest } = {}) {
  const server = createServer({ cert, key }, onRequest ?? ((req, res) => res.writeHead(404).end()));
  const sockets = new Set();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  if (onUpgrade) server.on('upgrade', onUpgrade);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    server,
    port: server.address().port,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    }
  };
}
