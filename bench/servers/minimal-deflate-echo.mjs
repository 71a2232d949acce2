// The floor of the permessage-deflate echo rows: the least a server must do per compressed message with context
// takeover, which is zlib's own work. Per connection one raw inflate and one raw deflate stream (window bits 15,
// zlib's defaults, `flush: Z_SYNC_FLUSH` so one write per message), kept for the connection's life as ws keeps them.
// Each whole frame is unmasked, inflated with the 00 00 ff ff trailer put back (RFC 7692 §7.2.2), compressed again,
// its trailer dropped (§7.2.1) and written with a server header, one message at a time per connection. No checks at
// all (no UTF-8, no control frames, no fragments, no limits, no zlib job limiter): only a bound for benchmarks.
// `node minimal-deflate-echo.mjs [port]` prints one JSON line {impl, port, pid}, as raw-echo.mjs does.
import { createServer } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { answerUpgrade } from './bare-upgrade.mjs';
import { listenAndReport } from './floor-server.mjs';

const port = Number(process.argv[2] || 0);
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const ZLIB = { flush: constants.Z_SYNC_FLUSH, windowBits: 15 };

/** Write `data` to a kept zlib stream and call back with everything it produced for that write. */
function through(stream, data, callback) {
  const chunks = [];
  const collect = (chunk) => chunks.push(chunk);
  stream.on('data', collect);
  stream.write(data, () => {
    stream.off('data', collect);
    callback(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
}

/** The header of an unmasked server frame: FIN, RSV1 (compressed), `opcode`, the payload length. */
function header(opcode, length) {
  if (length < 126) return Buffer.from([0xc0 | opcode, length]);
  if (length < 65536) return Buffer.from([0xc0 | opcode, 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = 0xc0 | opcode;
  h[1] = 127;
  h.writeUIntBE(length, 4, 6);
  return h;
}

/** One connection after its 101: frames are parsed from `pending`, and messages are echoed one at a time. */
class Connection {
  constructor(socket) {
    this.socket = socket;
    this.pending = Buffer.alloc(0);
    this.busy = false;
    this.inflate = createInflateRaw(ZLIB);
    this.deflate = createDeflateRaw(ZLIB);
    socket.on('close', () => {
      this.inflate.close();
      this.deflate.close();
    });
  }

  feed(chunk) {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (!this.busy) this.next();
  }

  /** Take the next whole frame off `pending` and echo it; come back when its echo is written. */
  next() {
    const data = this.pending;
    if (data.length < 6) return;
    let length = data[1] & 0x7f;
    let at = 2;
    if (length === 126) {
      if (data.length < 8) return;
      length = data.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (data.length < 14) return;
      length = data.readUIntBE(4, 6);
      at = 10;
    }
    if (data.length < at + 4 + length) return;
    const mask = data.subarray(at, at + 4);
    const payload = Buffer.allocUnsafe(length + TRAILER.length);
    for (let i = 0; i < length; i++) payload[i] = data[at + 4 + i] ^ mask[i & 3];
    TRAILER.copy(payload, length);
    const opcode = data[0] & 0x0f;
    this.pending = data.subarray(at + 4 + length);
    this.busy = true;
    through(this.inflate, payload, (plain) => {
      through(this.deflate, plain, (compressed) => {
        const body = compressed.subarray(0, compressed.length - TRAILER.length);
        this.socket.cork();
        this.socket.write(header(opcode, body.length));
        this.socket.write(body);
        this.socket.uncork();
        this.busy = false;
        this.next();
      });
    });
  }
}

function onHandshake(chunk) {
  if (!answerUpgrade(this, chunk, 'Sec-WebSocket-Extensions: permessage-deflate\r\n')) return;
  const connection = new Connection(this);
  this.off('data', onHandshake);
  this.on('data', (frames) => connection.feed(frames));
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onHandshake);
  socket.on('error', () => {});
});
listenAndReport(server, 'minimal-deflate', port);
