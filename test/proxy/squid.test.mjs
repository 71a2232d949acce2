// HTTP CONNECT through a real squid with Basic auth checked by basic_ncsa_auth against an htpasswd file: the
// password has '@', ':', '%', a space and a non-ASCII letter, so it only works if the URL's userinfo is
// percent-decoded and sent as UTF-8 (RFC 7617). Every tunnel is proven by squid's access log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { peer } from '../helpers/peers.mjs';
import { startSquid, waitFor } from '../helpers/proxies.mjs';
import { checkDataPath, echoOnce, failOnce, startEchoServer, trustFixture } from '../helpers/proxy-targets.mjs';

const skip = peer('squid').skip || peer('htpasswd').skip;
const USER = 'bob';
const PASSWORD = 'p@ss:wörd %';
let squid;
let plain;
let secure;

before(async () => {
  if (skip) return;
  [squid, plain, secure] = await Promise.all([startSquid({ users: { [USER]: PASSWORD } }), startEchoServer(), startEchoServer({ secure: true })]);
});

after(async () => {
  await Promise.all([squid?.stop(), plain?.close(), secure?.close()]);
});

/** squid writes a tunnel's log line when the tunnel ends: wait for the count to reach `n`. */
const logged = (status, n) => waitFor(() => squid.count(status) >= n, 10000, `${n} × ${status} in squid's access log`);

test('ws:// and wss:// through squid with percent-encoded credentials; the log names the user and the target', { skip }, async () => {
  const proxy = squid.urlFor(USER, PASSWORD);
  assert.ok(proxy.includes('p%40ss%3Aw%C3%B6rd%20%25@'));
  const tunnels = squid.count();
  const direct = await echoOnce(plain.url(), { proxy });
  assert.equal(direct.data.toString(), 'hello through the proxy');
  const overTls = await echoOnce(secure.url('localhost'), { proxy, ...trustFixture });
  assert.equal(overTls.data.toString(), 'hello through the proxy');
  assert.equal(secure.servernames.at(-1), 'localhost');
  await logged('TCP_TUNNEL/200', tunnels + 2);
  const log = squid.log();
  assert.ok(log.includes(`TCP_TUNNEL/200`) && log.includes(`CONNECT 127.0.0.1:${plain.port} bob HIER_DIRECT`), log);
  assert.ok(log.includes(`CONNECT localhost:${secure.port} bob HIER_DIRECT`), log);
  for (const headers of plain.requests) assert.equal(headers['proxy-authorization'], undefined);
});

test('squid without credentials → 407, WS_ERR_PROXY_AUTH_REQUIRED, close 1006', { skip }, async () => {
  const denied = squid.count('TCP_DENIED/407');
  const { names, error, code } = await failOnce(plain.url(), { proxy: squid.url });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(error.statusCode, 407);
  assert.equal(error.message, 'The proxy requires authentication: 407 Proxy Authentication Required');
  assert.equal(code, 1006);
  await logged('TCP_DENIED/407', denied + 1);
});

test('squid with a wrong password → 407 again, the password never in the error', { skip }, async () => {
  const { names, error } = await failOnce(secure.url('localhost'), { proxy: squid.urlFor(USER, 'not-the-password'), ...trustFixture });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(error.statusCode, 407);
  assert.equal(error.message, 'The proxy rejected the credentials: 407 Proxy Authentication Required');
  assert.ok(!`${error.message} ${error.stack}`.includes('not-the-password'));
});

test('proxy.headers: a Proxy-Authorization given there wins over the URL; squid accepts it', { skip }, async () => {
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const { data } = await echoOnce(plain.url(), { proxy: { url: squid.urlFor(USER, 'wrong'), headers: { 'Proxy-Authorization': authorization } } });
  assert.equal(data.toString(), 'hello through the proxy');
});

test('squid cannot reach the target → 503 → WS_ERR_PROXY_UNREACHABLE', { skip }, async () => {
  const { error } = await failOnce('ws://127.0.0.1:1/', { proxy: squid.urlFor(USER, PASSWORD) });
  assert.equal(error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(error.statusCode, 503);
});

test('data path through squid: permessage-deflate, 4 MiB binary, text, stream — byte-exact (ws:// and wss://)', { skip }, async () => {
  const proxy = squid.urlFor(USER, PASSWORD);
  for (const [url, options] of [
    [plain.url(), { proxy }],
    [secure.url('localhost'), { proxy, ...trustFixture }]
  ]) {
    const result = await checkDataPath(url, options);
    assert.deepEqual(result, { extensions: 'permessage-deflate', largeExact: true, textExact: true, streamExact: true, code: 1000 }, url);
  }
});
