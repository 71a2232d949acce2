// Server role: a raw scripted client (fixed key, fixed mask) talks to the implementation's WebSocketServer.
// Compared: the server's events (channel 'server') and every byte the server wrote (channel 'peer').
import { repr } from '../harness.mjs';
import { OP, frame } from '../wire.mjs';

/** Starts the impl server, connects a raw client, resolves once the server saw the connection. */
export async function openServer(ctx, serverOptions = {}, clientOptions = {}, onConnection = undefined) {
  const srv = await ctx.startServer(serverOptions, { onConnection });
  const peer = await ctx.rawClient(srv.port, clientOptions);
  const conn = await srv.nextConnection();
  return { srv, peer, conn, done: () => Promise.all([conn.closed, peer.closed]) };
}

const echo = (sock) => sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary }));

export default [
  {
    name: 'server: text echo, peer closes 1000 with reason',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      echo(conn.sock);
      peer.sendFrame({ op: OP.text, payload: 'héllo' });
      await peer.waitFrames(1);
      peer.sendClose(1000, 'bye');
      await done();
    }
  },
  {
    name: 'server: 300-byte binary (16-bit length), server closes 1000 on message',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      conn.sock.on('message', () => conn.sock.close(1000));
      peer.sendFrame({ op: OP.binary, payload: Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)) });
      await done();
    }
  },
  {
    name: 'server: empty text and empty binary messages echoed',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      echo(conn.sock);
      peer.sendFrame({ op: OP.text });
      peer.sendFrame({ op: OP.binary });
      await peer.waitFrames(2);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: fragmented text with a ping between fragments',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      echo(conn.sock);
      peer.sendFrame({ op: OP.text, fin: false, payload: 'frag' });
      peer.sendFrame({ op: OP.ping, payload: 'mid' });
      peer.sendFrame({ op: OP.cont, fin: false, payload: 'men' });
      peer.sendFrame({ op: OP.cont, payload: 'ted ✓' });
      await peer.waitFrames(2);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: 70000-byte binary (64-bit length) echoed in one write',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      echo(conn.sock);
      peer.sendFrame({ op: OP.binary, payload: Buffer.alloc(70000, 0x5a) });
      await peer.waitFrames(1);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: ping with payload is auto-ponged',
    async run(ctx) {
      const { peer, done } = await openServer(ctx);
      peer.sendFrame({ op: OP.ping, payload: Buffer.from([1, 2, 3, 0xff]) });
      await peer.waitOp(OP.pong);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: autoPong false sends no pong; manual pong with other data',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx, { autoPong: false });
      conn.sock.on('ping', () => conn.sock.pong('manual'));
      peer.sendFrame({ op: OP.ping, payload: 'auto?' });
      await peer.waitOp(OP.pong);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: unsolicited pong then server ping with payload',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      conn.sock.on('pong', () => conn.sock.ping(Buffer.from('p1')));
      peer.sendFrame({ op: OP.pong, payload: 'unsolicited' });
      await peer.waitOp(OP.ping);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: peer close frame without code gives 1005 and an empty echo',
    async run(ctx) {
      const { peer, done } = await openServer(ctx);
      peer.sendClose();
      await done();
    }
  },
  {
    name: 'server: server closes 4000 with reason, peer echoes',
    async run(ctx) {
      const { conn, done } = await openServer(ctx);
      conn.sock.close(4000, 'server says bye');
      ctx.rec('server', 'readyState after close()', conn.sock.readyState);
      await done();
    }
  },
  {
    name: 'server: peer drops TCP without close frame gives 1006',
    async run(ctx) {
      const { peer, done } = await openServer(ctx);
      peer.sendFrame({ op: OP.text, payload: 'last words' });
      await ctx.ticks(5);
      peer.end();
      await done();
    }
  },
  {
    name: 'server: terminate() sends no close frame',
    async run(ctx) {
      const { conn, done } = await openServer(ctx);
      conn.sock.send('before');
      conn.sock.terminate();
      ctx.rec('server', 'readyState after terminate()', conn.sock.readyState);
      await done();
    }
  },
  {
    name: 'server: frames sent together with the upgrade request are processed once',
    async run(ctx) {
      const head = Buffer.concat([
        frame({ op: OP.text, payload: 'in-head-1', mask: true }),
        frame({ op: OP.ping, payload: 'in-head-2', mask: true })
      ]);
      const { peer, done } = await openServer(ctx, {}, { head }, echo);
      await peer.waitFrames(2);
      peer.sendClose(1000);
      await done();
    }
  },
  {
    name: 'server: send callbacks in order, then send after close reports error and grows bufferedAmount',
    async run(ctx) {
      const { conn, done } = await openServer(ctx);
      const sock = conn.sock;
      const cb =
        (label) =>
        (...args) =>
          ctx.rec('cb', label, args.map(repr));
      sock.send('one', cb('one'));
      sock.send(Buffer.from('two'), cb('two'));
      sock.ping('three', false, cb('three'));
      sock.close(1000, 'x');
      ctx.rec('cb', 'bufferedAmount after close', sock.bufferedAmount);
      sock.send('late!', cb('late'));
      ctx.rec('cb', 'readyState', sock.readyState);
      await done();
      ctx.rec('cb', 'bufferedAmount after closed', sock.bufferedAmount);
    }
  },
  {
    name: 'server: pause stops message delivery until resume',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      const sock = conn.sock;
      sock.pause();
      ctx.rec('server', 'isPaused', sock.isPaused);
      peer.sendFrame({ op: OP.text, payload: 'a' });
      peer.sendFrame({ op: OP.text, payload: 'b' });
      // Give the loopback time to deliver both frames while paused; nothing may be emitted meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 50));
      ctx.rec('server', 'resuming');
      sock.resume();
      ctx.rec('server', 'isPaused', sock.isPaused);
      await ctx.ticks(5);
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'server: 2-byte masked binary split across two TCP writes',
    async run(ctx) {
      const { peer, conn, done } = await openServer(ctx);
      echo(conn.sock);
      const bytes = frame({ op: OP.binary, payload: Buffer.from([0xca, 0xfe]), mask: true });
      peer.send(bytes.subarray(0, 3));
      await new Promise((resolve) => setTimeout(resolve, 20));
      peer.send(bytes.subarray(3));
      await peer.waitFrames(1);
      peer.sendClose(1000);
      await done();
    }
  },
  ...[true, false].map((allowSynchronousEvents) => ({
    name: `server: allowSynchronousEvents ${allowSynchronousEvents}, two messages in one TCP chunk vs microtasks`,
    async run(ctx) {
      const { peer, done } = await openServer(ctx, { allowSynchronousEvents }, {}, (sock) =>
        sock.on('message', (data) => queueMicrotask(() => ctx.rec('server', 'microtask after', repr(data))))
      );
      peer.send(
        Buffer.concat([
          frame({ op: OP.text, payload: 'm1', mask: true }),
          frame({ op: OP.text, payload: 'm2', mask: true }),
          frame({ op: OP.close, payload: Buffer.from([0x03, 0xe8]), mask: true })
        ])
      );
      await done();
    }
  })),
  {
    name: 'server rejects: maxBufferedChunks 3 passed while a 100-byte frame trickles in',
    async run(ctx) {
      const { peer, done } = await openServer(ctx, { maxBufferedChunks: 3 });
      const bytes = frame({ op: OP.binary, payload: Buffer.alloc(100, 3), mask: true });
      // Header and mask first, then the payload in 10-byte writes spaced out so each is its own TCP chunk.
      peer.send(bytes.subarray(0, 6));
      for (let at = 6; at < bytes.length && !peer.isClosed; at += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        peer.send(bytes.subarray(at, at + 10));
      }
      await done();
    }
  }
];
