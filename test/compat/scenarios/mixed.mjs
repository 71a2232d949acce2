// Mixed pairs: a real ws peer on the other end. In the reference run both ends are ws; in the candidate run the end
// under test is sockwire (ws client ↔ impl server, impl client ↔ ws server). Each end logs to its own channel.
import { createServer } from 'node:http';
import { repr } from '../harness.mjs';
import { fixedMask } from '../wire.mjs';

/** Resolves after `sock` emitted `n` 'message' events. */
function messages(sock, n) {
  return new Promise((resolve) => {
    let seen = 0;
    const on = () => {
      if (++seen >= n) {
        sock.off('message', on);
        resolve();
      }
    };
    sock.on('message', on);
  });
}

/** Impl server + ws client. `onConnection` runs synchronously on the server's 'connection'. */
async function implServer(ctx, { serverOptions, clientOptions, protocols, onConnection, awaitOpen = true } = {}) {
  const srv = await ctx.startServer(serverOptions, { onConnection });
  const client = new ctx.ws(srv.url, protocols, { generateMask: fixedMask, ...clientOptions });
  const clientClosed = ctx.watch(client, 'ws-client');
  if (awaitOpen) await ctx.once(client, 'open');
  const conn = awaitOpen ? await srv.nextConnection() : null;
  return { srv, client, conn, clientClosed, done: () => Promise.all([clientClosed, conn ? conn.closed : null]) };
}

/** ws server + impl client. */
async function implClient(ctx, { serverOptions, clientOptions, protocols, onConnection, awaitOpen = true } = {}) {
  const srv = await ctx.startServer(serverOptions, { lib: ctx.ws, channel: 'ws-server', onConnection });
  const client = new ctx.impl(srv.url, protocols, { generateMask: fixedMask, ...clientOptions });
  const clientClosed = ctx.watch(client, 'client');
  if (awaitOpen) await ctx.once(client, 'open');
  const conn = awaitOpen ? await srv.nextConnection() : null;
  return { srv, client, conn, clientClosed, done: () => Promise.all([clientClosed, conn ? conn.closed : null]) };
}

const echo = (sock) => sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary }));

export default [
  {
    name: 'mixed ws client → impl server: text/binary round trip, client closes 1000',
    async run(ctx) {
      const { client, done } = await implServer(ctx, { onConnection: echo });
      client.send('hello ✓');
      client.send(Buffer.from([1, 2, 3]));
      await messages(client, 2);
      client.close(1000, 'done');
      await done();
    }
  },
  {
    name: 'mixed impl client → ws server: text/binary round trip, server closes 4001',
    async run(ctx) {
      const { client, conn, done } = await implClient(ctx, { onConnection: echo });
      client.send('hello ✓');
      client.send(new Uint8Array([4, 5, 6]));
      await messages(client, 2);
      conn.sock.close(4001, 'server bye');
      await done();
    }
  },
  {
    name: 'mixed ws client ↔ impl server: pings and pongs with payloads both ways',
    async run(ctx) {
      const { client, conn, done } = await implServer(ctx);
      client.ping('from client');
      await ctx.once(client, 'pong');
      conn.sock.ping(Buffer.from([0]));
      await ctx.once(conn.sock, 'pong');
      conn.sock.pong('unsolicited');
      await ctx.once(client, 'pong');
      conn.sock.close(1000);
      await done();
    }
  },
  {
    name: 'mixed impl client ↔ ws server: pings and pongs with payloads both ways',
    async run(ctx) {
      const { client, conn, done } = await implClient(ctx);
      client.ping('from client');
      await ctx.once(client, 'pong');
      conn.sock.ping();
      await ctx.once(conn.sock, 'pong');
      client.close(1000);
      await done();
    }
  },
  {
    name: 'mixed ws client → impl server: fragmented sends (fin: false) both ways',
    async run(ctx) {
      const { client, conn, done } = await implServer(ctx);
      conn.sock.on('message', () => {
        conn.sock.send(Buffer.from('srv-'), { fin: false });
        conn.sock.send(Buffer.from('frag'), { fin: true });
      });
      client.send('a', { fin: false });
      client.send('b', { fin: false });
      client.send('c');
      await messages(client, 1);
      client.close(1000);
      await done();
    }
  },
  {
    name: 'mixed impl client → ws server: every data type and fragments',
    async run(ctx) {
      const { client, conn, done } = await implClient(ctx);
      client.send('str');
      client.send(Buffer.from('buf'));
      client.send(new Uint8Array([1, 2]).buffer);
      client.send(new Float32Array([1.5]));
      client.send(new DataView(new ArrayBuffer(3)));
      client.send(7);
      client.send(new Blob(['blob-data']));
      client.send('x', { fin: false });
      client.send('y');
      await messages(conn.sock, 8);
      client.close(1000);
      await done();
    }
  },
  {
    name: 'mixed impl client binaryType arraybuffer and fragments from ws server',
    async run(ctx) {
      const { client, conn, done } = await implClient(ctx);
      client.binaryType = 'arraybuffer';
      conn.sock.send(Buffer.from([1, 2]));
      await messages(client, 1);
      client.binaryType = 'fragments';
      conn.sock.send(Buffer.from([3]), { fin: false });
      conn.sock.send(Buffer.from([4, 5]));
      conn.sock.send('text stays a buffer');
      await messages(client, 2);
      client.close(1000);
      await done();
    }
  },
  {
    name: 'mixed impl server terminate() → ws client sees 1006',
    async run(ctx) {
      const { conn, done } = await implServer(ctx);
      conn.sock.terminate();
      await done();
    }
  },
  {
    name: 'mixed impl client terminate() → ws server sees 1006',
    async run(ctx) {
      const { client, done } = await implClient(ctx);
      client.terminate();
      await done();
    }
  },
  {
    name: 'mixed impl client maxPayload 100 ← ws server sends 101 bytes',
    async run(ctx) {
      const { conn, done } = await implClient(ctx, { clientOptions: { maxPayload: 100 } });
      conn.sock.send(Buffer.alloc(101));
      await done();
    }
  },
  {
    name: 'mixed impl server maxPayload 100 ← ws client sends 101 bytes',
    async run(ctx) {
      const { client, done } = await implServer(ctx, { serverOptions: { maxPayload: 100 } });
      client.send(Buffer.alloc(101));
      await done();
    }
  },
  {
    name: 'mixed ws client subprotocols → impl server handleProtocols',
    async run(ctx) {
      const handleProtocols = (set, req) => {
        ctx.rec('server', 'handleProtocols', [...set], req.url);
        return 'b';
      };
      const { client, done } = await implServer(ctx, { serverOptions: { handleProtocols }, protocols: ['a', 'b'] });
      ctx.rec('ws-client', 'protocol', client.protocol);
      client.close();
      await done();
    }
  },
  {
    name: 'mixed impl client subprotocols → ws server picks the first',
    async run(ctx) {
      const { client, done } = await implClient(ctx, { protocols: ['x1', 'x2'] });
      ctx.rec('client', 'protocol', client.protocol);
      client.close(3000);
      await done();
    }
  },
  {
    name: 'mixed ws client → impl server verifyClient async rejects 403',
    async run(ctx) {
      const verifyClient = (_info, cb) => cb(false, 403, 'Go away', { 'X-Reason': 'test' });
      const { clientClosed } = await implServer(ctx, { serverOptions: { verifyClient }, awaitOpen: false });
      await clientClosed;
    }
  },
  {
    name: 'mixed impl client → ws server verifyClient rejects 401, unexpected-response listener',
    async run(ctx) {
      const { client, clientClosed } = await implClient(ctx, {
        serverOptions: { verifyClient: () => false },
        awaitOpen: false
      });
      client.on('unexpected-response', (_req, res) => {
        ctx.rec(
          'client',
          'unexpected-response',
          res.statusCode,
          res.headers['content-type'],
          res.headers['content-length']
        );
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          ctx.rec('client', 'body', body);
          client.terminate();
        });
      });
      await clientClosed;
    }
  },
  {
    name: 'mixed 1 MiB messages both ways (impl server)',
    async run(ctx) {
      const { client, done } = await implServer(ctx, { onConnection: echo });
      const big = Buffer.alloc(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      client.send(big);
      client.send(big.toString('latin1').slice(0, 300000));
      await messages(client, 2);
      client.close(1000);
      await done();
    }
  },
  {
    name: 'mixed impl server close() without code → 1005 on both ends',
    async run(ctx) {
      const { conn, done } = await implServer(ctx);
      conn.sock.close();
      await done();
    }
  },
  {
    name: 'mixed impl client close(4999, 123-byte reason)',
    async run(ctx) {
      const { client, done } = await implClient(ctx);
      client.close(4999, 'r'.repeat(123));
      await done();
    }
  },
  {
    name: 'mixed impl server pause/resume with ws client sending',
    async run(ctx) {
      const { client, conn, done } = await implServer(ctx);
      conn.sock.pause();
      client.send('1');
      client.send('2');
      client.ping('p');
      await new Promise((resolve) => setTimeout(resolve, 50));
      ctx.rec('server', 'resume', conn.sock.isPaused);
      conn.sock.resume();
      await messages(conn.sock, 2);
      client.close(1000);
      await done();
    }
  },
  {
    name: 'mixed impl server noServer + handleUpgrade on an http server',
    async run(ctx) {
      const wss = new ctx.impl.WebSocketServer({ noServer: true });
      const http = createServer();
      ctx.track(() => new Promise((resolve) => http.close(() => resolve())));
      ctx.tryCall('server', 'address() in noServer mode', () => wss.address());
      http.on('upgrade', (req, socket, head) => {
        ctx.rec('server', 'shouldHandle', wss.shouldHandle(req));
        wss.handleUpgrade(req, socket, head, (sock) => {
          ctx.rec('server', 'upgraded', sock.readyState, wss.clients.size);
          ctx.watch(sock, 'server');
          sock.send('welcome');
          ctx.tryCall('server', 'second handleUpgrade', () => wss.handleUpgrade(req, socket, head, () => {}));
        });
      });
      await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
      const client = new ctx.ws(`ws://127.0.0.1:${http.address().port}/up`);
      const closed = ctx.watch(client, 'ws-client');
      await messages(client, 1);
      client.close(1000);
      await closed;
      await ctx.ticks(2);
      ctx.rec('server', 'clients after close', wss.clients.size);
      wss.close((err) => ctx.rec('server', 'close cb', repr(err)));
      wss.close((err) => ctx.rec('server', 'second close cb', repr(err)));
      await ctx.ticks(2);
    }
  },
  {
    name: 'mixed impl client EventTarget API and on* handlers against ws server',
    async run(ctx) {
      const { client, conn, done } = await implClient(ctx);
      const seen = (tag) => (ev) =>
        ctx.rec('events', tag, ev.type, ev.target === client, repr(ev.data), ev.code, ev.reason, ev.wasClean);
      const once = seen('listener-once');
      client.addEventListener('message', once, { once: true });
      client.addEventListener('message', once);
      client.addEventListener('message', { handleEvent: seen('handleEvent') });
      client.onmessage = seen('onmessage-1');
      client.onmessage = seen('onmessage-2');
      client.onclose = seen('onclose');
      client.addEventListener('close', seen('close-listener'));
      const plain = seen('plain-removed');
      client.on('message', plain);
      client.removeEventListener('message', plain);
      conn.sock.send('m1');
      conn.sock.send(Buffer.from([1]));
      await messages(client, 2);
      conn.sock.close(4321, 'why');
      await done();
    }
  }
];
