// Client role: the implementation's WebSocket (mask fixed through `generateMask`) talks to a raw scripted server.
// Compared: the client's events (channel 'client'), its request head and every frame it wrote (channel 'peer').
import { repr } from '../harness.mjs';
import { OP, closePayload, fixedMask } from '../wire.mjs';

/**
 * Starts a raw server, connects an impl client with `clientOptions` (deflate off and fixed mask unless overridden),
 * waits for 'open' unless `awaitOpen` is false. `setup(sock)` runs right after construction.
 */
export async function openClient(
  ctx,
  { clientOptions = {}, protocols, serverOptions, path = '', awaitOpen = true, setup } = {}
) {
  const srv = await ctx.rawServer(serverOptions);
  // `perMessageDeflate: 'default'` leaves the option out entirely (an explicit undefined is not the default in ws).
  const options = { perMessageDeflate: false, generateMask: fixedMask, ...clientOptions };
  if (options.perMessageDeflate === 'default') delete options.perMessageDeflate;
  const sock =
    protocols === undefined ? new ctx.impl(srv.url + path, options) : new ctx.impl(srv.url + path, protocols, options);
  const closed = ctx.watch(sock, 'client');
  if (setup) setup(sock);
  const opened = awaitOpen ? ctx.once(sock, 'open') : null;
  const peer = await srv.nextPeer();
  if (opened) await opened;
  return { sock, peer, srv, closed, done: () => Promise.all([closed, peer.closed]) };
}

const cb =
  (ctx, label) =>
  (...args) =>
    ctx.rec('cb', label, args.map(repr));

/** Server script shared by the binaryType scenarios: binary, fragmented binary, text, then close 1000. */
async function sendMixedMessages(peer) {
  peer.sendFrame({ op: OP.binary, payload: Buffer.from([1, 2, 3]) });
  peer.sendFrame({ op: OP.binary, fin: false, payload: Buffer.from([4, 5]) });
  peer.sendFrame({ op: OP.cont, fin: false, payload: Buffer.alloc(0) });
  peer.sendFrame({ op: OP.cont, payload: Buffer.from([6]) });
  peer.sendFrame({ op: OP.text, payload: 'txt' });
  peer.sendClose(1000);
}

function binaryTypeCase(type) {
  return {
    name: `client binaryType '${type}': binary, fragmented binary and text messages`,
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx);
      sock.binaryType = type;
      ctx.rec('client', 'binaryType', sock.binaryType);
      await sendMixedMessages(peer);
      await done();
    }
  };
}

export default [
  {
    name: 'client: request head with default options (deflate offered)',
    async run(ctx) {
      const { sock, done } = await openClient(ctx, { clientOptions: { perMessageDeflate: 'default' } });
      ctx.rec('client', 'url', sock.url);
      sock.close();
      await done();
    }
  },
  {
    name: 'client: request head with protocols, origin, headers, path and query',
    async run(ctx) {
      const { sock, done } = await openClient(ctx, {
        protocols: ['chat', 'super.chat'],
        path: '/some/path?q=1&r=%20',
        clientOptions: { origin: 'https://example.test', headers: { 'X-Custom': 'v1', Authorization: 'Bearer t' } },
        serverOptions: { extra: ['Sec-WebSocket-Protocol: super.chat'] }
      });
      ctx.rec('client', 'protocol', sock.protocol, 'url', sock.url.replace(/:\d+/, ':PORT'));
      sock.close(4000);
      await done();
    }
  },
  {
    name: 'client: every send data type and option, masked with the fixed key',
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx);
      const u16 = new Uint16Array([0x0102, 0xfffe]);
      sock.send('text ✓');
      sock.send(Buffer.from([0, 1, 2]));
      sock.send(new Uint8Array([9, 8, 7]).buffer);
      sock.send(u16);
      sock.send(new DataView(new Uint8Array([5, 6, 7, 8]).buffer, 1, 2));
      sock.send(42);
      sock.send(Buffer.from('as text'), { binary: false });
      sock.send('as binary', { binary: true });
      sock.send('frag-1 ', { fin: false });
      sock.send('frag-2 ', { fin: false });
      sock.send('frag-3', { fin: true });
      sock.send('');
      sock.send(Buffer.alloc(200, 0x42));
      await peer.waitFrames(13);
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'client: receives text, binary, empty and fragmented messages',
    async run(ctx) {
      const { peer, done } = await openClient(ctx);
      peer.sendFrame({ op: OP.text, payload: 'hello ✓' });
      peer.sendFrame({ op: OP.binary, payload: Buffer.from([0xde, 0xad]) });
      peer.sendFrame({ op: OP.text });
      peer.sendFrame({ op: OP.binary });
      peer.sendFrame({ op: OP.text, fin: false, payload: 'par' });
      peer.sendFrame({ op: OP.pong, payload: 'in-between' });
      peer.sendFrame({ op: OP.cont, payload: 'ts' });
      peer.sendFrame({ op: OP.binary, payload: Buffer.alloc(70000, 7) });
      peer.sendClose(1000, 'done');
      await done();
    }
  },
  binaryTypeCase('nodebuffer'),
  binaryTypeCase('arraybuffer'),
  binaryTypeCase('fragments'),
  binaryTypeCase('blob'),
  {
    name: 'client binaryType: unknown value is ignored',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      sock.binaryType = 'arraybuffer';
      sock.binaryType = 'bogus';
      ctx.rec('client', 'binaryType', sock.binaryType);
      sock.close();
      await done();
    }
  },
  {
    name: 'client: server ping auto-ponged (masked), client ping with payload, pong event',
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx);
      peer.sendFrame({ op: OP.ping, payload: 'srv' });
      await peer.waitOp(OP.pong);
      sock.ping(Buffer.from([0xaa, 0xbb]));
      const frames = await peer.waitOp(OP.ping);
      const ping = frames.find((f) => f.op === OP.ping);
      peer.sendFrame({ op: OP.pong, payload: ping.data });
      await ctx.once(sock, 'pong');
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'client: autoPong false sends no pong',
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx, { clientOptions: { autoPong: false } });
      sock.on('ping', () => sock.close(3001, 'no pong'));
      peer.sendFrame({ op: OP.ping, payload: 'x' });
      await done();
    }
  },
  {
    name: 'client: server closes 4002 with reason, client echoes masked',
    async run(ctx) {
      const { peer, done } = await openClient(ctx);
      peer.sendClose(4002, 'server bye');
      await done();
    }
  },
  {
    name: 'client: client closes 1000 with reason, server echoes and ends TCP',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      sock.close(1000, 'client done');
      ctx.rec('client', 'readyState after close()', sock.readyState);
      sock.close(4000, 'second call ignored');
      await done();
    }
  },
  {
    name: 'client: server close without code gives 1005',
    async run(ctx) {
      const { peer, done } = await openClient(ctx);
      peer.sendClose();
      await done();
    }
  },
  {
    name: 'client: server drops TCP gives 1006',
    async run(ctx) {
      const { peer, done } = await openClient(ctx);
      peer.sendFrame({ op: OP.text, payload: 'bye?' });
      peer.end();
      await done();
    }
  },
  {
    name: 'client: terminate() sends nothing and closes 1006',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      sock.terminate();
      ctx.rec('client', 'readyState after terminate()', sock.readyState);
      await done();
    }
  },
  {
    name: 'client: frames after the close frame are ignored',
    async run(ctx) {
      const { peer, done } = await openClient(ctx);
      peer.send(
        Buffer.concat([
          Buffer.from([0x81, 0x01, 0x61]),
          Buffer.from([0x88, 0x02]),
          closePayload(1000),
          Buffer.from([0x81, 0x01, 0x62])
        ])
      );
      await done();
    }
  },
  {
    name: 'client: pause holds messages until resume',
    async run(ctx) {
      const { sock, peer, done } = await openClient(ctx);
      sock.pause();
      ctx.rec('client', 'isPaused', sock.isPaused);
      peer.sendFrame({ op: OP.text, payload: 'one' });
      peer.sendFrame({ op: OP.text, payload: 'two' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      ctx.rec('client', 'resuming');
      sock.resume();
      ctx.rec('client', 'isPaused', sock.isPaused);
      await ctx.ticks(5);
      sock.close(1000);
      await done();
    }
  },
  {
    name: 'client: send callbacks order, send/ping after close, bufferedAmount',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      sock.send('a', cb(ctx, 'send a'));
      sock.ping('b', true, cb(ctx, 'ping b'));
      sock.pong(undefined, undefined, cb(ctx, 'pong empty'));
      sock.send(Buffer.alloc(10), { binary: true }, cb(ctx, 'send 10'));
      sock.close(1000);
      ctx.rec('cb', 'bufferedAmount after close', sock.bufferedAmount);
      sock.send('late-send', cb(ctx, 'late send'));
      sock.ping('p', undefined, cb(ctx, 'late ping'));
      ctx.rec('cb', 'bufferedAmount after late sends', sock.bufferedAmount);
      await done();
      ctx.rec('cb', 'bufferedAmount when closed', sock.bufferedAmount);
      sock.send(new Uint8Array(3), cb(ctx, 'send after closed'));
      ctx.rec('cb', 'bufferedAmount after send on closed', sock.bufferedAmount);
      await ctx.ticks(3);
    }
  }
];
