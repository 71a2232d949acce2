// Plain `net` byte echo, the floor for what any Node WebSocket server can do on this machine:
// `node raw-echo.mjs [port]` prints one JSON line {impl, port, pid}. wsload runs with --raw against it.
import { createServer } from 'node:net';
import { listenAndReport } from './floor-server.mjs';

const port = Number(process.argv[2] || 0);

/** Shared listener: write back every chunk as it arrives. */
function onData(chunk) {
  this.write(chunk);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onData);
  socket.on('error', () => {});
  socket.on('end', () => socket.end());
});
listenAndReport(server, 'raw', port);
