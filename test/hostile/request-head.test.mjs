// Hostile request heads against both of sockwire's HTTP/1.1 parsers: port mode reads heads with its own
// (src/core/http-request-head.ts), server mode gets them from Node's http.Server. Every case is sent whole and one
// byte per write; both paths must give the same bytes, except where port mode is deliberately stricter (RFC 9112
// MUSTs that Node's parser lets through), and there port mode must answer 400. The server keeps serving throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { acceptOf, bounded, KEY, sockwire, startServer, upgradeRequest } from '../helpers/hostile-peer.mjs';

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
const TOO_LARGE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n';
const ACCEPTED = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(KEY)}\r\n\r\n`;
const MESSAGE = '\x81\x05hello';

/**
 * Send `request` (whole, or one byte per write), collect the answer until the server closes, or until a 101 head and
 * the echo of one text frame sent after it have arrived (then close).
 */
function exchange(port, request, byteByByte) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let received = '';
    let sentFrame = false;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s: ${JSON.stringify(received.slice(0, 200))}`));
    }, 10000);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (!received.startsWith('HTTP/1.1 101') || !received.includes('\r\n\r\n')) return;
      // Once the 101 is in, a masked text frame "hello"; its echo ends the exchange.
      if (!sentFrame) socket.write(Buffer.from([0x81, 0x85, 0, 0, 0, 0, ...Buffer.from('hello')]));
      sentFrame = true;
      if (received.endsWith(MESSAGE)) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(received);
    });
    socket.once('connect', async () => {
      const bytes = Buffer.from(request, 'latin1');
      if (!byteByByte) socket.write(bytes);
      else for (let i = 0; i < bytes.length && !socket.destroyed; i++) await new Promise((done) => socket.write(bytes.subarray(i, i + 1), done));
    });
  });
}

const U = (headers = {}, extraLines = [], options = {}) => upgradeRequest({ headers, extraLines, ...options });
const manyHeaders = (n, prefix = 'x') => Array.from({ length: n }, (_, i) => `${prefix}${i}: y`);
const sizeProbe = (valueLength) => U({ 'X-Big': 'a'.repeat(valueLength) });
// Counted by both parsers: target "/" and every name and value of upgradeRequest() but X-Big's value.
const COUNTED = 1 + 'Host127.0.0.1UpgradewebsocketConnectionUpgradeSec-WebSocket-Key'.length + KEY.length + 'Sec-WebSocket-Version13X-Big'.length;

/** [name, request, expected answer in port mode, expected in server mode (when Node's parser differs)]. */
const CASES = [
  ['a clean upgrade', U(), ACCEPTED],
  ['empty lines before the request line', '\r\n\r\n' + U(), ACCEPTED],
  ['bare LF line ends', U().replace(/\r\n/g, '\n'), BAD_REQUEST],
  ['a bare LF ending one field', U().replace('websocket\r\n', 'websocket\n'), BAD_REQUEST],
  ['a bare CR inside a field value', U({ 'X-A': 'a\rb' }), BAD_REQUEST],
  ['obs-fold', U({}, ['X-A: a', ' folded']), BAD_REQUEST],
  ['obs-fold with a tab', U({}, ['X-A: a', '\tfolded']), BAD_REQUEST],
  ['whitespace before the colon', U({}, ['X-A : a']), BAD_REQUEST],
  ['a separator in a field name', U({}, ['X[A]: a']), BAD_REQUEST],
  ['a NUL in a field name', U({}, ['X\0A: a']), BAD_REQUEST],
  ['obs-text in a field name', U({}, ['X\xe9: a']), BAD_REQUEST],
  ['a NUL in a field value', U({ 'X-A': 'a\0b' }), BAD_REQUEST],
  ['a DEL in a field value', U({ 'X-A': 'a\x7fb' }), BAD_REQUEST],
  ['an escape byte in a field value', U({ 'X-A': 'a\x1bb' }), BAD_REQUEST],
  ['obs-text in a field value is allowed', U({ 'X-A': 'caf\xe9' }), ACCEPTED],
  ['a control byte in the target', U({}, [], { path: '/\x7f' }), BAD_REQUEST],
  ['a TLS ClientHello', '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' + 'x'.repeat(64), BAD_REQUEST],
  ['an unknown method', U({}, [], { method: 'BREW' }), BAD_REQUEST],
  ['HTTP/1.2', U({}, [], { version: 'HTTP/1.2' }), BAD_REQUEST],
  ['smuggling: Content-Length and Transfer-Encoding', U({ 'Content-Length': '5', 'Transfer-Encoding': 'chunked' }), BAD_REQUEST],
  ['smuggling: Transfer-Encoding then Content-Length', U({ 'Transfer-Encoding': 'chunked', 'Content-Length': '5' }), BAD_REQUEST],
  ['smuggling: two different Content-Length fields', U({ 'Content-Length': '5' }, ['Content-Length: 6']), BAD_REQUEST],
  ['smuggling: two equal Content-Length fields', U({ 'Content-Length': '0' }, ['content-length: 0']), BAD_REQUEST],
  ['smuggling: a Content-Length list', U({ 'Content-Length': '0, 0' }), BAD_REQUEST],
  ['smuggling: a signed Content-Length', U({ 'Content-Length': '+0' }), BAD_REQUEST],
  ['Content-Length: 0 on an upgrade is fine', U({ 'Content-Length': '0' }), ACCEPTED],
  ['head at the size limit', sizeProbe(16384 - 1 - COUNTED), ACCEPTED],
  ['head one byte over the size limit', sizeProbe(16384 - COUNTED), TOO_LARGE],
  ['one 64 KiB field line', sizeProbe(65536), TOO_LARGE],
  ['5,000 fields', U({}, manyHeaders(5000)), TOO_LARGE],
  ['1,100 fields (Node keeps the first 1,000 in headers)', U({}, manyHeaders(1100)), ACCEPTED],
  ['Upgrade buried after 1,100 fields', `GET / HTTP/1.1\r\nHost: h\r\n${manyHeaders(1100).map((l) => `${l}\r\n`).join('')}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\nInvalid Upgrade header'],
  // Deliberately stricter than Node (RFC 9112 §3.2: one Host at most; §3: single SP; §2.3: HTTP/1.x only).
  ['two Host fields', U({}, ['Host: evil.example']), BAD_REQUEST, ACCEPTED],
  ['two spaces after the method', U().replace('GET /', 'GET  /'), BAD_REQUEST, ACCEPTED],
  ['HTTP/0.9 in the request line', U({}, [], { version: 'HTTP/0.9' }), BAD_REQUEST, ACCEPTED]
];

test('hostile request heads: the same answer from port mode (sockwire\'s parser) and server mode (Node\'s), whole and byte by byte', { timeout: 120000 }, async (t) => {
  const port = await startServer(sockwire, {}, { mode: 'port', onConnection: echo });
  const server = await startServer(sockwire, {}, { mode: 'server', onConnection: echo });
  try {
    for (const [name, request, expected, nodeExpected = expected] of CASES) {
      for (const byteByByte of request.length < 4096 ? [false, true] : [false]) {
        const how = byteByByte ? 'byte by byte' : 'whole';
        assert.equal(await exchange(port.port, request, byteByByte), expected.startsWith('HTTP/1.1 101') ? expected + MESSAGE : expected, `port mode, ${how}: ${name}`);
        assert.equal(await exchange(server.port, request, byteByByte), nodeExpected.startsWith('HTTP/1.1 101') ? nodeExpected + MESSAGE : nodeExpected, `server mode, ${how}: ${name}`);
      }
    }
    // Nothing got stuck: both still serve.
    for (const { port: p } of [port, server]) assert.equal(await exchange(p, U(), false), ACCEPTED + MESSAGE);
    t.diagnostic(`${CASES.length} cases, each against both parsers`);
  } finally {
    await Promise.all([port.stop(), server.stop()]);
  }
});

test('hostile request heads: the bytes after a head with Content-Length or chunked framing belong to the WebSocket, on both paths', { timeout: 20000 }, async () => {
  for (const mode of ['port', 'server']) {
    const server = await startServer(sockwire, {}, { mode, onConnection: echo });
    try {
      for (const headers of [{ 'Content-Length': '3' }, { 'Transfer-Encoding': 'chunked' }]) {
        // The frame right after the head is read as a frame, not as a body (an upgrade has no content).
        const request = U(headers) + '\x81\x82\0\0\0\0hi';
        const got = await bounded(exchange(server.port, request, false), `${mode} ${JSON.stringify(headers)}`, 12000);
        assert.equal(got, ACCEPTED + '\x81\x02hi' + MESSAGE, `${mode} mode, ${JSON.stringify(headers)}`);
      }
    } finally {
      await server.stop();
    }
  }
});

function echo(socket) {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
}
