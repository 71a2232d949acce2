// Issue 8 rows 1, 2, 3 and 18: abusive opening handshakes against a real server. Responses are compared byte for
// byte with ws (the reference); slow or never-finished handshakes must be dropped by a handshake timeout while a
// well-behaved client is still served; header grammar attacks must parse in linear time and never touch prototypes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';

import { acceptOf, bounded, KEY, MiB, openFds, sleep, sockwire, ws, upgradeRequest } from '../helpers/hostile-peer.mjs';

/** Send raw bytes, collect the whole response until the server closes (or 3 s pass), as latin1. */
function exchange(port, data) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    // Every exchange here ends with a full response; the guard only catches a hang (parsing a 1 MB header takes
    // seconds on a loaded machine).
    const guard = setTimeout(() => socket.destroy(), 20000);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A 101 keeps the connection open: stop once the head is complete.
      const text = Buffer.concat(chunks).toString('latin1');
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(data);
  });
}

/** A sockwire and a ws server with the same options (optionally on an http server of our own). */
async function pair(options = {}, httpOptions = null) {
  const servers = [];
  for (const lib of [sockwire, ws]) {
    let wss;
    let http1 = null;
    if (httpOptions === null) {
      wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    } else {
      http1 = http.createServer(httpOptions);
      wss = new lib.WebSocketServer({ server: http1, ...options });
      http1.listen(0, '127.0.0.1');
    }
    await bounded(new Promise((resolve) => (http1 ?? wss).once('listening', resolve)), 'listening');
    wss.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const port = (http1 ?? wss).address().port;
    servers.push({ wss, port, http1 });
  }
  const close = async () => {
    for (const { wss, http1 } of servers) {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
      if (http1) {
        http1.closeAllConnections();
        await new Promise((resolve) => http1.close(() => resolve()));
      }
    }
  };
  return { ours: servers[0], ref: servers[1], close };
}

const rejection = (status, text, body, extra = '') =>
  `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const accepted = (extra = '') => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(KEY)}\r\n${extra}\r\n`;
const VERSION_BODY = 'Missing or invalid Sec-WebSocket-Version header';
const KEY_BODY = 'Missing or invalid Sec-WebSocket-Key header';
const buried = `GET / HTTP/1.1\r\nHost: h\r\n${Array.from({ length: 2000 }, (_, i) => `a${i}:b\r\n`).join('')}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** Rows 2 and 18: request → exact response (same as ws). */
const REQUESTS = [
  ['POST', upgradeRequest({ method: 'POST' }), rejection(405, 'Method Not Allowed', 'Invalid HTTP method')],
  ['HTTP/1.0 is accepted', upgradeRequest({ version: 'HTTP/1.0' }), accepted()],
  ['missing Host is accepted', upgradeRequest({ headers: { Host: null } }), accepted()],
  ['15-byte key', upgradeRequest({ headers: { 'Sec-WebSocket-Key': Buffer.alloc(15, 1).toString('base64') } }), rejection(400, 'Bad Request', KEY_BODY)],
  ['17-byte key', upgradeRequest({ headers: { 'Sec-WebSocket-Key': Buffer.alloc(17, 1).toString('base64') } }), rejection(400, 'Bad Request', KEY_BODY)],
  ['key of 24 non-base64 chars', upgradeRequest({ headers: { 'Sec-WebSocket-Key': '!'.repeat(22) + '==' } }), rejection(400, 'Bad Request', KEY_BODY)],
  ['duplicated Sec-WebSocket-Key', upgradeRequest({ extraLines: [`Sec-WebSocket-Key: ${KEY}`] }), rejection(400, 'Bad Request', KEY_BODY)],
  ['version 7', upgradeRequest({ headers: { 'Sec-WebSocket-Version': '7' } }), rejection(400, 'Bad Request', VERSION_BODY, 'Sec-WebSocket-Version: 13, 8\r\n')],
  ['version 14', upgradeRequest({ headers: { 'Sec-WebSocket-Version': '14' } }), rejection(400, 'Bad Request', VERSION_BODY, 'Sec-WebSocket-Version: 13, 8\r\n')],
  ['duplicated version', upgradeRequest({ extraLines: ['Sec-WebSocket-Version: 13'] }), rejection(400, 'Bad Request', VERSION_BODY, 'Sec-WebSocket-Version: 13, 8\r\n')],
  ['version 8 is accepted', upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8' } }), accepted()],
  ['NUL in a header value', upgradeRequest({ headers: { 'X-A': 'a\0b' } }), 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'],
  ['CR in a header value', upgradeRequest({ headers: { 'X-A': 'a\rb' } }), 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'],
  ['NUL in the key', upgradeRequest({ headers: { 'Sec-WebSocket-Key': `${KEY.slice(0, 23)}\0` } }), 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'],
  ['one 64 KiB header line', upgradeRequest({ headers: { 'X-Big': 'a'.repeat(65536) } }), 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n'],
  ['5,000 headers', upgradeRequest({ extraLines: Array.from({ length: 5000 }, (_, i) => `x${i}: y`) }), 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n'],
  // Node keeps only the first 2,000 headers (maxHeadersCount), so the buried Upgrade is not seen.
  ['Upgrade buried after 2,000 headers', buried, rejection(400, 'Bad Request', 'Invalid Upgrade header')],
  ['Upgrade: h2c', 'GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', rejection(400, 'Bad Request', 'Invalid Upgrade header')],
  ['empty subprotocol items', upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': ',,,' } }), rejection(400, 'Bad Request', 'Invalid Sec-WebSocket-Protocol header')],
  ['subprotocols named after Object.prototype members', upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': '__proto__, constructor, hasOwnProperty' } }), accepted('Sec-WebSocket-Protocol: __proto__\r\n')]
];

// Port mode reads heads with sockwire's parser, server mode with Node's: both must give ws's answers.
for (const [mode, httpOptions] of [['port mode', null], ['server mode', {}]]) {
  test(`rows 2 and 18 (${mode}): hostile requests get exactly ws's response and the server keeps serving`, { timeout: 30000 }, async () => {
    const { ours, ref, close } = await pair({}, httpOptions);
    try {
      for (const [name, request, expected] of REQUESTS) {
        const got = await exchange(ours.port, request);
        assert.equal(got, expected, name);
        assert.equal(await exchange(ref.port, request), expected, `ws: ${name}`);
      }
      const fine = await exchange(ours.port, upgradeRequest());
      assert.equal(fine, accepted());
    } finally {
      await close();
    }
  });
}

test('row 3: extension offers named after Object.prototype members are refused or ignored, nothing polluted', { timeout: 15000 }, async () => {
  const { ours, ref, close } = await pair({ perMessageDeflate: true });
  try {
    const cases = [
      ['__proto__; constructor=1, permessage-deflate; hasOwnProperty', 'HTTP/1.1 400'],
      ['permessage-deflate; __proto__', 'HTTP/1.1 400'],
      ['permessage-deflate; constructor=15', 'HTTP/1.1 400'],
      ['__proto__; constructor=1, permessage-deflate', 'HTTP/1.1 101'],
      ['toString, valueOf; x=1', 'HTTP/1.1 101']
    ];
    for (const [header, status] of cases) {
      const request = upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': header } });
      const got = await exchange(ours.port, request);
      assert.ok(got.startsWith(status), `${header}: ${got.split('\r\n')[0]}`);
      assert.equal(got, await exchange(ref.port, request), header);
    }
  } finally {
    await close();
  }
  for (const header of ['__proto__', '__proto__; __proto__=1', 'a; constructor="x"; hasOwnProperty', 'constructor, prototype; valueOf=2']) {
    const parsed = sockwire.extension.parse(header);
    assert.deepEqual(Object.keys(parsed), Object.keys(ws.extension.parse(header)), header);
    for (const name of Object.keys(parsed)) assert.ok(Array.isArray(parsed[name]), `${header}: own array for ${name}`);
  }
  assert.deepEqual([...sockwire.subprotocol.parse('__proto__, constructor, hasOwnProperty')], ['__proto__', 'constructor', 'hasOwnProperty']);
  assert.equal(Object.prototype.constructor, Object);
  assert.equal({}.x, undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
  assert.deepEqual(Object.keys(Object.prototype), []);
});

/** 1 MB headers made of what makes naive grammars slow. */
function slowHeaders() {
  const size = MiB;
  const tokens = [];
  for (let i = 0, length = 0; length < size; i++) {
    tokens.push(`p${i}`);
    length += `p${i}`.length + 2;
  }
  return {
    separators: 'a' + ','.repeat(size),
    spaces: 'a' + ' '.repeat(size) + 'b',
    tabsAndCommas: 'a,\t'.repeat(size / 3),
    quotes: 'permessage-deflate; a="' + '\\"'.repeat(size / 2) + '"',
    semicolons: 'permessage-deflate' + ';'.repeat(size),
    manyParams: 'permessage-deflate' + '; x=1'.repeat(size / 5),
    manyTokens: tokens.join(', ')
  };
}

test('row 3: 1 MB Sec-WebSocket-Protocol / -Extensions headers parse in linear time and match ws', { timeout: 20000 }, async (t) => {
  const headers = slowHeaders();
  for (const [name, value] of Object.entries(headers)) {
    for (const [kind, ours, theirs] of [
      ['subprotocol', sockwire.subprotocol.parse, ws.subprotocol.parse],
      ['extension', sockwire.extension.parse, ws.extension.parse]
    ]) {
      const run = (parse) => {
        const start = process.hrtime.bigint();
        let outcome;
        try {
          const result = parse(value);
          outcome = result instanceof Set ? `set:${result.size}` : `object:${Object.keys(result).length}`;
        } catch (error) {
          outcome = `throws:${error.constructor.name}`;
        }
        return { outcome, ms: Number(process.hrtime.bigint() - start) / 1e6 };
      };
      const a = run(ours);
      const b = run(theirs);
      assert.equal(a.outcome, b.outcome, `${kind} ${name}`);
      t.diagnostic(`${kind} parse of 1 MB ${name}: ${a.outcome}, sockwire ${a.ms.toFixed(1)} ms, ws ${b.ms.toFixed(1)} ms`);
    }
  }
});

test('row 3: the same 1 MB headers through a real server (maxHeaderSize raised) are refused cleanly, like ws', { timeout: 120000 }, async () => {
  const { ours, ref, close } = await pair({ perMessageDeflate: true }, { maxHeaderSize: 4 * MiB });
  try {
    const headers = slowHeaders();
    for (const [name, value] of Object.entries(headers)) {
      for (const header of ['Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions']) {
        const request = upgradeRequest({ headers: { [header]: value } });
        const got = await exchange(ours.port, request);
        assert.match(got, /^HTTP\/1\.1 (101|400) /, `${header} ${name}`);
        assert.equal(got, await exchange(ref.port, request), `${header} ${name}`);
      }
    }
  } finally {
    await close();
  }
});

/**
 * Row 1: `count` slowloris sockets (half trickle a request line and a header byte every 200 ms, half never send a
 * byte). With `httpOptions` the server runs on an http server of ours configured with them (the documented way to
 * bound handshakes today); otherwise sockwire's own port-mode server gets `serverOptions`. Checks a well-behaved
 * client is served meanwhile (and survives the HTTP idle timeout once upgraded) and that descriptors come back.
 * Returns how long the last slow socket took to be dropped.
 */
async function slowloris(count, { httpOptions = null, idleTimeout = 0, serverOptions = {}, deadline }) {
  const fdsBefore = await openFds();
  let wss;
  let server = null;
  if (httpOptions === null) {
    // A backlog above the socket count: otherwise the kernel completes handshakes the server never accepts.
    wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', backlog: 4096, ...serverOptions });
    await bounded(new Promise((resolve) => wss.once('listening', resolve)), 'listening');
  } else {
    server = http.createServer(httpOptions);
    // Node's headersTimeout only starts at the first byte: silent sockets need the idle timeout.
    if (idleTimeout > 0) server.setTimeout(idleTimeout);
    wss = new sockwire.WebSocketServer({ server, ...serverOptions });
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    await bounded(new Promise((resolve) => server.once('listening', resolve)), 'listening');
  }
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  const port = (server ?? wss).address().port;
  const start = Date.now();
  const sockets = [];
  const closed = [];
  const timers = [];
  let client = null;
  try {
    for (let i = 0; i < count; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      // Read (and drop) whatever comes back: a socket nobody reads may never see the server's FIN, so its 'close'
      // would not tell that the server dropped it.
      socket.resume();
      closed.push(new Promise((resolve) => socket.once('close', () => resolve(Date.now() - start))));
      if (i % 2 === 0) {
        socket.once('connect', () => {
          socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
          timers.push(setInterval(() => socket.writable && socket.write('X'), 200));
        });
      }
      sockets.push(socket);
    }
    await sleep(100);
    // A legit client connects and round-trips while the server is full of slow sockets. Its waits share the bound
    // of the slow sockets themselves (`deadline`): on a busy machine, 2,000 connects in this process delay its
    // handshake by seconds, which the generic 5 s wait mistook for a hang.
    client = new sockwire.WebSocket(`ws://127.0.0.1:${port}/`);
    const echo = (text) =>
      bounded(new Promise((resolve, reject) => {
        client.once('message', (data) => (data.toString() === text ? resolve() : reject(new Error('bad echo'))));
        client.send(text);
      }), `legit client echo: ${text}`, deadline);
    await bounded(new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    }), 'legit client opens during slowloris', deadline);
    await echo('still here');
    const times = await bounded(Promise.all(closed), 'every slow socket dropped', deadline);
    for (const timer of timers) clearInterval(timer);
    // The upgraded connection is not subject to the handshake timeouts.
    assert.equal(client.readyState, 1);
    await echo('and still here');
    client.close();
    await bounded(new Promise((resolve) => (client.readyState === 3 ? resolve() : client.once('close', resolve))), 'client closed');
    await sleep(100);
    const fdsAfter = await openFds();
    if (fdsBefore >= 0) assert.ok(fdsAfter - fdsBefore <= 16, `descriptors leaked: ${fdsBefore} → ${fdsAfter}`);
    return Math.max(...times);
  } finally {
    for (const timer of timers) clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    if (client !== null) client.terminate();
    await new Promise((resolve) => wss.close(() => resolve()));
    if (server) await new Promise((resolve) => server.close(() => resolve()));
  }
}

// With the app's own http server, the bounds are Node's HTTP timeouts, not sockwire's: this variant measures Node and
// depends on how promptly its connection checks run, so it is one of the long variants (npm run test:hostile:long).
// sockwire's own bound is the port-mode handshakeTimeout test below, which always runs.
test('row 1 (long, SOCKWIRE_HOSTILE_LONG=1): 2,000 slowloris sockets are dropped by the HTTP layer\'s timeouts; a legit client is served meanwhile', {
  timeout: 45000,
  skip: process.env.SOCKWIRE_HOSTILE_LONG !== '1' && 'long variant: set SOCKWIRE_HOSTILE_LONG=1'
}, async (t) => {
  const slowest = await slowloris(2000, {
    httpOptions: { headersTimeout: 1000, requestTimeout: 1500, connectionsCheckingInterval: 100 },
    idleTimeout: 1000,
    // Node's connection checks run late on a loaded 2-core machine; the bound is for a hang, not for speed.
    deadline: 38000
  });
  t.diagnostic(`last slow socket dropped after ${slowest} ms (headersTimeout 1000 ms, idle timeout 1000 ms)`);
});

// Row 1 wants the bound inside sockwire: a port-mode server drops unfinished handshakes (silent sockets included)
// after a configurable `handshakeTimeout` (default ≤ 30 s). Fails until that option exists.
test('row 1: port-mode server option handshakeTimeout: 500 drops 2,000 slow or silent handshakes', { timeout: 30000 }, async (t) => {
  const slowest = await slowloris(2000, { serverOptions: { handshakeTimeout: 500 }, deadline: 8000 });
  t.diagnostic(`last slow socket dropped after ${slowest} ms (handshakeTimeout 500 ms)`);
});

test('row 1 (long, SOCKWIRE_HOSTILE_LONG=1): with the default port-mode server, unfinished handshakes are dropped within 30 s', {
  timeout: 60000,
  skip: process.env.SOCKWIRE_HOSTILE_LONG !== '1' && 'long variant: set SOCKWIRE_HOSTILE_LONG=1'
}, async (t) => {
  const slowest = await slowloris(200, { deadline: 35000 });
  t.diagnostic(`default server dropped the last slow socket after ${slowest} ms`);
});
