// HTTP CONNECT through a real tinyproxy (with and without BasicAuth): ws:// and wss:// tunnels, 407 without
// credentials, wrong credentials, 'unexpected-response' with the proxy's answer, credentials kept away from the
// target, and the data path (permessage-deflate, large messages, createWebSocketStream) byte-exact.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ClientRequest } from 'node:http';
import { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { peer } from '../helpers/peers.mjs';
import { startTinyproxy, waitFor } from '../helpers/proxies.mjs';
import { startRawServer } from '../helpers/client-raw-server.mjs';
import { checkDataPath, echoOnce, failOnce, startEchoServer, trustFixture, WebSocket } from '../helpers/proxy-targets.mjs';
import { once } from '../helpers/client-events.mjs';

const { skip } = peer('tinyproxy');
const AUTH = { user: 'alice', password: 's3cret' };
let open;
let authed;
let plain;
let secure;

before(async () => {
  if (skip) return;
  [open, authed, plain, secure] = await Promise.all([
    startTinyproxy(),
    startTinyproxy({ auth: AUTH }),
    startEchoServer(),
    startEchoServer({ secure: true })
  ]);
});

after(async () => {
  await Promise.all([open?.stop(), authed?.stop(), plain?.close(), secure?.close()]);
});

test('ws:// through tinyproxy: one CONNECT to the target, echo, close 1000', { skip }, async () => {
  const before = open.count(`127.0.0.1:${plain.port}`);
  const { data, code, ws } = await echoOnce(plain.url(), { proxy: open.url });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(code, 1000);
  assert.equal(ws.url, plain.url());
  assert.equal(open.count(`127.0.0.1:${plain.port}`), before + 1);
});

test('wss:// through tinyproxy: TLS to the target inside the tunnel, SNI and certificate of the target', { skip }, async () => {
  const before = open.count(`localhost:${secure.port}`);
  const { data, code } = await echoOnce(secure.url('localhost'), { proxy: open.url, ...trustFixture });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(code, 1000);
  assert.equal(secure.servernames.at(-1), 'localhost');
  assert.equal(open.count(`localhost:${secure.port}`), before + 1);
  // The target's own TLS rules still apply inside the tunnel: an untrusted certificate fails as it does directly.
  const untrusted = await failOnce(secure.url('localhost'), { proxy: open.url });
  assert.deepEqual(untrusted.names, ['error', 'close']);
  assert.equal(untrusted.error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  const mismatch = await failOnce(secure.url('localhost'), { proxy: open.url, ...trustFixture, servername: 'other.invalid' });
  assert.equal(mismatch.error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('BasicAuth: with the URL credentials the tunnel opens; the target never sees Proxy-Authorization', { skip }, async () => {
  const seen = plain.requests.length;
  const { data } = await echoOnce(plain.url(), { proxy: authed.url });
  assert.equal(data.toString(), 'hello through the proxy');
  const { data: overTls } = await echoOnce(secure.url('localhost'), { proxy: authed.url, ...trustFixture });
  assert.equal(overTls.toString(), 'hello through the proxy');
  const headers = plain.requests[seen];
  assert.equal(headers['proxy-authorization'], undefined);
  assert.equal(headers.authorization, undefined);
  assert.equal(headers.host, `127.0.0.1:${plain.port}`);
});

test('BasicAuth: the password is in no diagnostics message, nor in util.inspect of the WebSocket, its TLS socket or the refused request', { skip }, async (t) => {
  const messages = [];
  const channels = ['sockwire:websocket:open', 'undici:websocket:open'];
  const listeners = channels.map((name) => {
    const listener = (message) => messages.push([name, message]);
    subscribe(name, listener);
    return [name, listener];
  });
  t.after(() => listeners.forEach(([name, listener]) => unsubscribe(name, listener)));
  const wrong = 'wrong-secret-y';
  const secrets = [AUTH.password, wrong, ...[AUTH.password, wrong].map((password) => Buffer.from(`${AUTH.user}:${password}`).toString('base64'))];
  const assertClean = (value, label) => {
    const text = inspect(value, { depth: 10 });
    for (const secret of secrets) assert.ok(!text.includes(secret), `${label} shows ${secret}`);
  };
  // Connecting, and refused: the request (ws._req, and 'unexpected-response''s first argument) holds the tunnel.
  const refused = new WebSocket(plain.url(), { proxy: `http://${AUTH.user}:${wrong}@127.0.0.1:${authed.port}` });
  assertClean(refused, 'a connecting WebSocket');
  const [req, res] = await once(refused, 'unexpected-response', 10000);
  assert.equal(res.statusCode, 401);
  assertClean(req, 'the refused request');
  assertClean(res, 'the proxy\'s response');
  assertClean(refused, 'the refused WebSocket');
  refused.on('error', () => {});
  refused.terminate();
  await once(refused, 'close', 10000);
  for (const url of [plain.url(), secure.url('localhost')]) {
    const ws = new WebSocket(url, { proxy: authed.url, ...trustFixture });
    await once(ws, 'open', 10000);
    // The in-process echo server publishes its own side's 'open' too.
    const mine = messages.filter(([, message]) => message.websocket === ws);
    assert.deepEqual(mine.map(([name]) => name), channels, url);
    for (const [name, message] of mine) assertClean(message, `${url}: the ${name} message`);
    assertClean(ws, `${url}: the WebSocket`);
    assertClean(ws._socket, `${url}: its socket`);
    if (url.startsWith('wss:')) assert.ok(ws._socket instanceof TLSSocket);
    messages.length = 0;
    ws.close(1000);
    await once(ws, 'close', 10000);
  }
});

test('BasicAuth: no credentials → 407, WS_ERR_PROXY_AUTH_REQUIRED, error then close 1006', { skip }, async () => {
  const { names, error, code } = await failOnce(plain.url(), { proxy: `http://127.0.0.1:${authed.port}` });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(error.statusCode, 407);
  assert.equal(error.message, 'The proxy requires authentication: 407 Proxy Authentication Required');
  assert.equal(code, 1006);
});

test('BasicAuth: wrong credentials → WS_ERR_PROXY_AUTH_REQUIRED (tinyproxy answers 401), the password never in the message', { skip }, async () => {
  const { names, error, code } = await failOnce(plain.url(), { proxy: 'http://alice:wrong-secret-x@127.0.0.1:' + authed.port });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(error.statusCode, 401);
  assert.equal(error.message, 'The proxy rejected the credentials: 401 Unauthorized');
  assert.ok(!JSON.stringify({ message: error.message, stack: error.stack }).includes('wrong-secret-x'));
  assert.equal(code, 1006);
});

test("'unexpected-response' gets tinyproxy's 407 with headers and body; terminate() then closes 1006", { skip }, async () => {
  const ws = new WebSocket(plain.url(), { proxy: `http://127.0.0.1:${authed.port}` });
  const events = [];
  ws.on('error', (error) => events.push(['error', error.message]));
  const [req, res] = await once(ws, 'unexpected-response', 10000);
  assert.ok(req instanceof ClientRequest);
  assert.equal(req.protocol, 'http:');
  assert.equal(res.statusCode, 407);
  assert.equal(res.statusMessage, 'Proxy Authentication Required');
  assert.equal(res.headers['proxy-authenticate'], 'Basic realm="Tinyproxy"');
  const chunks = [];
  res.on('data', (chunk) => chunks.push(chunk));
  await once(res, 'end', 10000);
  assert.match(Buffer.concat(chunks).toString(), /<title>407 Proxy Authentication Required<\/title>/);
  assert.equal(ws.readyState, WebSocket.CONNECTING);
  ws.terminate();
  const [code] = await once(ws, 'close');
  assert.equal(code, 1006);
  assert.deepEqual(events, [['error', 'WebSocket was closed before the connection was established']]);
});

test('a URL object works as the proxy option', { skip }, async () => {
  const { data } = await echoOnce(plain.url(), { proxy: new URL(authed.url) });
  assert.equal(data.toString(), 'hello through the proxy');
});

test('a target that stalls behind the tunnel: handshakeTimeout fires as without a proxy', { skip }, async (t) => {
  const silent = await startRawServer((socket) => socket.resume());
  t.after(() => silent.close());
  const { names, error, code } = await failOnce(`ws://127.0.0.1:${silent.port}/`, { proxy: open.url, handshakeTimeout: 300 });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.message, 'Opening handshake has timed out');
  assert.equal(error.code, undefined);
  assert.equal(code, 1006);
  assert.equal(open.count(`127.0.0.1:${silent.port}`), 1);
  await waitFor(() => silent.sockets.size === 0, 5000, 'the target-side socket to close');
});

test('tinyproxy cannot reach the target → 500 → WS_ERR_PROXY_UNREACHABLE', { skip }, async () => {
  const { names, error } = await failOnce('ws://127.0.0.1:1/', { proxy: open.url });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(error.statusCode, 500);
  assert.equal(error.message, 'The proxy could not open the tunnel: 500 Unable to connect');
});

test('data path through tinyproxy: permessage-deflate, 4 MiB binary, compressible text, stream — byte-exact (ws:// and wss://)', { skip }, async () => {
  for (const [url, options] of [
    [plain.url(), { proxy: authed.url }],
    [secure.url('localhost'), { proxy: authed.url, ...trustFixture }]
  ]) {
    const result = await checkDataPath(url, options);
    assert.deepEqual(result, { extensions: 'permessage-deflate', largeExact: true, textExact: true, streamExact: true, code: 1000 }, url);
  }
});
