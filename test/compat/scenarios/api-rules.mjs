// Synchronous API rules: constructor validation, state checks before open, close()/ping() argument validation,
// ready-state constants and WebSocketServer construction/close. Compared: returned values and thrown errors.
import { errorRepr } from '../harness.mjs';
import { openClient } from './client-role.mjs';

/** Constructs a client that should throw; if it does not, the socket is terminated so nothing leaks. */
function construct(ctx, label, args) {
  try {
    const sock = new ctx.impl(...args);
    sock.on('error', () => {});
    sock.terminate();
    ctx.rec('ctor', label, 'constructed', sock.url);
  } catch (err) {
    ctx.rec('ctor', label, 'threw', errorRepr(err));
  }
}

export default [
  {
    name: 'api: WebSocket constructor validation errors',
    async run(ctx) {
      construct(ctx, 'not a URL', ['not a url']);
      construct(ctx, 'ftp scheme', ['ftp://127.0.0.1:1/']);
      construct(ctx, 'fragment', ['ws://127.0.0.1:1/#frag']);
      construct(ctx, 'URL object with fragment', [new URL('ws://127.0.0.1:1/a#b')]);
      construct(ctx, 'ws+unix empty path', ['ws+unix:']);
      construct(ctx, 'duplicate subprotocol', ['ws://127.0.0.1:1/', ['a', 'a']]);
      construct(ctx, 'invalid subprotocol token', ['ws://127.0.0.1:1/', 'a b']);
      construct(ctx, 'empty subprotocol', ['ws://127.0.0.1:1/', ['']]);
      construct(ctx, 'protocolVersion 7', ['ws://127.0.0.1:1/', { protocolVersion: 7 }]);
      await ctx.ticks(2);
    }
  },
  {
    name: 'api: ready-state constants on class and instance',
    async run(ctx) {
      const W = ctx.impl;
      ctx.rec('consts', 'static', W.CONNECTING, W.OPEN, W.CLOSING, W.CLOSED);
      ctx.rec(
        'consts',
        'same class',
        W.WebSocket === W,
        W.Server === W.WebSocketServer,
        typeof W.createWebSocketStream
      );
      const { sock, done } = await openClient(ctx);
      ctx.rec('consts', 'instance', sock.CONNECTING, sock.OPEN, sock.CLOSING, sock.CLOSED, sock.readyState);
      ctx.rec('consts', 'props', sock.binaryType, sock.bufferedAmount, sock.extensions, sock.protocol, sock.isPaused);
      sock.close();
      await done();
    }
  },
  {
    name: 'api: send/ping/pong before open throw; state while connecting',
    async run(ctx) {
      const { sock, done } = await openClient(ctx, { serverOptions: { respond: () => '' }, awaitOpen: false });
      ctx.rec('client', 'readyState', sock.readyState, 'bufferedAmount', sock.bufferedAmount);
      ctx.tryCall('client', 'send', () => sock.send('x'));
      ctx.tryCall('client', 'send with cb', () => sock.send('x', () => ctx.rec('client', 'send cb called')));
      ctx.tryCall('client', 'ping', () => sock.ping());
      ctx.tryCall('client', 'pong', () => sock.pong('y'));
      sock.terminate();
      await done();
    }
  },
  {
    name: 'api: ping/pong size and close reason length validation leave the socket open',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      const t = (label, fn) => ctx.tryCall('client', label, fn);
      t('ping(126 bytes)', () => sock.ping(Buffer.alloc(126)));
      t('pong(126-char string)', () => sock.pong('p'.repeat(126)));
      t('ping(125 bytes)', () => sock.ping(Buffer.alloc(125, 1)));
      t('close(1000, 124-byte reason)', () => sock.close(1000, 'x'.repeat(124)));
      t('close(1000, 62 two-byte chars = 124 bytes)', () => sock.close(1000, 'é'.repeat(62)));
      t('close(undefined, reason)', () => sock.close(undefined, 'reason without code'));
      ctx.rec('client', 'readyState', sock.readyState);
      t('close(3000, 123-byte reason)', () => sock.close(3000, 'y'.repeat(123)));
      await done();
    }
  },
  {
    name: 'api: close() code validation, then close(1001) (valid for ws)',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      const t = (label, fn) => ctx.tryCall('client', label, fn);
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, '1000', null]) {
        t(`close(${JSON.stringify(code)})`, () => sock.close(code));
      }
      ctx.rec('client', 'readyState', sock.readyState);
      t('close(1001, reason)', () => sock.close(1001, 'going'));
      await done();
    }
  },
  {
    name: 'api: close(1000.5) is accepted and sent as 1000',
    async run(ctx) {
      const { sock, done } = await openClient(ctx);
      ctx.tryCall('client', 'close(1000.5)', () => sock.close(1000.5));
      ctx.tryCall('client', 'close(5000) while closing', () => sock.close(5000));
      ctx.tryCall('client', 'ping(200 bytes) while closing', () => sock.ping(Buffer.alloc(200)));
      await done();
    }
  },
  {
    name: 'api: WebSocketServer constructor validation and close() twice',
    async run(ctx) {
      const S = ctx.impl.WebSocketServer;
      ctx.tryCall('wss', 'no port/server/noServer', () => new S({}));
      ctx.tryCall('wss', 'port and noServer', () => new S({ port: 0, noServer: true }));
      const srv = await ctx.startServer({ clientTracking: false });
      ctx.rec('wss', 'clients', srv.wss.clients);
      srv.wss.on('close', () => ctx.rec('wss', 'close event'));
      const first = new Promise((resolve) =>
        srv.wss.close((err) => resolve(ctx.rec('wss', 'close cb 1', errorRepr(err ?? new Error('none')))))
      );
      const second = new Promise((resolve) =>
        srv.wss.close((err) => resolve(ctx.rec('wss', 'close cb 2', errorRepr(err ?? new Error('none')))))
      );
      await Promise.all([first, second]);
      await ctx.ticks(2);
    }
  },
  {
    name: 'api: clientTracking counts open clients',
    async run(ctx) {
      const srv = await ctx.startServer();
      // One at a time, so connection i is client i.
      const a = new ctx.ws(srv.url);
      const closedA = ctx.watch(a, 'a');
      const ca = await srv.nextConnection();
      const b = new ctx.ws(srv.url);
      const closedB = ctx.watch(b, 'b');
      const cb = await srv.nextConnection();
      ctx.rec('wss', 'size', srv.wss.clients.size, srv.wss.clients.has(ca.sock), srv.wss.clients.has(cb.sock));
      a.close();
      await Promise.all([closedA, ca.closed]);
      ctx.rec('wss', 'size after one closed', srv.wss.clients.size);
      b.close();
      await Promise.all([closedB, cb.closed]);
      ctx.rec('wss', 'size after both closed', srv.wss.clients.size);
    }
  }
];
