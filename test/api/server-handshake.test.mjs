// WebSocketServer opening handshake (SPEC §3, RFC 6455 §4.2): the 101 response, the 426 for plain HTTP, every
// rejection with its exact raw bytes and in its documented order, path/shouldHandle and handleProtocols.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { test } from 'node:test';

import { WebSocket, WebSocketServer } from '../helpers/impl.mjs';
import {
  ACCEPT,
  SUCCESS_HEAD,
  KEY,
  onceEvent,
  openRaw,
  rejection,
  sendRaw,
  startServer,
  stopServer,
  exitGuard,
  upgradeRequest,
} from '../helpers/server-helpers.mjs';

const T = { timeout: 15000 };
exitGuard();

const R405 = rejection(405, 'Method Not Allowed', 'Invalid HTTP method');
const R400_UPGRADE = rejection(400, 'Bad Request', 'Invalid Upgrade header');
const R400_KEY = rejection(400, 'Bad Request', 'Missing or invalid Sec-WebSocket-Key header');
const R400_VERSION = rejection(400, 'Bad Request', 'Missing or invalid Sec-WebSocket-Version header', [
  'Sec-WebSocket-Version: 13, 8',
]);
const R400_PATH = rejection(400, 'Bad Request', 'Bad Request');
const R400_PROTOCOL = rejection(400, 'Bad Request', 'Invalid Sec-WebSocket-Protocol header');
const R400_EXTENSIONS = rejection(400, 'Bad Request', 'Invalid or unacceptable Sec-WebSocket-Extensions header');

/** Start a server that must never accept a connection in the rejection tests. */
async function rejectingServer(t, options = {}) {
  const wss = await startServer(t, options);
  let connections = 0;
  wss.on('connection', () => {
    connections += 1;
  });
  return { wss, port: wss.address().port, connections: () => connections };
}

test('plain HTTP request to the internal server gets 426 "Upgrade Required"', T, async (t) => {
  const wss = await startServer(t);
  const req = http.get({ host: '127.0.0.1', port: wss.address().port, path: '/', agent: false });
  const [res] = await onceEvent(req, 'response');
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    body += chunk;
  });
  await onceEvent(res, 'end');
  assert.equal(res.statusCode, 426);
  assert.equal(res.statusMessage, 'Upgrade Required');
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['content-length'], '16');
  assert.equal(body, 'Upgrade Required');
  await stopServer(wss);
});

test('successful upgrade writes exactly the 101 head with the RFC 6455 §1.3 accept value', T, async (t) => {
  const wss = await startServer(t);
  const connected = onceEvent(wss, 'connection');
  const { socket, head, rest } = await openRaw(wss.address().port, upgradeRequest());
  assert.equal(head, SUCCESS_HEAD);
  assert.equal(rest.length, 0);
  await connected;
  socket.destroy();
  await stopServer(wss);
});

test('accept value is base64(SHA-1(key + GUID)) for a random key; Upgrade is case-insensitive', T, async (t) => {
  const wss = await startServer(t);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ headers: { Upgrade: 'WebSocket', 'Sec-WebSocket-Key': key } }),
  );
  assert.equal(head, SUCCESS_HEAD.replace(ACCEPT, accept));
  socket.destroy();
  await stopServer(wss);
});

test('Sec-WebSocket-Version 8 is accepted', T, async (t) => {
  const wss = await startServer(t);
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8' } }),
  );
  assert.equal(head, SUCCESS_HEAD);
  socket.destroy();
  await stopServer(wss);
});

test('check 1: method not GET gets 405 "Invalid HTTP method"', T, async (t) => {
  const s = await rejectingServer(t);
  for (const method of ['POST', 'PUT', 'HEAD']) {
    assert.equal(await sendRaw(s.port, upgradeRequest({ method })), R405, method);
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('check 2: Upgrade not "websocket" gets 400 "Invalid Upgrade header"', T, async (t) => {
  const s = await rejectingServer(t);
  for (const value of ['foo', 'websocket, foo', 'websockets']) {
    assert.equal(await sendRaw(s.port, upgradeRequest({ headers: { Upgrade: value } })), R400_UPGRADE, value);
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('check 3: missing or invalid Sec-WebSocket-Key gets 400', T, async (t) => {
  const s = await rejectingServer(t);
  const keys = [
    null, // missing
    'abc', // too short
    'AAAAAAAAAAAAAAAAAAAAAAAA', // 24 chars but 18 bytes
    'AAAAAAAAAAAAAAAAAAAAAA', // 16 bytes without padding
    'AAAAAAAAAAAAAAAAAAAAA*==', // not base64
  ];
  for (const key of keys) {
    assert.equal(
      await sendRaw(s.port, upgradeRequest({ headers: { 'Sec-WebSocket-Key': key } })),
      R400_KEY,
      String(key),
    );
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('check 4: Sec-WebSocket-Version not 13 or 8 gets 400 with "Sec-WebSocket-Version: 13, 8"', T, async (t) => {
  const s = await rejectingServer(t);
  for (const version of [null, '12', '7', '14', 'abc']) {
    assert.equal(
      await sendRaw(s.port, upgradeRequest({ headers: { 'Sec-WebSocket-Version': version } })),
      R400_VERSION,
      String(version),
    );
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('check 5: path mismatch (shouldHandle false) gets 400 "Bad Request"', T, async (t) => {
  const s = await rejectingServer(t, { path: '/chat' });
  for (const path of ['/', '/chat/', '/Chat', '/chatroom', '/other?x=/chat']) {
    assert.equal(await sendRaw(s.port, upgradeRequest({ path })), R400_PATH, path);
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('check 6: unparsable Sec-WebSocket-Protocol gets 400', T, async (t) => {
  const s = await rejectingServer(t);
  for (const value of ['a, a', 'a,,b', 'a b', 'a;b', ',', '']) {
    assert.equal(
      await sendRaw(s.port, upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': value } })),
      R400_PROTOCOL,
      JSON.stringify(value),
    );
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('check 7: unparsable or unacceptable Sec-WebSocket-Extensions gets 400 (perMessageDeflate on)', T, async (t) => {
  const s = await rejectingServer(t, { perMessageDeflate: true });
  const values = [
    'x;;', // grammar error
    'permessage-deflate; foo=1', // unknown parameter
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover', // duplicate
    'permessage-deflate; server_max_window_bits=7', // out of range
    'permessage-deflate; server_no_context_takeover=1', // value where none is allowed
  ];
  for (const value of values) {
    assert.equal(
      await sendRaw(s.port, upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': value } })),
      R400_EXTENSIONS,
      value,
    );
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('Sec-WebSocket-Extensions is ignored when perMessageDeflate is off', T, async (t) => {
  const wss = await startServer(t);
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'x;;' } }),
  );
  assert.equal(head, SUCCESS_HEAD);
  socket.destroy();
  await stopServer(wss);
});

test('checks run in the documented order: the first failing check decides the response', T, async (t) => {
  const s = await rejectingServer(t, { path: '/ok', perMessageDeflate: true, verifyClient: () => false });
  const all = {
    Upgrade: 'foo',
    'Sec-WebSocket-Key': 'bad',
    'Sec-WebSocket-Version': '99',
    'Sec-WebSocket-Protocol': 'a, a',
    'Sec-WebSocket-Extensions': 'x;;',
  };
  const cases = [
    [{ method: 'POST', path: '/no', headers: all }, R405],
    [{ path: '/no', headers: all }, R400_UPGRADE],
    [{ path: '/no', headers: { ...all, Upgrade: 'websocket' } }, R400_KEY],
    [{ path: '/no', headers: { ...all, Upgrade: 'websocket', 'Sec-WebSocket-Key': KEY } }, R400_VERSION],
    [
      {
        path: '/no',
        headers: { ...all, Upgrade: 'websocket', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' },
      },
      R400_PATH,
    ],
    [
      {
        path: '/ok',
        headers: { ...all, Upgrade: 'websocket', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' },
      },
      R400_PROTOCOL,
    ],
    [
      {
        path: '/ok',
        headers: {
          ...all,
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': KEY,
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Protocol': 'a',
        },
      },
      R400_EXTENSIONS,
    ],
    [{ path: '/ok', headers: { 'Sec-WebSocket-Protocol': 'a' } }, rejection(401, 'Unauthorized', 'Unauthorized')],
  ];
  for (const [request, expected] of cases) {
    assert.equal(await sendRaw(s.port, upgradeRequest(request)), expected, expected.split('\r\n')[0]);
  }
  assert.equal(s.connections(), 0);
  await stopServer(s.wss);
});

test('path: matches only the part before "?"', T, async (t) => {
  const wss = await startServer(t, { path: '/chat' });
  const urls = [];
  wss.on('connection', (ws, req) => urls.push(req.url));
  for (const path of ['/chat', '/chat?room=1']) {
    const connected = onceEvent(wss, 'connection');
    const { socket, head } = await openRaw(wss.address().port, upgradeRequest({ path }));
    assert.equal(head, SUCCESS_HEAD, path);
    await connected;
    socket.destroy();
  }
  assert.deepEqual(urls, ['/chat', '/chat?room=1']);
  await stopServer(wss);
});

test('shouldHandle(req): default implementation of path, and true without a path', T, () => {
  // noServer mode: shouldHandle only reads req.url.
  const withPath = new WebSocketServer({ noServer: true, path: '/p' });
  assert.equal(withPath.shouldHandle({ url: '/p' }), true);
  assert.equal(withPath.shouldHandle({ url: '/p?x=1' }), true);
  assert.equal(withPath.shouldHandle({ url: '/p/' }), false);
  assert.equal(withPath.shouldHandle({ url: '/q' }), false);
  const withoutPath = new WebSocketServer({ noServer: true });
  assert.equal(withoutPath.shouldHandle({ url: '/anything' }), true);
});

test('shouldHandle can be overridden; false gets 400 "Bad Request" and it receives the request', T, async (t) => {
  const wss = await startServer(t);
  const seen = [];
  wss.shouldHandle = (req) => {
    seen.push(req.headers['x-allow']);
    return req.headers['x-allow'] === 'yes';
  };
  assert.equal(await sendRaw(wss.address().port, upgradeRequest({ headers: { 'X-Allow': 'no' } })), R400_PATH);
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(wss.address().port, upgradeRequest({ headers: { 'X-Allow': 'yes' } }));
  assert.equal(head, SUCCESS_HEAD);
  await connected;
  assert.deepEqual(seen, ['no', 'yes']);
  socket.destroy();
  await stopServer(wss);
});

test('handleProtocols gets a Set of the offered protocols and the request; its choice is sent', T, async (t) => {
  const calls = [];
  const wss = await startServer(t, {
    handleProtocols: (protocols, req) => {
      calls.push({ isSet: protocols instanceof Set, list: [...protocols], url: req.url });
      return 'two';
    },
  });
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ path: '/hp', headers: { 'Sec-WebSocket-Protocol': 'one,  two' } }),
  );
  const [ws] = await connected;
  assert.equal(head, SUCCESS_HEAD.replace('\r\n\r\n', '\r\nSec-WebSocket-Protocol: two\r\n\r\n'));
  assert.deepEqual(calls, [{ isSet: true, list: ['one', 'two'], url: '/hp' }]);
  assert.equal(ws.protocol, 'two');
  socket.destroy();
  await stopServer(wss);
});

test('handleProtocols returning false: no Sec-WebSocket-Protocol line, protocol is ""', T, async (t) => {
  const wss = await startServer(t, { handleProtocols: () => false });
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'chat' } }),
  );
  const [ws] = await connected;
  assert.equal(head, SUCCESS_HEAD);
  assert.equal(ws.protocol, '');
  socket.destroy();
  await stopServer(wss);
});

test('handleProtocols is not called when no protocol is offered', T, async (t) => {
  let calls = 0;
  const wss = await startServer(t, {
    handleProtocols: () => {
      calls += 1;
      return 'x';
    },
  });
  const { socket, head } = await openRaw(wss.address().port, upgradeRequest());
  assert.equal(head, SUCCESS_HEAD);
  assert.equal(calls, 0);
  socket.destroy();
  await stopServer(wss);
});

test('without handleProtocols the first offered protocol is chosen (raw and with the client class)', T, async (t) => {
  const wss = await startServer(t);
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'b, a' } }),
  );
  assert.equal(head, SUCCESS_HEAD.replace('\r\n\r\n', '\r\nSec-WebSocket-Protocol: b\r\n\r\n'));
  socket.destroy();

  const serverSide = onceEvent(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`, ['x', 'y']);
  await onceEvent(client, 'open');
  const [ws] = await serverSide;
  assert.equal(client.protocol, 'x');
  assert.equal(ws.protocol, 'x');
  client.terminate();
  await stopServer(wss);
});

test("'headers' fires before 'connection' with the header lines and req; added lines reach the wire", T, async (t) => {
  const wss = await startServer(t);
  const order = [];
  let captured;
  wss.on('headers', (headers, req) => {
    order.push('headers');
    captured = { lines: [...headers], url: req.url, isArray: Array.isArray(headers) };
    headers.push('X-Added: 1', 'Set-Cookie: a=b');
  });
  wss.on('connection', () => order.push('connection'));
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(wss.address().port, upgradeRequest({ path: '/h?q' }));
  await connected;
  assert.deepEqual(captured, {
    isArray: true,
    url: '/h?q',
    lines: [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${ACCEPT}`,
    ],
  });
  assert.equal(head, SUCCESS_HEAD.replace('\r\n\r\n', '\r\nX-Added: 1\r\nSet-Cookie: a=b\r\n\r\n'));
  assert.deepEqual(order, ['headers', 'connection']);
  socket.destroy();
  await stopServer(wss);
});

test("'headers' array includes the chosen protocol and negotiated extension", T, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: true });
  let lines;
  wss.on('headers', (headers) => {
    lines = [...headers];
  });
  const { socket, head } = await openRaw(
    wss.address().port,
    upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'p', 'Sec-WebSocket-Extensions': 'permessage-deflate' } }),
  );
  assert.deepEqual(lines, [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${ACCEPT}`,
    'Sec-WebSocket-Protocol: p',
    'Sec-WebSocket-Extensions: permessage-deflate',
  ]);
  assert.equal(head, `${lines.join('\r\n')}\r\n\r\n`);
  socket.destroy();
  await stopServer(wss);
});
