// Opening handshake computations (RFC 6455 §4), checked against fixed vectors and, byte for byte, against what a
// real ws 8 server and client do on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';

const require = createRequire(import.meta.url);
const handshake = require('../../dist/cjs/core/handshake.js');
const {
  acceptKey,
  generateKey,
  isValidKey,
  statusText,
  checkUpgradeRequest,
  checkRequestedProtocols,
  formatHttpRejection,
  formatAcceptHeaders,
  checkServerResponse
} = handshake;
const WebSocket = require('ws');
const { WebSocketServer } = WebSocket;

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// Loopback helpers (port 0, 127.0.0.1; every socket and server is closed by the helper that opened it).

/** Send `text` on a fresh connection; resolve with every byte received until the peer ends (or a full 101 head). */
function exchange(port, text) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const sofar = Buffer.concat(chunks).toString('latin1');
      if (sofar.startsWith('HTTP/1.1 101 ') && sofar.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('end', () => socket.end());
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function startWsServer(options) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => wss.once('listening', resolve));
  return wss;
}

async function stopWsServer(wss) {
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(() => resolve()));
}

/** A raw request and the header object Node would parse from it (names lower-cased, values trimmed). */
function buildRequest({ method = 'GET', path = '/', headers = {} }) {
  const all = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...headers
  };
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  const parsed = { host: '127.0.0.1' };
  for (const [name, value] of Object.entries(all)) {
    if (value === null) continue;
    lines.push(`${name}: ${value}`);
    parsed[name.toLowerCase()] = value.trim();
  }
  return { text: `${lines.join('\r\n')}\r\n\r\n`, req: { method, headers: parsed } };
}

// Keys.

test('RFC 6455 §1.3 accept-key vector', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  const expected = createHash('sha1').update(`x${GUID}`).digest('base64');
  assert.equal(acceptKey('x'), expected);
});

test('generateKey gives 16 fresh bytes in base64 that pass isValidKey', () => {
  const seen = new Set();
  for (let i = 0; i < 64; i++) {
    const key = generateKey();
    assert.equal(key.length, 24);
    assert.equal(Buffer.from(key, 'base64').length, 16);
    assert.equal(Buffer.from(key, 'base64').toString('base64'), key);
    assert.equal(isValidKey(key), true);
    seen.add(key);
  }
  assert.equal(seen.size, 64);
});

test('isValidKey matches ws: 22 base64 characters then "=="', () => {
  const valid = [KEY, 'AAAAAAAAAAAAAAAAAAAAAA==', 'AAAAAAAAAAAAAAAAAAAAAB==', 'AAAAAAAAAAAAAAAAAAAA+/==', [KEY]];
  const invalid = [
    undefined, null, 16, '', 'abc', 'AAAAAAAAAAAAAAAAAAAAAA=', 'AAAAAAAAAAAAAAAAAAAAAAAA', '-_AAAAAAAAAAAAAAAAAAAA==',
    'AAAAAAAAAAAAAAAAAAAAA===', `${KEY} `, ` ${KEY}`, 'AAAAAAAAAAAAAAAAAAAAAAA=', 'AAAAAAAAAAAAAAAAAAAAAA=A',
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', [KEY, KEY], {}, `${KEY}\n`
  ];
  for (const key of valid) assert.equal(isValidKey(key), true, String(key));
  for (const key of invalid) assert.equal(isValidKey(key), false, String(key));
});

// Server-side checks.

const BAD_VERSION = {
  status: 400,
  message: 'Missing or invalid Sec-WebSocket-Version header',
  headers: { 'Sec-WebSocket-Version': '13, 8' },
  clientError: true
};

test('checkUpgradeRequest: each failure, its status, message and flag, in ws order', () => {
  const check = (method, headers) => checkUpgradeRequest({ method, headers });
  const good = { upgrade: 'websocket', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' };
  assert.equal(check('GET', good), null);
  assert.equal(check('GET', { ...good, upgrade: 'WebSocket', 'sec-websocket-version': '8' }), null);
  assert.deepEqual(check('POST', good), { status: 405, message: 'Invalid HTTP method', clientError: true });
  assert.deepEqual(check(undefined, good), { status: 405, message: 'Invalid HTTP method', clientError: true });
  const badUpgrade = { status: 400, message: 'Invalid Upgrade header', clientError: true };
  assert.deepEqual(check('GET', { ...good, upgrade: undefined }), badUpgrade);
  assert.deepEqual(check('GET', { ...good, upgrade: 'websocket, h2c' }), badUpgrade);
  const badKey = { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header', clientError: true };
  assert.deepEqual(check('GET', { ...good, 'sec-websocket-key': undefined }), badKey);
  assert.deepEqual(check('GET', { ...good, 'sec-websocket-key': 'abc' }), badKey);
  assert.deepEqual(check('GET', { ...good, 'sec-websocket-version': undefined }), BAD_VERSION);
  assert.deepEqual(check('GET', { ...good, 'sec-websocket-version': '7' }), BAD_VERSION);
  assert.deepEqual(check('GET', { ...good, 'sec-websocket-version': '' }), BAD_VERSION);
  // Repeated headers given as lists read as Node would join them.
  const lists = { upgrade: ['websocket'], 'sec-websocket-key': [KEY], 'sec-websocket-version': ['13'] };
  assert.equal(check('GET', lists), null);
  assert.deepEqual(check('GET', { ...good, 'sec-websocket-version': ['13', '8'] }), BAD_VERSION);
  // The first failing check wins.
  assert.equal(check('PUT', {}).status, 405);
  assert.equal(check('GET', { 'sec-websocket-version': '1' }).message, 'Invalid Upgrade header');
  assert.equal(check('GET', { upgrade: 'websocket' }).message, 'Missing or invalid Sec-WebSocket-Key header');
});

test('checkRequestedProtocols: absent → empty set; bad → 400', () => {
  assert.deepEqual(checkRequestedProtocols({ headers: {} }), { protocols: new Set() });
  assert.deepEqual(checkRequestedProtocols({ headers: { 'sec-websocket-protocol': 'a, b' } }), {
    protocols: new Set(['a', 'b'])
  });
  const fromList = checkRequestedProtocols({ headers: { 'sec-websocket-protocol': ['a', 'b'] } });
  assert.deepEqual(fromList.protocols, new Set(['a', 'b']));
  const bad = { status: 400, message: 'Invalid Sec-WebSocket-Protocol header', clientError: true };
  for (const header of ['', 'a,,b', 'a,a', 'a b', 'a,']) {
    assert.deepEqual(checkRequestedProtocols({ headers: { 'sec-websocket-protocol': header } }), bad, header);
  }
});

test('formatHttpRejection: exact bytes', () => {
  assert.equal(
    formatHttpRejection(405, 'Invalid HTTP method'),
    'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 19\r\n\r\n' +
      'Invalid HTTP method'
  );
  assert.equal(
    formatHttpRejection(400, 'Missing or invalid Sec-WebSocket-Version header', { 'Sec-WebSocket-Version': '13, 8' }),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 47\r\n' +
      'Sec-WebSocket-Version: 13, 8\r\n\r\nMissing or invalid Sec-WebSocket-Version header'
  );
  assert.equal(
    formatHttpRejection(503),
    'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 19\r\n\r\n' +
      'Service Unavailable'
  );
  // Content-Length counts UTF-8 bytes; a same-named header replaces the default in place.
  assert.equal(
    formatHttpRejection(401, 'é', { 'Content-Type': 'text/plain', 'X-A': 1 }),
    'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nX-A: 1\r\n' +
      '\r\né'
  );
  // An unknown status reads "undefined" in the status line, as ws writes it; with no message the body is empty.
  assert.equal(
    formatHttpRejection(599),
    'HTTP/1.1 599 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n'
  );
  const polluting = JSON.parse('{"__proto__": "x"}');
  assert.match(formatHttpRejection(400, 'm', polluting), /\r\n__proto__: x\r\n\r\nm$/);
  assert.equal(Object.keys(Object.prototype).length, 0);
});

test('statusText matches node:http STATUS_CODES for every code', () => {
  for (let code = 100; code < 600; code++) assert.equal(statusText(code), STATUS_CODES[code], String(code));
  assert.equal(statusText(0), undefined);
});

// Raw requests sent to a real ws server; the expected response is computed from our checks and formatters.
const SERVER_CASES = [
  {},
  { method: 'POST' },
  { method: 'PUT', headers: { 'Sec-WebSocket-Key': 'bad' } },
  { headers: { Upgrade: 'h2c' } },
  { headers: { Upgrade: 'WebSocket' } },
  { headers: { Upgrade: 'websocket, h2c' } },
  { headers: { 'Sec-WebSocket-Key': null } },
  { headers: { 'Sec-WebSocket-Key': 'abc' } },
  { headers: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAB==' } },
  { headers: { 'Sec-WebSocket-Key': '-_AAAAAAAAAAAAAAAAAAAA==' } },
  { headers: { 'Sec-WebSocket-Version': null } },
  { headers: { 'Sec-WebSocket-Version': '8' } },
  { headers: { 'Sec-WebSocket-Version': '7' } },
  { headers: { 'Sec-WebSocket-Version': '013' } },
  { headers: { 'Sec-WebSocket-Version': '1e1' } },
  { headers: { Upgrade: 'x', 'Sec-WebSocket-Key': null } },
  { headers: { 'Sec-WebSocket-Key': 'x', 'Sec-WebSocket-Version': null } },
  { headers: { 'Sec-WebSocket-Version': '99', 'Sec-WebSocket-Protocol': 'a,,b' } },
  { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } },
  { headers: { 'Sec-WebSocket-Protocol': 'a, a' } },
  { headers: { 'Sec-WebSocket-Protocol': 'chat, x' } }
];

/** What our core says the server should answer to `req`. */
function expectedServerResponse(req) {
  const rejection = checkUpgradeRequest(req);
  if (rejection) return formatHttpRejection(rejection.status, rejection.message, rejection.headers);
  const requested = checkRequestedProtocols(req);
  if (!('protocols' in requested)) return formatHttpRejection(requested.status, requested.message);
  const [protocol] = requested.protocols;
  return `${formatAcceptHeaders(req.headers['sec-websocket-key'], protocol).join('\r\n')}\r\n\r\n`;
}

test('every server response matches ws 8 byte for byte', async () => {
  const wss = await startWsServer({});
  try {
    const port = wss.address().port;
    let rejected = 0;
    for (const spec of SERVER_CASES) {
      const { text, req } = buildRequest(spec);
      const expected = expectedServerResponse(req);
      if (!expected.startsWith('HTTP/1.1 101 ')) rejected++;
      const actual = await exchange(port, text);
      assert.equal(actual.toString('utf8'), expected, JSON.stringify(spec));
    }
    assert.ok(rejected >= 13, `rejections covered: ${rejected}`);
  } finally {
    await stopWsServer(wss);
  }
});

test("failures flagged clientError are exactly those ws sends to 'wsClientError', same message", async () => {
  const wss = await startWsServer({});
  const seen = [];
  wss.on('wsClientError', (error, socket) => {
    seen.push(error.message);
    socket.destroy();
  });
  try {
    const port = wss.address().port;
    for (const spec of SERVER_CASES) {
      const { text, req } = buildRequest(spec);
      const rejection = checkUpgradeRequest(req) ?? checkRequestedProtocols(req);
      const before = seen.length;
      await exchange(port, text);
      if ('status' in rejection) {
        assert.equal(rejection.clientError, true);
        assert.deepEqual(seen.slice(before), [rejection.message], JSON.stringify(spec));
      } else {
        assert.equal(seen.length, before, JSON.stringify(spec));
      }
    }
  } finally {
    await stopWsServer(wss);
  }
});

test("a missing Upgrade header (reachable through handleUpgrade) matches ws's bytes", async () => {
  const wss = new WebSocketServer({ noServer: true });
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const accepted = new Promise((resolve) => server.once('connection', resolve));
    const pending = exchange(server.address().port, '');
    const socket = await accepted;
    const req = { method: 'GET', url: '/', headers: { 'sec-websocket-key': KEY, 'sec-websocket-version': '13' } };
    wss.handleUpgrade(req, socket, Buffer.alloc(0), () => assert.fail('must not connect'));
    const rejection = checkUpgradeRequest(req);
    assert.equal(rejection.message, 'Invalid Upgrade header');
    assert.equal((await pending).toString(), formatHttpRejection(rejection.status, rejection.message));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('formatHttpRejection matches ws for verifyClient refusals and a path mismatch', async () => {
  const refusals = [
    [],
    [403],
    [403, 'Nope'],
    [401, ''],
    [418],
    [503],
    [599, 'x'],
    [401, 'héllo'],
    [401, 'm', { 'X-Foo': 'bar', 'WWW-Authenticate': 'Basic' }],
    [401, 'm', { 'Content-Type': 'text/plain', connection: 'keep-alive', 'Content-Length': '99' }]
  ];
  let current = [];
  const wss = await startWsServer({ verifyClient: (info, cb) => cb(false, ...current) });
  const pathWss = await startWsServer({ path: '/only' });
  try {
    for (const refusal of refusals) {
      current = refusal;
      const [status = 401, message, headers] = refusal;
      const actual = await exchange(wss.address().port, buildRequest({}).text);
      assert.equal(actual.toString('utf8'), formatHttpRejection(status, message, headers), JSON.stringify(refusal));
    }
    const actual = await exchange(pathWss.address().port, buildRequest({ path: '/other' }).text);
    assert.equal(actual.toString(), formatHttpRejection(400));
  } finally {
    await stopWsServer(wss);
    await stopWsServer(pathWss);
  }
});

test("formatAcceptHeaders matches the array of ws's 'headers' event", async () => {
  assert.deepEqual(formatAcceptHeaders(KEY), [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='
  ]);
  const wss = await startWsServer({ perMessageDeflate: true });
  const events = [];
  wss.on('headers', (headers) => events.push([...headers]));
  try {
    const port = wss.address().port;
    const cases = [
      [{}, undefined, undefined],
      [{ 'Sec-WebSocket-Protocol': 'chat, b' }, 'chat', undefined],
      [{ 'Sec-WebSocket-Extensions': 'permessage-deflate' }, undefined, 'permessage-deflate'],
      [{ 'Sec-WebSocket-Protocol': 'p', 'Sec-WebSocket-Extensions': 'permessage-deflate' }, 'p', 'permessage-deflate']
    ];
    for (const [headers, protocol, extensions] of cases) {
      const key = generateKey();
      const { text } = buildRequest({ headers: { ...headers, 'Sec-WebSocket-Key': key } });
      const bytes = await exchange(port, text);
      const lines = formatAcceptHeaders(key, protocol, extensions);
      assert.deepEqual(events.pop(), lines);
      assert.equal(bytes.toString(), `${lines.join('\r\n')}\r\n\r\n`);
    }
    assert.equal(events.length, 0);
  } finally {
    await stopWsServer(wss);
  }
});

// Client-side check of the server's response.

test('checkServerResponse: each message and the success shape', () => {
  const accept = acceptKey(KEY);
  const base = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': accept };
  const none = { key: KEY, protocols: [], extensionsOffered: [] };
  const pmd = { key: KEY, protocols: [], extensionsOffered: ['permessage-deflate'] };
  const fail = (message) => ({ ok: false, message });
  assert.deepEqual(checkServerResponse(base, none), { ok: true, protocol: '', extensions: null });
  assert.deepEqual(checkServerResponse({ ...base, upgrade: 'WebSocket' }, none).ok, true);
  assert.deepEqual(checkServerResponse({ ...base, upgrade: undefined }, none), fail('Invalid Upgrade header'));
  assert.deepEqual(
    checkServerResponse({ ...base, upgrade: 'x', 'sec-websocket-accept': 'y' }, none),
    fail('Invalid Upgrade header')
  );
  const badAccept = fail('Invalid Sec-WebSocket-Accept header');
  assert.deepEqual(checkServerResponse({ ...base, 'sec-websocket-accept': undefined }, none), badAccept);
  assert.deepEqual(checkServerResponse({ ...base, 'sec-websocket-accept': acceptKey('other') }, none), badAccept);
  const withProtocol = (p) => ({ ...base, 'sec-websocket-protocol': p });
  assert.deepEqual(
    checkServerResponse(withProtocol('a'), none),
    fail('Server sent a subprotocol but none was requested')
  );
  assert.deepEqual(
    checkServerResponse(withProtocol('A'), { ...none, protocols: ['a'] }),
    fail('Server sent an invalid subprotocol')
  );
  assert.deepEqual(checkServerResponse(base, { ...none, protocols: ['a'] }), fail('Server sent no subprotocol'));
  assert.deepEqual(checkServerResponse(withProtocol('b'), { ...none, protocols: ['a', 'b'] }), {
    ok: true,
    protocol: 'b',
    extensions: null
  });
  const withExt = (e) => ({ ...base, 'sec-websocket-extensions': e });
  assert.deepEqual(
    checkServerResponse(withExt('permessage-deflate'), none),
    fail('Server sent a Sec-WebSocket-Extensions header but no extension was requested')
  );
  assert.deepEqual(checkServerResponse(withExt('x;'), pmd), fail('Invalid Sec-WebSocket-Extensions header'));
  assert.deepEqual(
    checkServerResponse(withExt('permessage-deflate, x'), pmd),
    fail('Server indicated an extension that was not requested')
  );
  assert.deepEqual(
    checkServerResponse(withExt('__proto__'), pmd),
    fail('Server indicated an extension that was not requested')
  );
  const ok = checkServerResponse(withExt('permessage-deflate; client_max_window_bits=10'), pmd);
  assert.equal(ok.ok, true);
  assert.equal(Object.getPrototypeOf(ok.extensions), null);
  assert.deepEqual(JSON.parse(JSON.stringify(ok.extensions)), {
    'permessage-deflate': [{ client_max_window_bits: ['10'] }]
  });
});

/** Answer one ws client with `lines` (ACC = the right accept value); report what the client did. */
async function runClient(lines, protocols, options) {
  let sentKey;
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n') || sentKey !== undefined) return;
      sentKey = /\r\nsec-websocket-key: ([^\r]*)\r\n/i.exec(head)[1];
      socket.write(`${lines.map((line) => line.replace('ACC', acceptKey(sentKey))).join('\r\n')}\r\n\r\n`);
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.address().port}`, protocols, options);
    const result = await new Promise((resolve) => {
      let outcome;
      client.on('open', () => {
        outcome = { open: true, protocol: client.protocol };
        client.terminate();
      });
      client.on('error', (error) => {
        outcome ??= { error: error.message };
      });
      client.on('close', () => resolve(outcome));
    });
    return { result, key: sentKey };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Node's view of response header lines: lower-cased names, duplicates joined with ", ". */
function parseResponseHeaders(lines) {
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

test('checkServerResponse agrees with a real ws client on every response, in ws order', async () => {
  const head = ['HTTP/1.1 101 X', 'Upgrade: websocket', 'Connection: Upgrade'];
  const std = [...head, 'Sec-WebSocket-Accept: ACC'];
  const noPmd = { perMessageDeflate: false };
  const cases = [
    [std, undefined, {}],
    [['HTTP/1.1 101 X', 'Upgrade: WebSocket', 'Connection: Upgrade', 'Sec-WebSocket-Accept: ACC'], undefined, {}],
    [['HTTP/1.1 101 X', 'Upgrade: foo', 'Connection: Upgrade', 'Sec-WebSocket-Accept: nope'], undefined, {}],
    [[...head, 'Sec-WebSocket-Accept: nope'], undefined, {}],
    [head, undefined, {}],
    [[...head, 'Sec-WebSocket-Accept: x', 'Sec-WebSocket-Protocol: z'], undefined, {}],
    [[...std, 'Sec-WebSocket-Protocol: a'], undefined, {}],
    [[...std, 'Sec-WebSocket-Protocol: '], undefined, {}],
    [[...std, 'Sec-WebSocket-Protocol: '], ['a'], {}],
    [[...std, 'Sec-WebSocket-Protocol: b'], ['a'], {}],
    [std, ['a'], {}],
    [[...std, 'Sec-WebSocket-Protocol: b'], ['a', 'b'], {}],
    [[...std, 'Sec-WebSocket-Protocol: A'], ['a'], {}],
    [[...std, 'Sec-WebSocket-Protocol: a', 'Sec-WebSocket-Protocol: a'], ['a'], {}],
    [[...std, 'Sec-WebSocket-Extensions: permessage-deflate'], undefined, noPmd],
    [[...std, 'Sec-WebSocket-Extensions: '], undefined, noPmd],
    [[...std, 'Sec-WebSocket-Extensions: '], undefined, {}],
    [[...std, 'Sec-WebSocket-Extensions: foo;'], undefined, {}],
    [[...std, 'Sec-WebSocket-Extensions: foo'], undefined, {}],
    [[...std, 'Sec-WebSocket-Extensions: permessage-deflate, foo'], undefined, {}],
    [[...std, 'Sec-WebSocket-Extensions: permessage-deflate'], undefined, {}],
    [[...std, 'Sec-WebSocket-Extensions: __proto__'], undefined, {}],
    [[...std, 'Sec-WebSocket-Protocol: b', 'Sec-WebSocket-Extensions: foo;'], ['a'], {}],
    [[...std, 'Sec-WebSocket-Extensions: x', 'Sec-WebSocket-Protocol: b'], ['a'], noPmd]
  ];
  let errors = 0;
  for (const [lines, protocols, options] of cases) {
    const { result, key } = await runClient(lines, protocols, options);
    const sent = lines.map((line) => line.replace('ACC', acceptKey(key)));
    const verdict = checkServerResponse(parseResponseHeaders(sent), {
      key,
      protocols: protocols ?? [],
      extensionsOffered: options.perMessageDeflate === false ? [] : ['permessage-deflate']
    });
    const label = JSON.stringify([lines.slice(1), protocols, options]);
    if (result.error !== undefined) {
      errors++;
      assert.deepEqual(verdict, { ok: false, message: result.error }, label);
    } else {
      assert.equal(verdict.ok, true, label);
      assert.equal(verdict.protocol, result.protocol, label);
    }
  }
  assert.ok(errors >= 18, `error cases: ${errors}`);
});
