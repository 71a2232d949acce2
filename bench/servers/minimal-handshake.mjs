// The floor of the handshake row for a server with ws's API: raw-handshake.mjs plus only what that API obliges per
// cycle. A `net` server finds the request head's end, splits it into lines, fills a real `http.IncomingMessage`
// (method, url, version, raw headers, headers read once to find the key, as every ws-API server reads them),
// answers 101 with the SHA-1 accept, and makes one emitter per socket (fast-mode listener table) that the server's
// `'connection'` listener receives with the request. On the client's close frame it answers close and FIN and
// emits `'close'` once the socket closes. No checks: a bound, not a server.
// `node minimal-handshake.mjs [port]` prints one JSON line {impl, port, pid}, as raw-echo.mjs does.
import { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { hash } from 'node:crypto';
import { listenAndReport } from './floor-server.mjs';

const port = Number(process.argv[2] || 0);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CLOSE_1000 = Buffer.from([0x88, 0x02, 0x03, 0xe8]);

/** The ws-shaped socket: an emitter holding its transport. */
class MinimalSocket extends EventEmitter {
  constructor(socket) {
    super();
    this._events = Object.setPrototypeOf({}, null);
    this.socket = socket;
  }
}

/** A request head (complete, latin1) as Node's parser would hand it over. */
function incomingMessage(socket, head) {
  const lines = head.split('\r\n');
  const [method, url, version] = lines[0].split(' ');
  const rawHeaders = [];
  for (let i = 1; i < lines.length && lines[i] !== ''; i++) {
    const colon = lines[i].indexOf(':');
    rawHeaders.push(lines[i].slice(0, colon), lines[i].slice(colon + 1).trim());
  }
  const request = new IncomingMessage(socket);
  request.method = method;
  request.url = url;
  request.httpVersion = version.slice(5);
  request._addHeaderLines(rawHeaders, rawHeaders.length);
  request.complete = true;
  request.push(null);
  return request;
}

function onConnection() {}
function emitClose() {
  this.api.emit('close', 1000, CLOSE_1000.subarray(4));
}

function onData(chunk) {
  if (this.api !== undefined) {
    // The client's masked close frame (or anything after the upgrade): close back and end.
    this.end(CLOSE_1000);
    return;
  }
  this.head = this.head === undefined ? chunk.toString('latin1') : this.head + chunk.toString('latin1');
  if (!this.head.includes('\r\n\r\n')) return;
  const request = incomingMessage(this, this.head);
  this.head = undefined;
  const accept = hash('sha1', request.headers['sec-websocket-key'] + GUID, 'base64');
  this.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  this.api = new MinimalSocket(this);
  this.once('close', emitClose);
  server.emit('websocket', this.api, request);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onData);
  socket.on('error', () => {});
});
server.on('websocket', onConnection);
listenAndReport(server, 'minimal-handshake', port);
