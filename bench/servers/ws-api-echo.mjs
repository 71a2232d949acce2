// Echo server on the ws API, shared by the ws, ws + addons and sockwire peers:
// `node ws-api-echo.mjs IMPL [port]` prints one JSON line {impl, port, pid} once listening.
// Every message is sent back with the same type; nothing else is done, so the server's own cost is measured.
import { loadImpl } from './impls.mjs';

const impl = process.argv[2];
const port = Number(process.argv[3] || 0);
const { WebSocketServer } = loadImpl(impl);

/** Shared listener: no closure per connection, identical for every peer. */
function onConnection(ws) {
  ws.on('message', function echo(data, isBinary) {
    this.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
}

const wss = new WebSocketServer({ port, host: '127.0.0.1' }, () => {
  process.stdout.write(JSON.stringify({ impl, port: wss.address().port, pid: process.pid }) + '\n');
});
wss.on('connection', onConnection);
wss.on('error', (err) => {
  process.stderr.write(`${impl} server error: ${err.message}\n`);
  process.exit(1);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
// A benchmark server must never outlive its run, whatever happens to the parent.
setTimeout(() => process.exit(3), Number(process.env.BENCH_SERVER_MAX_S || 900) * 1000).unref();
