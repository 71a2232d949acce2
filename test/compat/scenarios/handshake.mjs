// Opening handshake (RFC 6455 §4): server-side rejections with exact HTTP status/headers/body, subprotocol and
// extension negotiation, verifyClient, 'headers', 'wsClientError'; client-side handshake failures and
// 'unexpected-response'.
import { acceptKey } from '../wire.mjs';
import { errorRepr, repr } from '../harness.mjs';
import { openClient } from './client-role.mjs';
import { openServer } from './server-role.mjs';

/** A server-side case whose handshake fails: only the raw response and the server's events are compared. */
function rejected(title, clientOptions, serverOptions = {}) {
  return {
    name: `server handshake rejects: ${title}`,
    async run(ctx) {
      const srv = await ctx.startServer(serverOptions);
      const peer = await ctx.rawClient(srv.port, clientOptions);
      await peer.closed;
    }
  };
}

/** A server-side case whose handshake succeeds: the server closes at once with 1000. */
function accepted(title, clientOptions, serverOptions = {}) {
  return {
    name: `server handshake accepts: ${title}`,
    async run(ctx) {
      const { conn, done } = await openServer(ctx, serverOptions, clientOptions);
      conn.sock.close(1000);
      await done();
    }
  };
}

/** Raw server reply builder: status line + header lines (accept computed from the key when `accept` is true). */
function reply(status, lines, { accept = true, body = '' } = {}) {
  return (_head, key) =>
    [status, ...(accept ? [`Sec-WebSocket-Accept: ${acceptKey(key)}`] : []), ...lines].join('\r\n') + '\r\n\r\n' + body;
}

const UPGRADE_OK = ['Upgrade: websocket', 'Connection: Upgrade'];

/** A client-side case where the raw server answers with `respond`; the client must fail with 'error' + 'close'. */
function clientFails(title, respond, { protocols, clientOptions } = {}) {
  return {
    name: `client handshake fails: ${title}`,
    async run(ctx) {
      const { done } = await openClient(ctx, {
        protocols,
        clientOptions,
        serverOptions: { respond },
        awaitOpen: false
      });
      await done();
    }
  };
}

export default [
  rejected('POST method gives 405', { method: 'POST' }),
  rejected('no Upgrade header (plain request, Connection: close) gives 426', {
    headers: { Upgrade: null, Connection: 'close' }
  }),
  rejected('Upgrade: h2c gives 400', { headers: { Upgrade: 'h2c' } }),
  rejected('malformed Sec-WebSocket-Key gives 400', { headers: { 'Sec-WebSocket-Key': 'c2hvcnQ=' } }),
  rejected('missing Sec-WebSocket-Version gives 400', { headers: { 'Sec-WebSocket-Version': null } }),
  rejected('Sec-WebSocket-Version 12 gives 400 with supported versions', {
    headers: { 'Sec-WebSocket-Version': '12' }
  }),
  rejected('path mismatch gives 400', { path: '/other' }, { path: '/chat' }),
  rejected('invalid Sec-WebSocket-Protocol header gives 400', { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } }),
  rejected('duplicate subprotocols give 400', { headers: { 'Sec-WebSocket-Protocol': 'a, a' } }),
  rejected('plain HTTP GET gives 426 Upgrade Required', {
    raw: 'GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
  }),
  rejected('verifyClient sync false gives 401', {}, { verifyClient: () => false }),
  rejected(
    'verifyClient async false with code, message and headers',
    {},
    {
      verifyClient: (_info, done) =>
        setImmediate(() => done(false, 403, 'Nope', { 'X-Why': 'compat', 'Retry-After': '5' }))
    }
  ),
  accepted('Upgrade header is case-insensitive, version 8 accepted', {
    headers: { Upgrade: 'WebSocket', 'Sec-WebSocket-Version': '8' }
  }),
  accepted('path with query string matches the path option', { path: '/chat?room=1' }, { path: '/chat' }),
  accepted('first offered subprotocol is chosen', { headers: { 'Sec-WebSocket-Protocol': 'chat, json' } }),
  accepted(
    'handleProtocols picks the second protocol',
    { headers: { 'Sec-WebSocket-Protocol': 'chat,json' } },
    {
      handleProtocols: (set) => [...set][1]
    }
  ),
  accepted(
    'handleProtocols returning false sends no protocol',
    { headers: { 'Sec-WebSocket-Protocol': 'chat' } },
    {
      handleProtocols: () => false
    }
  ),
  accepted('permessage-deflate offer is declined when disabled', {
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }
  }),
  accepted('unparsable extension header is ignored when deflate is disabled', {
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate;;' }
  }),
  {
    name: 'server handshake: verifyClient sees origin/secure/req and headers event adds a line',
    async run(ctx) {
      const verifyClient = (info) => {
        ctx.rec('verify', repr(info.origin), info.secure, info.req.url, info.req.headers['x-extra']);
        return true;
      };
      const srv = await ctx.startServer({ verifyClient });
      srv.wss.on('headers', (headers) => headers.push('X-Added: yes'));
      const peer = await ctx.rawClient(srv.port, {
        path: '/v?x=1',
        headers: { Origin: 'https://o.test', 'X-Extra': '1' }
      });
      const conn = await srv.nextConnection();
      conn.sock.close(1000);
      await Promise.all([conn.closed, peer.closed]);
    }
  },
  {
    name: 'server handshake: wsClientError listener gets the error and the socket',
    async run(ctx) {
      const srv = await ctx.startServer();
      srv.wss.on('wsClientError', (err, socket, req) => {
        ctx.rec('server', 'wsClientError', errorRepr(err), req.method, typeof socket.write);
        socket.end('HTTP/1.1 418 Custom\r\nContent-Length: 0\r\n\r\n');
      });
      const peer = await ctx.rawClient(srv.port, { headers: { 'Sec-WebSocket-Version': '99' } });
      await peer.closed;
    }
  },
  {
    name: 'server handshake: shouldHandle override rejects with 400',
    async run(ctx) {
      const srv = await ctx.startServer();
      srv.wss.shouldHandle = (req) => req.url === '/only';
      const peer = await ctx.rawClient(srv.port, { path: '/not' });
      await peer.closed;
    }
  },
  clientFails(
    '404 without unexpected-response listener',
    reply('HTTP/1.1 404 Not Found', ['Content-Length: 9'], {
      accept: false,
      body: 'not here!'
    })
  ),
  {
    name: 'client handshake fails: 302 with unexpected-response listener',
    async run(ctx) {
      const respond = reply('HTTP/1.1 302 Found', ['Location: /elsewhere', 'Content-Length: 0'], { accept: false });
      const { done } = await openClient(ctx, {
        serverOptions: { respond },
        awaitOpen: false,
        setup: (sock) =>
          sock.on('unexpected-response', (req, res) => {
            ctx.rec(
              'client',
              'unexpected-response',
              sock.readyState,
              typeof req.abort,
              res.statusCode,
              res.headers.location
            );
            sock.terminate();
          })
      });
      await done();
    }
  },
  clientFails(
    'wrong Sec-WebSocket-Accept',
    reply('HTTP/1.1 101 Switching Protocols', [...UPGRADE_OK, 'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA='], {
      accept: false
    })
  ),
  clientFails('missing Upgrade header in 101', reply('HTTP/1.1 101 Switching Protocols', ['Connection: Upgrade'])),
  clientFails(
    'subprotocol sent but none requested',
    reply('HTTP/1.1 101 Switching Protocols', [...UPGRADE_OK, 'Sec-WebSocket-Protocol: chat'])
  ),
  clientFails(
    'subprotocol not among the requested ones',
    reply('HTTP/1.1 101 Switching Protocols', [...UPGRADE_OK, 'Sec-WebSocket-Protocol: other']),
    {
      protocols: ['chat']
    }
  ),
  clientFails('no subprotocol sent when one was requested', reply('HTTP/1.1 101 Switching Protocols', UPGRADE_OK), {
    protocols: 'chat'
  }),
  clientFails(
    'extension header but no extension requested',
    reply('HTTP/1.1 101 Switching Protocols', [...UPGRADE_OK, 'Sec-WebSocket-Extensions: permessage-deflate'])
  ),
  clientFails(
    'unparsable extension header',
    reply('HTTP/1.1 101 Switching Protocols', [...UPGRADE_OK, 'Sec-WebSocket-Extensions: permessage-deflate;;']),
    {
      clientOptions: { perMessageDeflate: 'default' }
    }
  ),
  clientFails(
    'extension that was not requested',
    reply('HTTP/1.1 101 Switching Protocols', [...UPGRADE_OK, 'Sec-WebSocket-Extensions: x-unknown']),
    {
      clientOptions: { perMessageDeflate: 'default' }
    }
  ),
  clientFails('handshakeTimeout with a silent server', () => '', { clientOptions: { handshakeTimeout: 100 } }),
  {
    name: 'client handshake: close() while connecting aborts',
    async run(ctx) {
      const { sock, done } = await openClient(ctx, { serverOptions: { respond: () => '' }, awaitOpen: false });
      ctx.rec('client', 'readyState before close()', sock.readyState);
      sock.close(1000);
      ctx.rec('client', 'readyState after close()', sock.readyState);
      await done();
    }
  },
  {
    name: 'client handshake: terminate() while connecting aborts',
    async run(ctx) {
      const { sock, done } = await openClient(ctx, { serverOptions: { respond: () => '' }, awaitOpen: false });
      sock.terminate();
      ctx.rec('client', 'readyState after terminate()', sock.readyState);
      await done();
    }
  }
];
