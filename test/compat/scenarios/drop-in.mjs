// Drop-in fidelity (issue 12): ws behaviours that real code built on ws depends on. Each scenario runs against ws
// and against the candidate; what is compared is the events, callbacks, thrown errors and the bytes on the wire.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorRepr, repr } from '../harness.mjs';
import { MASK, OP, frame } from '../wire.mjs';
import { openClient } from './client-role.mjs';
import { openServer } from './server-role.mjs';

/** A callback that records its arguments and the socket's readyState at the time it runs. */
const recorder =
  (ctx, channel, label, sock) =>
  (...args) =>
    ctx.rec(channel, label, sock === undefined ? null : sock.readyState, args.map(repr));

/** Error details a DOMException adds (`name`), beside class/message/code. */
const withName = (err) => ({ ...errorRepr(err), name: err?.name });

/**
 * A stand-in socket for a bare `Sender`: records each write (length, bytes, whether it shares memory with
 * `source`) and the cork/uncork calls, and calls write callbacks on the next tick.
 */
function recordingSocket(ctx, channel, source) {
  return {
    destroyed: false,
    writableLength: 0,
    cork: () => ctx.rec(channel, 'cork'),
    uncork: () => ctx.rec(channel, 'uncork'),
    write(chunk, cb) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const shared = source !== undefined && source.buffer === bytes.buffer;
      ctx.rec(channel, 'write', bytes.toString('hex'), shared ? 'payload not copied' : 'own buffer');
      if (cb) process.nextTick(cb);
      return true;
    }
  };
}

const senderPayloads = () => [
  ['Uint8Array', new Uint8Array([1, 2, 3])],
  ['ArrayBuffer', new Uint8Array([4, 5]).buffer],
  ['Uint16Array', new Uint16Array([0x0102, 0x0304])],
  ['DataView', new DataView(new Uint8Array([6, 7, 8, 9]).buffer, 1, 2)],
  ['Buffer', Buffer.from('buf')],
  ['string', 'str'],
  ['empty', Buffer.alloc(0)]
];

/**
 * One message of `count` frames (empty, then a final 'z'), as one buffer. `mask` for a client peer's frames.
 */
function fragmentedMessage(count, mask) {
  const key = mask ? MASK : false;
  const frames = [frame({ op: OP.text, fin: false, mask: key })];
  const middle = frame({ op: OP.cont, fin: false, mask: key });
  for (let i = 2; i < count; i++) frames.push(middle);
  frames.push(frame({ op: OP.cont, payload: Buffer.from('z'), mask: key }));
  return Buffer.concat(frames);
}

/** maxFragments values a user may set, and a fragment count that shows what each one means. */
const userMaxFragments = [
  [3, 4],
  ['3', 4],
  [3.9, 3],
  [-1, 20],
  [0, 20],
  // An explicit null or undefined replaces the default: no limit, as ws reads `options.maxFragments | 0`.
  [null, 300000],
  [undefined, 300000]
];

/** A user-set maxFragments behaves as in ws, for a server and for a client (defaults differ: README). */
const maxFragmentsCases = userMaxFragments.flatMap(([value, count]) => {
  const label = typeof value === 'string' ? `'${value}'` : String(value);
  // A hang guard, not a speed bound: 300,000 frames through each library took 12 s a side at load average 15.
  const timeout = count > 1000 ? 60000 : 15000;
  return [
    {
      name: `drop-in: server maxFragments ${label}, ${count} fragments`,
      timeout,
      async run(ctx) {
        const { peer, done } = await openServer(ctx, { maxFragments: value }, {}, (sock) =>
          sock.on('message', () => sock.close(1000))
        );
        peer.send(fragmentedMessage(count, true));
        await done();
      }
    },
    {
      name: `drop-in: client maxFragments ${label}, ${count} fragments`,
      timeout,
      async run(ctx) {
        const { sock, peer, done } = await openClient(ctx, {
          clientOptions: { maxFragments: value }
        });
        sock.on('message', () => sock.close(1000));
        peer.send(fragmentedMessage(count, false));
        await done();
      }
    }
  ];
});

export default [
  ...maxFragmentsCases,
  {
    name: 'drop-in: _sender.sendFrame writes Sender.frame() output in order with send(), callback as ws',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      const sock = conn.sock;
      ctx.rec('server', 'sendFrame is a function', typeof sock._sender?.sendFrame);
      const frameOf = (text) =>
        ctx.impl.Sender.frame(Buffer.from(text), {
          fin: true,
          opcode: OP.text,
          mask: false,
          readOnly: false,
          rsv1: false
        });
      sock.send('one', recorder(ctx, 'cb', 'send one'));
      sock._sender.sendFrame(frameOf('pre-encoded'), recorder(ctx, 'cb', 'sendFrame'));
      sock._sender.sendFrame(frameOf(''), recorder(ctx, 'cb', 'sendFrame empty'));
      sock.send('two', recorder(ctx, 'cb', 'send two'));
      await peer.waitFrames(4);
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'drop-in: _sender is null while connecting; _closeCode/_closeMessage/_receiver._maxPayload on a live socket',
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx, {
        setup: (s) => ctx.rec('client', 'while connecting', s._sender, s._receiver, s._closeCode, repr(s._closeMessage))
      });
      ctx.rec('client', 'open', typeof sock._sender.sendFrame, sock._receiver._maxPayload, sock._closeCode);
      sock._receiver._maxPayload = 4;
      ctx.rec('client', 'lowered', sock._receiver._maxPayload);
      peer.sendFrame({ op: OP.text, payload: 'abcd' });
      peer.sendFrame({ op: OP.text, payload: 'abcde' });
      await done();
      ctx.rec('client', 'after close', sock._closeCode, repr(sock._closeMessage));
    }
  },
  {
    name: 'drop-in: the plain-field internals (_isServer, _protocol, _extensions, _paused, _req, _url) on both sides',
    async run(ctx) {
      const fields = (s) => [s._isServer, s._protocol, Object.keys(s._extensions), s._paused, s._req === null, s._url];
      const { sock, peer, done } = await openClient(ctx, {
        protocols: ['chat'],
        serverOptions: { extra: ['Sec-WebSocket-Protocol: chat'] },
        setup: (s) => ctx.rec('client', 'while connecting', ...fields(s))
      });
      ctx.rec('client', 'open', ...fields(sock));
      sock.pause();
      ctx.rec('client', 'paused', sock._paused, sock.isPaused);
      sock.resume();
      ctx.rec('client', 'resumed', sock._paused, sock.isPaused);
      peer.sendClose(1000);
      await done();
      ctx.rec('client', 'closed', ...fields(sock));
      const server = await openServer(ctx, { perMessageDeflate: true, handleProtocols: () => 'echo' }, {
        headers: { 'Sec-WebSocket-Protocol': 'echo, other', 'Sec-WebSocket-Extensions': 'permessage-deflate' }
      });
      const accepted = server.conn.sock;
      ctx.rec('server', 'open', ...fields(accepted));
      accepted.pause();
      ctx.rec('server', 'paused', accepted._paused);
      accepted.resume();
      server.peer.sendClose(1000);
      await server.done();
      ctx.rec('server', 'closed', ...fields(accepted));
    }
  },
  {
    name: 'drop-in: auto-pong goes through a replaced pong() (arguments, wire bytes, pending-pong limit)',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx, {
        maxPendingAutoPongs: 2
      });
      const sock = conn.sock;
      const original = sock.pong;
      let calls = 0;
      sock.pong = function (data, mask, cb) {
        calls++;
        ctx.rec('server', 'pong called', repr(data), mask, typeof cb);
        // The first one is answered with other data; later ones are swallowed (a "dead peer" simulation).
        if (calls === 1) original.call(this, 'replaced', mask, cb);
      };
      peer.sendFrame({ op: OP.ping, payload: 'p1' });
      await peer.waitOp(OP.pong);
      peer.sendFrame({ op: OP.ping, payload: 'p2' });
      peer.sendFrame({ op: OP.ping, payload: 'p3' });
      peer.sendFrame({ op: OP.ping, payload: 'p4' });
      await done();
    }
  },
  {
    name: 'drop-in: client auto-pong through a replaced pong() gets mask true; restoring it restores auto-pong',
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx);
      sock.pong = (data, mask, cb) => ctx.rec('client', 'pong called', repr(data), mask, typeof cb);
      peer.sendFrame({ op: OP.ping, payload: 'a' });
      await ctx.once(sock, 'ping');
      delete sock.pong;
      peer.sendFrame({ op: OP.ping, payload: 'b' });
      await peer.waitOp(OP.pong);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'drop-in: send() with options that are not objects sends with the defaults',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      const sock = conn.sock;
      const values = [10, null, true, 'x', false, 0, Symbol('s')];
      for (const value of values) {
        ctx.tryCall('server', `send text, ${String(value)}`, () => sock.send('hi', value));
        ctx.tryCall('server', `send buffer, ${String(value)}, cb`, () =>
          sock.send(Buffer.from([1]), value, recorder(ctx, 'cb', String(value)))
        );
      }
      // Only own enumerable properties count, as with a spread.
      const inherited = Object.create({ binary: true, fin: false });
      ctx.tryCall('server', 'send inherited options', () => sock.send('txt', inherited));
      // A non-enumerable own property hides an enumerable inherited one and counts for nothing itself.
      const hidden = Object.create({ binary: true });
      Object.defineProperty(hidden, 'binary', { value: false, enumerable: false });
      Object.defineProperty(hidden, 'fin', { value: false, enumerable: false });
      ctx.tryCall('server', 'send non-enumerable options', () => sock.send('txt', hidden));
      // Own enumerable ones count by truthiness, getters included, undefined as false; other names are ignored.
      ctx.tryCall('server', 'send own options', () => sock.send('own', { x: 1, binary: 'yes', mask: undefined, fin: 1 }));
      ctx.tryCall('server', 'send getter options', () => sock.send('get', { get binary() { return 1; }, fin: true }));
      ctx.tryCall('server', 'send binary undefined', () => sock.send(Buffer.from('u'), { binary: undefined }));
      await peer.waitFrames(2 * values.length + 5);
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'drop-in: constructors and createWebSocketStream with options that are not objects',
    async run(ctx) {
      const W = ctx.impl;
      for (const value of [null, 10, true, 'x']) {
        const label = String(value);
        ctx.tryCall('ctor', `Receiver ${label}`, () => new W.Receiver(value) && 'made');
        ctx.tryCall('ctor', `PerMessageDeflate ${label}`, () => new W.PerMessageDeflate(value).offer());
        ctx.tryCall('ctor', `WebSocketServer ${label}`, () => new W.WebSocketServer(value));
        ctx.tryCall('ctor', `Sender.frame ${label}`, () => W.Sender.frame(Buffer.from('ab'), value).map(repr));
      }
      // A Receiver with non-object options has no limits and parses normally.
      const receiver = new W.Receiver(10);
      receiver.on('message', (data, isBinary) => ctx.rec('receiver', 'message', repr(data), isBinary));
      receiver.write(Buffer.from([0x81, 0x02, 0x6f, 0x6b]));
      // A client with non-object options connects with the defaults; so does a stream over it.
      const srv = await ctx.startServer();
      const client = new W(srv.url, [], 10);
      const closed = ctx.watch(client, 'client');
      const duplex = W.createWebSocketStream(client, 'x');
      duplex.on('error', (err) => ctx.rec('stream', 'error', errorRepr(err)));
      duplex.setEncoding('utf8');
      const conn = await srv.nextConnection();
      const data = new Promise((resolve) => duplex.once('data', resolve));
      conn.sock.send('through the stream');
      ctx.rec('stream', 'data', await data);
      client.close(1000);
      await Promise.all([closed, conn.closed]);
    }
  },
  {
    name: 'drop-in: send(blob) of an unreadable Blob → NotReadableError, close without a close frame',
    async run(ctx) {
      // File-backed Blobs need Node ≥ 19.8; on older versions both runs record only this.
      if (typeof fs.openAsBlob !== 'function') return ctx.rec('server', 'no fs.openAsBlob in this Node');
      const dir = fs.mkdtempSync(join(tmpdir(), 'sockwire-blob-'));
      ctx.track(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'data.bin');
      fs.writeFileSync(file, 'original contents');
      const blob = await fs.openAsBlob(file);
      // A file-backed Blob whose file changed afterwards can no longer be read.
      fs.writeFileSync(file, 'changed');
      const { peer, conn, done } = await openServer(ctx);
      const sock = conn.sock;
      sock.removeAllListeners('error');
      sock.on('error', (err) => ctx.rec('server', 'error', sock.readyState, withName(err), sock.bufferedAmount));
      sock.send('before', recorder(ctx, 'cb', 'before', sock));
      sock.send(blob, (err) => ctx.rec('cb', 'blob', sock.readyState, withName(err), sock.bufferedAmount));
      sock.send('queued behind', (err) => ctx.rec('cb', 'queued', sock.readyState, withName(err)));
      await done();
      ctx.rec('server', 'final bufferedAmount', sock.bufferedAmount);
      void peer;
    }
  },
  {
    name: 'drop-in: terminate() during a compressed send: callback sees CLOSING, then close',
    async run(ctx) {
      const srv = await ctx.startServer({
        perMessageDeflate: { threshold: 0 }
      });
      const client = new ctx.ws(srv.url, { perMessageDeflate: true });
      const clientClosed = ctx.watch(client, 'ws-client', {
        skip: ['message']
      });
      const { sock, closed } = await srv.nextConnection();
      sock.send('x'.repeat(4096), (err) => ctx.rec('cb', 'first', sock.readyState, errorRepr(err)));
      sock.send('queued', (err) => ctx.rec('cb', 'second', sock.readyState, errorRepr(err)));
      sock.terminate();
      ctx.rec('server', 'after terminate', sock.readyState);
      await Promise.all([closed, clientClosed]);
    }
  },
  {
    name: 'drop-in: Sender#ping/pong write header and payload as two writes, without copying; Blobs are read and sent',
    async run(ctx) {
      for (const method of ['ping', 'pong']) {
        for (const [label, payload] of senderPayloads()) {
          const channel = `${method} ${label}`;
          const sender = new ctx.impl.Sender(
            recordingSocket(ctx, channel, payload.buffer === undefined ? undefined : payload)
          );
          ctx.tryCall(channel, 'call', () => sender[method](payload, false, recorder(ctx, channel, 'cb')));
        }
        const channel = `${method} Blob`;
        const sender = new ctx.impl.Sender(recordingSocket(ctx, channel));
        const written = new Promise((resolve) =>
          sender[method](new Blob(['blob']), false, (...args) => resolve(ctx.rec(channel, 'cb', args.map(repr))))
        );
        ctx.tryCall(channel, 'then a string', () => sender[method]('after', false));
        await written;
      }
      // Masked (fixed key): a read-only payload is merged with the header, others are masked in place.
      const fixed = (mask) => mask.set([1, 2, 3, 4]);
      for (const [label, payload] of senderPayloads()) {
        const channel = `masked ping ${label}`;
        const sender = new ctx.impl.Sender(recordingSocket(ctx, channel), {}, fixed);
        ctx.tryCall(channel, 'call', () => sender.ping(payload, true));
      }
      await ctx.ticks(3);
    }
  },
  {
    name: 'drop-in: WebSocket#ping(blob) and pong(blob) reach the peer; a Blob over 125 bytes throws',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      const sock = conn.sock;
      sock.ping(new Blob(['blob ping']), recorder(ctx, 'cb', 'ping'));
      sock.pong(new Blob(['blob pong']), recorder(ctx, 'cb', 'pong'));
      ctx.tryCall('server', 'ping 126-byte blob', () => sock.ping(new Blob([Buffer.alloc(126)])));
      sock.send('after');
      await peer.waitFrames(3);
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'drop-in: Sender#close and WebSocket#close reason types (string, Uint8Array, other views, no length)',
    async run(ctx) {
      const reasons = [
        ['string', 'bye'],
        ['Buffer', Buffer.from('buf')],
        ['Uint8Array', new Uint8Array([0x75, 0x38])],
        ['Uint16Array', new Uint16Array([0x6968])],
        ['Float32Array', new Float32Array(1)],
        ['number', 42],
        ['ArrayBuffer', new ArrayBuffer(2)],
        ['array', [104, 105]],
        ['empty string', ''],
        ['124-byte string', 'r'.repeat(124)]
      ];
      for (const [label, reason] of reasons) {
        // Compared here: the bytes and the errors (how many writes a close frame takes is not part of this).
        const written = [];
        const socket = {
          destroyed: false,
          cork() {},
          uncork() {},
          write: (chunk) => written.push(chunk)
        };
        const sender = new ctx.impl.Sender(socket);
        ctx.tryCall(`close ${label}`, 'Sender#close', () => sender.close(1000, reason, false));
        ctx.rec(`close ${label}`, 'bytes', Buffer.concat(written).toString('hex'));
      }
      const { peer, conn, done } = await openServer(ctx);
      ctx.tryCall('server', 'close Uint16Array', () => conn.sock.close(1000, new Uint16Array([1])));
      ctx.rec('server', 'still', conn.sock.readyState);
      conn.sock.close(4000, new Uint8Array([0x6f, 0x6b]));
      await done();
      void peer;
      await ctx.ticks(2);
    }
  }
];
