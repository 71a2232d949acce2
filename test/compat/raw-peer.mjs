// Hand-scripted peers on plain TCP (loopback, port 0): a raw client that talks to the server under test and a raw
// server that talks to the client under test. They never use a WebSocket library, so the bytes they record are
// exactly what the implementation put on the wire.
import { connect, createServer } from 'node:net';
import {
  KEY,
  MASK,
  OP,
  acceptKey,
  closePayload,
  describeFrames,
  frame,
  normalizeHeaders,
  parseHead,
  splitFrames
} from './wire.mjs';

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One raw TCP endpoint after (or during) the HTTP handshake. Records every byte it receives; on socket close it
 * writes `{ head, frames | body }` to the recorder channel `channel`.
 * Automatic behaviour (RFC 6455 §5.5.1): a received close frame is echoed once (unless `echoClose` is false) and a
 * server-side peer ends TCP once close frames went both ways (RFC 6455 §7.1.1: the server closes TCP first).
 */
export class RawPeer {
  constructor(ctx, socket, { role, channel = 'peer', echoClose = true, key }) {
    this.ctx = ctx;
    this.socket = socket;
    this.role = role;
    this.channel = channel;
    this.echoClose = echoClose;
    this.key = key;
    this.bytes = Buffer.alloc(0);
    this.headLength = -1;
    this.head = null;
    this.sentClose = false;
    this.gotClose = false;
    this.waiters = new Set();
    this.isClosed = false;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        this.record();
        for (const w of this.waiters) w.check(true);
        resolve();
      });
    });
    socket.on('error', () => {});
    socket.on('data', (chunk) => this.onData(chunk));
  }

  /** Whether this peer masks what it sends (clients must, RFC 6455 §5.3). */
  get masks() {
    return this.role === 'client';
  }

  onData(chunk) {
    this.bytes = Buffer.concat([this.bytes, chunk]);
    if (this.headLength < 0) {
      const end = this.bytes.indexOf(HEAD_END);
      if (end < 0) return;
      this.headLength = end + 4;
      this.head = parseHead(this.bytes.subarray(0, end).toString('latin1'));
      if (this.onHead) this.onHead(this.head);
    }
    if (this.isUpgraded()) this.onFrames();
    for (const w of this.waiters) w.check(false);
  }

  /** Whether bytes after the head are frames (request seen by a server peer, or a 101 response). */
  isUpgraded() {
    if (this.head === null) return false;
    return this.role === 'server' ? this.responded === true : this.head.start.split(' ')[1] === '101';
  }

  /** Frames received after the head, parsed. */
  frames() {
    if (this.headLength < 0) return [];
    return splitFrames(this.bytes.subarray(this.headLength)).frames;
  }

  onFrames() {
    const frames = this.frames();
    const close = frames.find((f) => f.op === OP.close);
    if (close === undefined || this.gotClose) return;
    this.gotClose = true;
    if (!this.sentClose && this.echoClose) this.send(frame({ op: OP.close, payload: close.data, mask: this.masks }));
    if (this.sentClose && this.role === 'server') this.socket.end();
  }

  /** Writes raw bytes. */
  send(bytes) {
    const { frames } = splitFrames(bytes);
    if (frames.some((f) => f.op === OP.close)) this.sentClose = true;
    if (!this.socket.destroyed) this.socket.write(bytes);
    if (this.sentClose && this.gotClose && this.role === 'server') this.socket.end();
  }

  /** Encodes and writes one frame, masked with the fixed key when this peer is a client. */
  sendFrame(opts) {
    this.send(frame({ mask: this.masks ? MASK : false, ...opts }));
  }

  /** Sends a close frame with `code` and `reason` (or an empty one when `code` is undefined). */
  sendClose(code, reason = '') {
    this.sendFrame({ op: OP.close, payload: code === undefined ? Buffer.alloc(0) : closePayload(code, reason) });
  }

  /** Resolves once `test(frames)` holds, or when the socket closes (so a missing frame fails the log, not a hang). */
  waitFor(test) {
    return new Promise((resolve) => {
      const w = {
        check: (closing) => {
          const frames = this.frames();
          if (test(frames) || closing) {
            this.waiters.delete(w);
            resolve(frames);
          }
        }
      };
      this.waiters.add(w);
      w.check(this.isClosed);
    });
  }

  /** Resolves once at least `n` frames arrived (or the socket closed). */
  waitFrames(n) {
    return this.waitFor((frames) => frames.length >= n);
  }

  /** Resolves once a frame with opcode `op` arrived (or the socket closed). */
  waitOp(op) {
    return this.waitFor((frames) => frames.some((f) => f.op === op));
  }

  /** Ends our side of TCP. */
  end() {
    this.socket.end();
  }

  /** Drops the connection without a close frame. */
  destroy() {
    this.socket.destroy();
  }

  record() {
    const entry = { role: this.role };
    if (this.head !== null) {
      // A server peer already recorded the request head when it arrived.
      if (this.role === 'client') entry.head = [this.head.start, ...normalizeHeaders(this.head.headers, this.key)];
      const after = this.bytes.subarray(this.headLength);
      if (this.isUpgraded()) entry.frames = describeFrames(after);
      else entry.body = after.toString('latin1');
    } else {
      entry.partialHead = this.bytes.toString('latin1');
    }
    this.ctx.rec(this.channel, 'peer-closed', entry);
  }
}

/**
 * Builds a request head. `headers` entries replace defaults case-insensitively; a `null` value removes the header.
 */
function requestHead({ port, method = 'GET', path = '/', headers = {} }) {
  const list = [
    ['Host', `127.0.0.1:${port}`],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', KEY],
    ['Sec-WebSocket-Version', '13']
  ];
  for (const [name, value] of Object.entries(headers)) {
    const at = list.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (at >= 0) list.splice(at, 1);
    if (value !== null) list.push([name, value]);
  }
  return `${method} ${path} HTTP/1.1\r\n${list.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`;
}

/**
 * Connects a raw client to 127.0.0.1:`port`, writes the request head (plus `head` bytes in the same write) and
 * resolves with the peer once the response head arrived (or the socket closed first).
 */
export function rawClient(ctx, port, opts = {}) {
  const socket = connect({ port, host: '127.0.0.1' });
  ctx.track(() => socket.destroy());
  const peer = new RawPeer(ctx, socket, { role: 'client', channel: opts.channel, echoClose: opts.echoClose, key: KEY });
  const text = opts.raw ?? requestHead({ port, ...opts });
  socket.write(Buffer.concat([Buffer.from(text, 'latin1'), opts.head ?? Buffer.alloc(0)]));
  return new Promise((resolve) => {
    peer.onHead = () => resolve(peer);
    peer.closed.then(() => resolve(peer));
  });
}

/**
 * Starts a raw server on 127.0.0.1:0. For each connection it reads the request head, then writes
 * `respond(head, key)` (default: a correct 101, plus `extra` header lines) and hands the peer to `nextPeer()`.
 */
export async function rawServer(ctx, { respond, extra = [], channel, echoClose } = {}) {
  const queue = [];
  const takers = [];
  const server = createServer((socket) => {
    ctx.track(() => socket.destroy());
    const peer = new RawPeer(ctx, socket, { role: 'server', channel, echoClose });
    peer.onHead = (head) => {
      const keyPair = head.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-key');
      const key = keyPair ? keyPair[1] : '';
      const reply =
        respond !== undefined
          ? respond(head, key)
          : [
              'HTTP/1.1 101 Switching Protocols',
              'Upgrade: websocket',
              'Connection: Upgrade',
              `Sec-WebSocket-Accept: ${acceptKey(key)}`,
              ...extra
            ].join('\r\n') + '\r\n\r\n';
      peer.responded = reply.startsWith('HTTP/1.1 101');
      // Request head recorded now; the peer's own record (at close) adds the frames.
      ctx.rec(peer.channel, 'request', [head.start, ...normalizeHeaders(head.headers)]);
      socket.write(reply);
      if (takers.length > 0) takers.shift()(peer);
      else queue.push(peer);
    };
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.track(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address();
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    nextPeer: () => new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()) : takers.push(resolve)))
  };
}
