// Port mode reads upgrade heads with sockwire's own parser (src/core/http-request-head.ts) on a net.Server. These
// tests send the same raw requests to ws's port mode (Node's http.Server) and to sockwire's and compare every byte
// that comes back, Date masked; and they compare the IncomingMessage every hook receives with the one Node's parser
// builds (ws's port mode, and sockwire's server mode) for the same request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sockwire = require('../../dist/cjs/index.js');
const ws = require('ws');

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const UPGRADE = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`;
const upgrade = (extra = '', line = 'GET /chat HTTP/1.1') => `${line}\r\nHost: h\r\n${UPGRADE}${extra}\r\n`;

/** Write `pieces` (one write each, the next after the previous is flushed), half-close, collect until close. */
function exchange(port, pieces) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s after ${JSON.stringify(pieces).slice(0, 80)}`));
    }, 5000);
    socket.on('error', () => {});
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(Buffer.concat(chunks).toString('latin1').replace(/^Date: .*$/gm, 'Date: <masked>'));
    });
    socket.once('connect', async () => {
      for (const piece of pieces) await new Promise((done) => socket.write(Buffer.from(piece, 'latin1'), done));
      socket.end();
    });
  });
}

async function portServer(lib, options) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (socket) => socket.on('error', () => {}));
  return wss;
}

const close = (wss) => {
  for (const client of wss.clients) client.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
};

const CASES = [
  ['an upgrade', [upgrade()]],
  ['an upgrade with frame bytes in the same packet', [upgrade() + '\x88\x80\x00\x00\x00\x00']],
  ['an upgrade split at every byte', [...upgrade()]],
  ['HTTP/1.0 upgrade', [upgrade('', 'GET / HTTP/1.0')]],
  ['GET without upgrade: 426, keep-alive', ['GET / HTTP/1.1\r\nHost: h\r\n\r\n']],
  ['HTTP/1.0 GET: 426, Connection: close', ['GET / HTTP/1.0\r\n\r\n']],
  ['HTTP/1.0 GET with keep-alive', ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n']],
  ['HEAD: 426 without a body', ['HEAD / HTTP/1.1\r\nHost: h\r\n\r\n']],
  ['Connection: close', ['GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n']],
  ['POST with a body, then an upgrade on the kept-alive connection', ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello', upgrade()]],
  ['chunked POST, then an upgrade', ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', upgrade()]],
  ['two pipelined GETs', ['GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n']],
  ['GET, then an upgrade, one write each', ['GET / HTTP/1.1\r\nHost: h\r\n\r\n', upgrade()]],
  ['Upgrade without Connection: upgrade', ['GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n']],
  ['HTTP/1.1 without Host (not an upgrade)', ['GET / HTTP/1.1\r\n\r\n']],
  ['an upgrade without Host', [`GET / HTTP/1.1\r\n${UPGRADE}\r\n`]],
  ['CONNECT', ['CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n']],
  ['OPTIONS *', ['OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n']],
  ['POST upgrade: 405', [upgrade('', 'POST / HTTP/1.1')]],
  ['bad version: 400 with Sec-WebSocket-Version', [upgrade().replace('Version: 13', 'Version: 7')]],
  ['Upgrade: h2c', ['GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n']],
  ['a bad byte in a field value', [upgrade('X: a\x01b\r\n')]],
  ['bare LF', [upgrade().replace(/\r\n/g, '\n')]],
  ['obs-fold', [upgrade('X: a\r\n  b\r\n')]],
  ['space before the colon', [upgrade('X : a\r\n')]],
  ['Content-Length with Transfer-Encoding', [upgrade('Content-Length: 1\r\nTransfer-Encoding: chunked\r\n')]],
  ['a head of 16 KiB', [upgrade(`X-Big: ${'a'.repeat(16 * 1024)}\r\n`)]],
  ['2,000 extra headers', [upgrade(Array.from({ length: 2000 }, (_, i) => `x${i}: y\r\n`).join(''))]],
  ['a TLS ClientHello', ['\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03']],
  ['an unfinished head, then FIN', ['GET / HTTP/1.1\r\nHost: h\r\n']],
  ['nothing, then FIN', []],
  ['empty lines, then FIN', ['\r\n\r\n']],
  ['empty lines before an upgrade', ['\r\n' + upgrade()]]
];

test('port mode: the same raw requests get the same bytes from ws and sockwire (Date masked)', { timeout: 60000 }, async () => {
  const ours = await portServer(sockwire);
  const ref = await portServer(ws);
  try {
    for (const [name, pieces] of CASES) {
      const expected = await exchange(ref.address().port, pieces);
      assert.equal(await exchange(ours.address().port, pieces), expected, name);
    }
  } finally {
    await Promise.all([close(ours), close(ref)]);
  }
});

test('port mode: verifyClient refusals (401, custom code, message and headers) are the same bytes as ws', { timeout: 20000 }, async () => {
  const verifiers = [
    () => false,
    (info, done) => done(false, 403, 'No thanks', { 'X-Reason': 'test', 'Retry-After': '5' }),
    (info, done) => done(false, 451),
    (info, done) => done(info.req.url === '/ok')
  ];
  for (const verifyClient of verifiers) {
    const ours = await portServer(sockwire, { verifyClient });
    const ref = await portServer(ws, { verifyClient });
    try {
      for (const request of [upgrade(), upgrade('', 'GET /ok HTTP/1.1')]) {
        assert.equal(await exchange(ours.address().port, [request]), await exchange(ref.address().port, [request]), verifyClient.toString());
      }
    } finally {
      await Promise.all([close(ours), close(ref)]);
    }
  }
});

/** What Node's parser fills in an IncomingMessage, as comparable data. */
function describeRequest(req, socket) {
  return {
    keys: Object.keys(req),
    symbols: Object.getOwnPropertySymbols(req).map(String),
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    headers: req.headers,
    headersDistinct: { ...req.headersDistinct },
    rawHeaders: req.rawHeaders,
    trailers: req.trailers,
    rawTrailers: req.rawTrailers,
    complete: req.complete,
    upgrade: req.upgrade,
    aborted: req.aborted,
    readableEnded: req.readableEnded,
    ended: req._readableState.ended,
    joinDuplicateHeaders: req.joinDuplicateHeaders,
    isIncomingMessage: req instanceof http.IncomingMessage,
    socketIsNetSocket: req.socket instanceof net.Socket,
    connectionIsSocket: req.connection === req.socket,
    socketIsTheTransport: socket === undefined || socket === req.socket,
    remoteAddress: req.socket.remoteAddress,
    allowHalfOpen: req.socket.allowHalfOpen
  };
}

const DUPLICATES = [
  'Set-Cookie: a=1', 'set-cookie: b=2', 'Cookie: c=3', 'cookie: d=4', 'X-List: 1', 'x-list: 2',
  'Content-Type: text/a', 'content-type: text/b', 'Authorization: one', 'authorization: two', 'User-Agent: u1',
  'From: f1', 'from: f2', 'Referer: r1', 'Referer: r2', 'Max-Forwards: 1', 'max-forwards: 2', 'Age: 1', 'Age: 2',
  'If-Modified-Since: x', 'if-modified-since: y', 'ETag: e1', 'etag: e2', 'Location: l1', 'location: l2',
  'Expires: x', 'Retry-After: 1', 'Retry-After: 2', 'Server: s1', 'Server: s2', 'Proxy-Authorization: p1',
  'Proxy-Authorization: p2', 'Content-Length: 0', 'X-Empty:', 'X-Ows: \t spaced out \t', 'X-Latin: caf\xe9',
  'Sec-WebSocket-Protocol: chat, superchat', 'sec-websocket-protocol: json', '__proto__: polluted', 'constructor: c'
].map((line) => `${line}\r\n`).join('');

/** Every hook of one accepted upgrade, each with the request it was given. */
async function hookRequests(lib, serverOptions, request) {
  const seen = {};
  let wss;
  let httpServer = null;
  const options = {
    verifyClient: (info) => ((seen.verifyClient = describeRequest(info.req)), true),
    handleProtocols: (protocols, req) => ((seen.handleProtocols = describeRequest(req)), protocols.values().next().value),
    ...serverOptions
  };
  if (serverOptions.server) {
    httpServer = serverOptions.server;
    wss = new lib.WebSocketServer(options);
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  } else {
    wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    await new Promise((resolve) => wss.once('listening', resolve));
  }
  wss.on('headers', (headers, req) => (seen.headers = describeRequest(req)));
  const connected = new Promise((resolve) => wss.once('connection', (socket, req) => {
    seen.connection = describeRequest(req, socket._socket);
    resolve();
  }));
  try {
    const port = (httpServer ?? wss).address().port;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(Buffer.from(request, 'latin1'));
    await connected;
    socket.destroy();
  } finally {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(() => resolve()));
    if (httpServer) await new Promise((resolve) => httpServer.close(() => resolve()));
  }
  return seen;
}

test('port mode: verifyClient, handleProtocols, \'headers\' and \'connection\' get the IncomingMessage Node\'s parser builds', { timeout: 20000 }, async () => {
  for (const request of [upgrade(DUPLICATES), upgrade('', 'GET /?q=1&r=%20 HTTP/1.0'), '\r\n' + upgrade('X: 1\r\n')]) {
    const ours = await hookRequests(sockwire, {}, request);
    const hooks = request.includes('Sec-WebSocket-Protocol') ? ['connection', 'handleProtocols', 'headers', 'verifyClient'] : ['connection', 'headers', 'verifyClient'];
    assert.deepEqual(Object.keys(ours).sort(), hooks);
    assert.deepEqual(ours, await hookRequests(ws, {}, request), 'against ws port mode');
    assert.deepEqual(ours, await hookRequests(sockwire, { server: http.createServer() }, request), 'against server mode');
  }
});

test('port mode: more than 1,000 headers are kept and dropped as Node keeps and drops them', { timeout: 20000 }, async () => {
  const request = upgrade(Array.from({ length: 1100 }, (_, i) => `h${i}: ${i % 7}\r\n`).join(''));
  const ours = await hookRequests(sockwire, {}, request);
  assert.equal(ours.connection.rawHeaders.length, 2046);
  assert.deepEqual(ours, await hookRequests(ws, {}, request));
});
