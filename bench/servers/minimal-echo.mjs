// The floor of the small-message echo rows for any server with ws's API: the least JavaScript per message that a
// WebSocket echo must run on top of the raw `net` echo, with no checks a real server needs (no UTF-8 validation,
// no control frames, no fragments, no limits, no close handshake). Each socket read is parsed frame by frame; each
// payload is unmasked in place and handed on as a Buffer view; each reply's header and payload are copied into one
// slab, and the slab's filled part leaves in one write per read, as sockwire does. Two shapes:
// - `bare`: the payload goes straight to a function that frames the reply (no event, no options object);
// - `api`: what the ws API obliges, an EventEmitter `'message'` event with `(data, isBinary)` per message and a
//   listener that calls `send(data, { binary: isBinary })`, whose options are read as a spread would. Its listener
//   table is a fast-mode object (as sockwire's `useCompactListenerTable`), the least an emitter per socket holds.
// `node minimal-echo.mjs bare|api [port]` prints one JSON line {impl, port, pid}, as raw-echo.mjs does.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { answerUpgrade } from './bare-upgrade.mjs';
import { listenAndReport } from './floor-server.mjs';

const shape = process.argv[2];
if (shape !== 'bare' && shape !== 'api') throw new Error('usage: minimal-echo.mjs bare|api [port]');
const port = Number(process.argv[3] || 0);
const SLAB_SIZE = 64 * 1024;

let slab = Buffer.allocUnsafe(SLAB_SIZE);
let slabUsed = 0;

/** A connection in the `api` shape: the emitter the app listens on, with ws's `send(data, options)`. */
class MinimalSocket extends EventEmitter {
  constructor(socket) {
    super();
    this._events = Object.setPrototypeOf({}, null);
    // Unused by this echo, but every ws-shaped socket holds its transport, and the idle-RSS floor counts that slot.
    this.socket = socket;
  }

  send(data, options) {
    let binary = typeof data !== 'string';
    for (const name in options) if (name === 'binary' && Object.hasOwn(options, name)) binary = Boolean(options.binary);
    frameReply(data, binary);
  }
}

/** Copy one unmasked reply frame (payloads under 126 bytes) into the slab. */
function frameReply(payload, binary) {
  if (SLAB_SIZE - slabUsed < payload.length + 2) throw new Error('slab full: minimal-echo handles small frames only');
  slab[slabUsed] = binary ? 0x82 : 0x81;
  slab[slabUsed + 1] = payload.length;
  payload.copy(slab, slabUsed + 2);
  slabUsed += payload.length + 2;
}

function onFrames(chunk) {
  const data = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
  this.rest = undefined;
  const start = slabUsed;
  let at = 0;
  while (data.length - at >= 6) {
    const length = data[at + 1] & 0x7f;
    if (length > 125) throw new Error('minimal-echo handles payloads under 126 bytes only');
    if (data.length - at < 6 + length) break;
    const m = at + 2;
    const p = at + 6;
    for (let i = 0; i < length; i++) data[p + i] ^= data[m + (i & 3)];
    const payload = data.subarray(p, p + length);
    const binary = (data[at] & 0x0f) === 2;
    if (this.api === undefined) frameReply(payload, binary);
    else this.api.emit('message', payload, binary);
    at = p + length;
  }
  if (at < data.length) this.rest = data.subarray(at);
  if (slabUsed > start) {
    this.write(slab.subarray(start, slabUsed));
    // The written view keeps its bytes; the next replies go to fresh memory once the slab runs low.
    if (SLAB_SIZE - slabUsed < 4096) {
      slab = Buffer.allocUnsafe(SLAB_SIZE);
      slabUsed = 0;
    }
  }
}

function echo(data, isBinary) {
  this.send(data, { binary: isBinary });
}

function onHandshake(chunk) {
  if (!answerUpgrade(this, chunk)) return;
  if (shape === 'api') {
    this.api = new MinimalSocket(this);
    this.api.on('message', echo);
  }
  this.off('data', onHandshake);
  this.on('data', onFrames);
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onHandshake);
  socket.on('error', () => {});
});
listenAndReport(server, `minimal-${shape}`, port);
