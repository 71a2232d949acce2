// SPEC §4: the opening handshake as the client sees it — request headers, the 'upgrade' and 'unexpected-response'
// events, and every handshake failure (error message, then 'close' 1006). The server is a raw TCP peer that writes
// crafted responses.
import assert from 'node:assert/strict';
import { ClientRequest, IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { once, record, eventNames } from '../helpers/client-events.mjs';
import { acceptKey, readRequest, startRawServer } from '../helpers/client-raw-server.mjs';

/** A 101 response for `request` with `extra` header lines. */
function switching(request, extra = []) {
  return (
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(request.headers['sec-websocket-key'])}`,
      ...extra
    ].join('\r\n') + '\r\n\r\n'
  );
}

/**
 * Connects a client to a raw server whose reply is `respond(request)` and records the client's events until
 * 'close'. An 'open' terminates the client so every run ends.
 */
async function handshake(t, respond, protocols, options) {
  const server = await startRawServer(async (socket) => {
    const request = await readRequest(socket);
    socket.write(respond(request));
    socket.resume();
  });
  t.after(() => server.close());
  const ws = new WebSocket(server.url, protocols, options);
  const states = [];
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close', 'message']);
  for (const name of ['upgrade', 'open', 'error', 'close']) ws.on(name, () => states.push([name, ws.readyState]));
  ws.on('open', () => ws.terminate());
  await done;
  return { ws, log, states };
}

/** Asserts the failure sequence: optional 'upgrade', then 'error' with `message`, then 'close' 1006 with no reason. */
async function assertFails(t, respond, message, { protocols, options, upgrade = true } = {}) {
  const { log, states } = await handshake(t, respond, protocols, options);
  assert.deepEqual(eventNames(log), upgrade ? ['upgrade', 'error', 'close'] : ['error', 'close']);
  const error = log.find((entry) => entry[0] === 'error')[1];
  assert.ok(error instanceof Error);
  assert.equal(error.message, message);
  const [, code, reason] = log.at(-1);
  assert.equal(code, 1006);
  assert.ok(Buffer.isBuffer(reason));
  assert.equal(reason.length, 0);
  // The socket is CLOSING when 'error' fires and CLOSED at 'close'.
  assert.deepEqual(states.slice(-2), [
    ['error', WebSocket.CLOSING],
    ['close', WebSocket.CLOSED]
  ]);
}

test('request carries the RFC 6455 §4.1 headers', async (t) => {
  let request;
  const { log } = await handshake(t, (r) => {
    request = r;
    return switching(r);
  });
  assert.deepEqual(eventNames(log), ['upgrade', 'open', 'close']);
  assert.match(request.requestLine, /^GET \/ HTTP\/1\.1$/);
  const h = request.headers;
  assert.equal(h.upgrade, 'websocket');
  assert.equal(h.connection, 'Upgrade');
  assert.equal(h['sec-websocket-version'], '13');
  assert.match(h['sec-websocket-key'], /^[A-Za-z0-9+/]{22}==$/);
  assert.equal(Buffer.from(h['sec-websocket-key'], 'base64').length, 16);
  assert.equal(h['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
  assert.match(h.host, /^127\.0\.0\.1:\d+$/);
  assert.equal(h['sec-websocket-protocol'], undefined);
  assert.equal(h.origin, undefined);
});

test('request offers the subprotocols in order, comma-separated', async (t) => {
  let request;
  await handshake(t, (r) => {
    request = r;
    return switching(r, ['Sec-WebSocket-Protocol: b']);
  }, ['a', 'b']);
  assert.equal(request.headers['sec-websocket-protocol'], 'a,b');
});

test("'upgrade'(res) fires before 'open' with the 101 response", async (t) => {
  const server = await startRawServer(async (socket) => {
    const request = await readRequest(socket);
    socket.write(switching(request, ['X-Extra: yes']));
    socket.resume();
  });
  t.after(() => server.close());
  const ws = new WebSocket(server.url);
  const order = [];
  let response;
  ws.on('upgrade', (res) => {
    order.push('upgrade');
    response = res;
    assert.equal(ws.readyState, WebSocket.CONNECTING);
  });
  ws.on('open', () => order.push('open'));
  await once(ws, 'open');
  assert.deepEqual(order, ['upgrade', 'open']);
  assert.ok(response instanceof IncomingMessage);
  assert.equal(response.statusCode, 101);
  assert.equal(response.headers['x-extra'], 'yes');
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.terminate();
  await once(ws, 'close');
});

test('non-101 response without listener → "Unexpected server response: 403", close 1006', async (t) => {
  await assertFails(t, () => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno', 'Unexpected server response: 403', {
    upgrade: false
  });
});

test('200 response → "Unexpected server response: 200"', async (t) => {
  await assertFails(t, () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'Unexpected server response: 200', {
    upgrade: false
  });
});

test("'unexpected-response'(req, res) replaces the error; the app then aborts", async (t) => {
  const server = await startRawServer(async (socket) => {
    await readRequest(socket);
    socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\nX-Why: token\r\n\r\nlogin!');
    socket.resume();
  });
  t.after(() => server.close());
  const ws = new WebSocket(server.url);
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close', 'unexpected-response']);
  let body = '';
  ws.on('unexpected-response', (req, res) => {
    assert.ok(req instanceof ClientRequest);
    assert.ok(res instanceof IncomingMessage);
    assert.equal(ws.readyState, WebSocket.CONNECTING);
    res.setEncoding('utf8');
    res.on('data', (chunk) => (body += chunk));
    res.on('end', () => ws.terminate());
  });
  await done;
  assert.deepEqual(eventNames(log), ['unexpected-response', 'error', 'close']);
  assert.equal(log[0][2].statusCode, 401);
  assert.equal(log[0][2].headers['x-why'], 'token');
  assert.equal(body, 'login!');
  assert.equal(log[1][1].message, 'WebSocket was closed before the connection was established');
  assert.equal(log[2][1], 1006);
});

test('wrong Sec-WebSocket-Accept → "Invalid Sec-WebSocket-Accept header"', async (t) => {
  const respond = () =>
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
  await assertFails(t, respond, 'Invalid Sec-WebSocket-Accept header');
});

test('missing Sec-WebSocket-Accept → "Invalid Sec-WebSocket-Accept header"', async (t) => {
  const respond = () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
  await assertFails(t, respond, 'Invalid Sec-WebSocket-Accept header');
});

test('wrong Upgrade value → "Invalid Upgrade header"', async (t) => {
  const respond = (r) => switching(r).replace('Upgrade: websocket', 'Upgrade: h2c');
  await assertFails(t, respond, 'Invalid Upgrade header');
});

test('101 without Upgrade is not an upgrade → "Unexpected server response: 101"', async (t) => {
  const respond = (r) => switching(r).replace('Upgrade: websocket\r\n', '');
  await assertFails(t, respond, 'Unexpected server response: 101', { upgrade: false });
});

test('Upgrade value is compared case-insensitively', async (t) => {
  const { log } = await handshake(t, (r) => switching(r).replace('Upgrade: websocket', 'Upgrade: WebSocket'));
  assert.deepEqual(eventNames(log), ['upgrade', 'open', 'close']);
});

test('subprotocol sent but none requested → error', async (t) => {
  const respond = (r) => switching(r, ['Sec-WebSocket-Protocol: chat']);
  await assertFails(t, respond, 'Server sent a subprotocol but none was requested');
});

test('subprotocol not among those requested → error', async (t) => {
  const respond = (r) => switching(r, ['Sec-WebSocket-Protocol: other']);
  await assertFails(t, respond, 'Server sent an invalid subprotocol', { protocols: ['chat'] });
});

test('no subprotocol although one was requested → error', async (t) => {
  await assertFails(t, (r) => switching(r), 'Server sent no subprotocol', { protocols: ['chat'] });
});

test('accepted subprotocol is exposed as ws.protocol; empty string otherwise', async (t) => {
  const chosen = await handshake(t, (r) => switching(r, ['Sec-WebSocket-Protocol: b']), ['a', 'b']);
  assert.equal(chosen.ws.protocol, 'b');
  const none = await handshake(t, (r) => switching(r));
  assert.equal(none.ws.protocol, '');
});

test('extensions header without an offer → error', async (t) => {
  const respond = (r) => switching(r, ['Sec-WebSocket-Extensions: permessage-deflate']);
  await assertFails(t, respond, 'Server sent a Sec-WebSocket-Extensions header but no extension was requested', {
    options: { perMessageDeflate: false }
  });
});

test('unparsable extensions header → "Invalid Sec-WebSocket-Extensions header"', async (t) => {
  const respond = (r) => switching(r, ['Sec-WebSocket-Extensions: permessage-deflate;;']);
  await assertFails(t, respond, 'Invalid Sec-WebSocket-Extensions header');
});

test('unacceptable permessage-deflate parameters → "Invalid Sec-WebSocket-Extensions header"', async (t) => {
  const respond = (r) => switching(r, ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99']);
  await assertFails(t, respond, 'Invalid Sec-WebSocket-Extensions header');
});

test('extension that was not offered → "Server indicated an extension that was not requested"', async (t) => {
  const respond = (r) => switching(r, ['Sec-WebSocket-Extensions: x-unknown']);
  await assertFails(t, respond, 'Server indicated an extension that was not requested');
});

test('accepted permessage-deflate → ws.extensions names it; empty string otherwise', async (t) => {
  const accepted = await handshake(t, (r) =>
    switching(r, ['Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover'])
  );
  assert.deepEqual(eventNames(accepted.log), ['upgrade', 'open', 'close']);
  assert.equal(accepted.ws.extensions, 'permessage-deflate');
  const declined = await handshake(t, (r) => switching(r));
  assert.equal(declined.ws.extensions, '');
});

test('server hangs up before answering → error, then close 1006', async (t) => {
  const server = await startRawServer(async (socket) => {
    await readRequest(socket);
    socket.destroy();
  });
  t.after(() => server.close());
  const ws = new WebSocket(server.url);
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'socket hang up');
  assert.equal(log[1][1], 1006);
});

test('connection refused → error ECONNREFUSED, then close 1006', async () => {
  const server = await startRawServer(() => {});
  const { port } = server;
  await server.close();
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const { log, done } = record(ws, ['open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].code, 'ECONNREFUSED');
  assert.equal(log[1][1], 1006);
  assert.equal(ws.readyState, WebSocket.CLOSED);
});
