// The `proxy` option's checks (TypeErrors that never quote a URL) and redirects through a real tinyproxy with
// BasicAuth: each hop decides on its own proxy (no_proxy per hop), and no target ever sees the proxy credentials.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Agent } from 'node:http';
import { after, before, test } from 'node:test';
import { once, record, eventNames } from '../helpers/client-events.mjs';
import { readRequest, startRawServer } from '../helpers/client-raw-server.mjs';
import { peer } from '../helpers/peers.mjs';
import { startTinyproxy } from '../helpers/proxies.mjs';
import { echoOnce, startEchoServer, WebSocket } from '../helpers/proxy-targets.mjs';

const { skip } = peer('tinyproxy');
let proxy;
let target;
let redirector;
let redirectTo;

before(async () => {
  if (skip) return;
  [proxy, target] = await Promise.all([startTinyproxy({ auth: { user: 'alice', password: 's3cret' } }), startEchoServer()]);
  // Answers every upgrade request with a redirect to `redirectTo`, recording the request heads.
  redirector = await startRawServer(async (socket) => {
    const request = await readRequest(socket).catch(() => null);
    if (request === null) return;
    redirector.seen.push(request);
    socket.end(`HTTP/1.1 302 Found\r\nLocation: ${redirectTo}\r\nContent-Length: 0\r\n\r\n`);
  });
  redirector.seen = [];
});

after(async () => {
  await Promise.all([proxy?.stop(), target?.close(), redirector?.close()]);
});

/** Put environment variables back as they were (`undefined`: unset). */
function restore(saved) {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

test('TypeErrors: agent or createConnection with a proxy; bad values; credentials never quoted', () => {
  const url = 'ws://127.0.0.1:9/';
  const proxyUrl = 'http://user:hunter2@127.0.0.1:1';
  assert.throws(() => new WebSocket(url, { proxy: proxyUrl, agent: new Agent() }), {
    name: 'TypeError',
    message: 'The "agent" and "proxy" options cannot be used together'
  });
  assert.throws(() => new WebSocket(url, { proxy: 'env', createConnection: (options) => connect(options) }), {
    name: 'TypeError',
    message: 'The "createConnection" and "proxy" options cannot be used together'
  });
  const shape = 'The "proxy" option must be false, true, "env", a proxy URL or { url, headers, tls, timeout }';
  for (const bad of [42, null, {}, { url: 5 }, ['http://p']]) {
    assert.throws(() => new WebSocket(url, { proxy: bad }), { name: 'TypeError', message: shape }, String(bad));
  }
  const failures = [
    [{ proxy: 'ftp://user:hunter2@proxy:21' }, 'Invalid proxy URL in the "proxy" option: its scheme "ftp:" is not one of http:, https:, socks5:, socks5h:, socks4a:'],
    [{ proxy: 'http://user:hunter2@[bad' }, 'Invalid proxy URL in the "proxy" option: it is not a valid URL'],
    [{ proxy: `socks5://${'u'.repeat(256)}:hunter2@127.0.0.1:1` }, 'Invalid proxy URL in the "proxy" option: the SOCKS5 user name must be 1 to 255 bytes'],
    // RFC 1929 has no encoding for an empty password: a user name alone is refused when the socket is created.
    [{ proxy: 'socks5h://user@127.0.0.1:1' }, 'Invalid proxy URL in the "proxy" option: the SOCKS5 password must be 1 to 255 bytes'],
    [{ proxy: 'socks5://:hunter2@127.0.0.1:1' }, 'Invalid proxy URL in the "proxy" option: the SOCKS5 user name must be 1 to 255 bytes'],
    [{ proxy: { url: proxyUrl, timeout: -1 } }, 'The "proxy.timeout" option must be a non-negative number of milliseconds'],
    [{ proxy: { url: proxyUrl, headers: 'x' } }, 'The "proxy.headers" option must be an object']
  ];
  for (const [options, message] of failures) {
    assert.throws(() => new WebSocket(url, options), (error) => {
      assert.equal(error.name, 'TypeError');
      assert.equal(error.message, message);
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
  }
  assert.throws(() => new WebSocket(url, { proxy: { url: proxyUrl, headers: { 'X-Bad': 'a\r\nInjected: 1' } } }), { code: 'ERR_INVALID_CHAR' });
  assert.throws(() => new WebSocket(url, { proxy: { url: proxyUrl, headers: { 'Bad Name': 'v' } } }), { code: 'ERR_INVALID_HTTP_TOKEN' });
  // `proxy: false` with an agent is fine (no proxy).
  const ws = new WebSocket(url, { proxy: false, agent: new Agent() });
  ws.on('error', () => {});
  ws.terminate();
});

test('ws+unix: is never proxied', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'sockwire-unix-'));
  const server = await startRawServer(async (socket) => {
    const request = await readRequest(socket).catch(() => null);
    if (request !== null) socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
  }, { path: join(dir, 's.sock') });
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    return server.close();
  });
  const ws = new WebSocket(`ws+unix:${join(dir, 's.sock')}:/x`, { proxy: 'http://127.0.0.1:1' });
  const [error] = await once(ws, 'error');
  assert.equal(error.message, 'Unexpected server response: 418');
});

test('redirect through an explicit proxy: both hops tunnel, neither target sees the proxy credentials', { skip }, async () => {
  redirectTo = target.url('localhost', '/after');
  const seenBefore = target.requests.length;
  const { ws, data } = await echoOnce(`ws://127.0.0.1:${redirector.port}/first`, { proxy: proxy.url, followRedirects: true, headers: { 'X-App': 'kept' } });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(ws.url, target.url('localhost', '/after'));
  assert.equal(proxy.count(`127.0.0.1:${redirector.port}`), 1);
  assert.equal(proxy.count(`localhost:${target.port}`), 1);
  const first = redirector.seen.at(-1).headers;
  const second = target.requests[seenBefore];
  for (const headers of [first, second]) {
    assert.equal(headers['proxy-authorization'], undefined);
    assert.equal(headers['x-app'], 'kept');
  }
});

test('redirect under proxy: "env": no_proxy is evaluated for each hop', { skip }, async () => {
  const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };
  process.env.http_proxy = proxy.url;
  process.env.no_proxy = 'localhost';
  try {
    // Hop 1 to 127.0.0.1 is proxied, hop 2 to localhost (in no_proxy) goes direct.
    redirectTo = target.url('localhost', '/direct');
    const toLocalhost = proxy.count(`localhost:${target.port}`);
    const viaProxy = proxy.count(`127.0.0.1:${redirector.port}`);
    const first = await echoOnce(`ws://127.0.0.1:${redirector.port}/`, { proxy: 'env', followRedirects: true });
    assert.equal(first.ws.url, target.url('localhost', '/direct'));
    assert.equal(proxy.count(`127.0.0.1:${redirector.port}`), viaProxy + 1);
    assert.equal(proxy.count(`localhost:${target.port}`), toLocalhost);
    // And the other way round: hop 1 to localhost direct, hop 2 to 127.0.0.1 proxied.
    redirectTo = target.url('127.0.0.1', '/proxied');
    const toTarget = proxy.count(`127.0.0.1:${target.port}`);
    const direct = proxy.count(`localhost:${redirector.port}`);
    const second = await echoOnce(`ws://localhost:${redirector.port}/`, { proxy: 'env', followRedirects: true });
    assert.equal(second.ws.url, target.url('127.0.0.1', '/proxied'));
    assert.equal(proxy.count(`localhost:${redirector.port}`), direct);
    assert.equal(proxy.count(`127.0.0.1:${target.port}`), toTarget + 1);
    assert.equal(target.requests.at(-1)['proxy-authorization'], undefined);
  } finally {
    restore(saved);
  }
});

test('a redirect hop with an unusable proxy variable fails with the TypeError as an error event, then close 1006', { skip }, async () => {
  const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };
  process.env.no_proxy = '127.0.0.1';
  process.env.http_proxy = 'gopher://x:hunter2@p';
  try {
    redirectTo = target.url('localhost', '/x');
    const ws = new WebSocket(`ws://127.0.0.1:${redirector.port}/`, { proxy: 'env', followRedirects: true });
    const { log, done } = record(ws, ['redirect', 'open', 'error', 'close']);
    await done;
    assert.deepEqual(eventNames(log), ['error', 'close']);
    assert.ok(log[0][1] instanceof TypeError);
    assert.equal(log[0][1].message, 'Invalid proxy URL in the http_proxy environment variable: its scheme "gopher:" is not one of http:, https:, socks5:, socks5h:, socks4a:');
    assert.equal(log[1][1], 1006);
  } finally {
    restore(saved);
  }
});
