// The floor of the client scenarios: plain `net` sockets doing the same round trips as client-load.mjs against
// bench/wsecho, with no WebSocket library. Each connection sends a minimal upgrade request, then writes one
// pre-built masked binary frame (RFC 6455 §5.2, §5.3: fixed header, fixed masking key) per echo it reads; echoed
// frames are compared byte for byte with the unmasked frame expected back, and counted.
// `node raw-client-load.mjs raw PORT CONNS SIZE DURATION_S WARMUP_S [DEPTH] [SERVER_PID]`; output as client-load.mjs.
import net from 'node:net';
import { createLoad, makePayload, parseLoadArgs } from './load-harness.mjs';

const cfg = parseLoadArgs(process.argv.slice(2));
const payload = makePayload(cfg.size);

/** RFC 6455 §5.2 base header for a final binary frame of `payload`, mask bit set or not. */
function header(length, masked) {
  const bit = masked ? 0x80 : 0;
  if (length < 126) return Buffer.from([0x82, bit | length]);
  if (length < 65536) return Buffer.from([0x82, bit | 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = 0x82;
  h[1] = bit | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const maskedPayload = Buffer.from(payload.map((b, i) => b ^ MASK[i & 3]));
/** What every write sends, and what every echo must be. */
const frame = Buffer.concat([header(cfg.size, true), MASK, maskedPayload]);
const echo = Buffer.concat([header(cfg.size, false), payload]);
const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${cfg.port}\r\nUpgrade: websocket\r\n` +
  'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');

const sockets = [];
const load = createLoad(cfg, {
  sendFirst: () => {
    for (const socket of sockets) for (let d = 0; d < cfg.depth; d++) socket.write(frame);
  },
  closeAll: () => {
    for (const socket of sockets) socket.destroy();
  }
});
const { stats } = load;

// Shared listeners, no closure per socket; `this.at` is how far into the expected echo frame the socket has read.
function onData(chunk) {
  for (let i = 0; i < chunk.length; ) {
    const n = Math.min(chunk.length - i, echo.length - this.at);
    if (chunk.compare(echo, this.at, this.at + n, i, i + n) !== 0) stats.errors++;
    i += n;
    this.at += n;
    if (this.at === echo.length) {
      this.at = 0;
      stats.msgs++;
      if (stats.phase !== 'done') this.write(frame);
    }
  }
}
function onHandshake(chunk) {
  this.head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
  const end = this.head.indexOf('\r\n\r\n');
  if (end < 0) return;
  if (!this.head.subarray(0, 13).equals(Buffer.from('HTTP/1.1 101 '))) stats.errors++;
  const rest = this.head.subarray(end + 4);
  this.head = null;
  this.off('data', onHandshake);
  this.on('data', onData);
  if (rest.length > 0) stats.errors++; // nothing may follow the 101 before we send
  load.opened();
}
function onConnect() {
  this.write(request);
}
function onClose() {
  if (stats.phase !== 'done') stats.errors++;
}
function onError() {
  stats.errors++;
}

for (let i = 0; i < cfg.conns; i++) {
  const socket = net.connect({ port: cfg.port, host: '127.0.0.1', noDelay: true });
  socket.at = 0;
  socket.head = null;
  socket.on('connect', onConnect);
  socket.on('data', onHandshake);
  socket.on('close', onClose);
  socket.on('error', onError);
  sockets.push(socket);
}
