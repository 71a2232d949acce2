// The floor of the handshake row: the least a Node server can do per WebSocket handshake + close cycle, on a plain
// `net` server with no HTTP parser and no WebSocket library. It finds the request head's end and the
// Sec-WebSocket-Key, answers 101 with the SHA-1 accept, and answers the client's close frame with a close frame and
// a FIN. It checks nothing else, so it is a bound, not a server: `node raw-handshake.mjs [port]` prints one JSON
// line {impl, port, pid}, as raw-echo.mjs does.
import { createServer } from 'node:net';
import { answerUpgrade } from './bare-upgrade.mjs';
import { listenAndReport } from './floor-server.mjs';

const port = Number(process.argv[2] || 0);
const CLOSE_1000 = Buffer.from([0x88, 0x02, 0x03, 0xe8]);

function onData(chunk) {
  if (this.upgraded) {
    // The client's masked close frame (or anything after the upgrade): close back and end.
    this.end(CLOSE_1000);
    return;
  }
  if (answerUpgrade(this, chunk)) this.upgraded = true;
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onData);
  socket.on('error', () => {});
});
listenAndReport(server, 'raw', port);
