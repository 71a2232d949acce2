// Plain `net` byte echo, the floor for what any Node WebSocket server can do on this machine:
// `node raw-echo.mjs [port]` prints one JSON line {impl, port, pid}. wsload runs with --raw against it.
import { createServer } from 'node:net';

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
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ impl: 'raw', port: server.address().port, pid: process.pid }) + '\n');
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
setTimeout(() => process.exit(3), Number(process.env.BENCH_SERVER_MAX_S || 900) * 1000).unref();
