// An HTTPS proxy: stunnel4 terminates TLS in front of tinyproxy (BasicAuth on). The client speaks TLS to the proxy
// (proxy.tls), CONNECT inside it, and for wss:// the target's own TLS inside the tunnel: TLS in TLS, with the
// proxy's and the target's TLS options kept apart and SNI = the target's name for the inner handshake.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { peer } from '../helpers/peers.mjs';
import { startStunnel, startTinyproxy } from '../helpers/proxies.mjs';
import { checkDataPath, echoOnce, failOnce, startEchoServer, trustFixture } from '../helpers/proxy-targets.mjs';
import { cert } from '../helpers/tls-fixture.mjs';

const skip = peer('tinyproxy').skip || peer('stunnel').skip;
let tinyproxy;
let stunnel;
let plain;
let secure;
let proxyUrl;

before(async () => {
  if (skip) return;
  tinyproxy = await startTinyproxy({ auth: { user: 'alice', password: 's3cret' } });
  [stunnel, plain, secure] = await Promise.all([startStunnel(tinyproxy.port), startEchoServer(), startEchoServer({ secure: true })]);
  // The proxy is addressed by IP (its certificate lists 127.0.0.1), the target by name: two different identities.
  proxyUrl = `https://alice:s3cret@127.0.0.1:${stunnel.port}`;
});

after(async () => {
  await Promise.all([stunnel?.stop(), tinyproxy?.stop(), plain?.close(), secure?.close()]);
});

test('ws:// through the HTTPS proxy: TLS to stunnel, CONNECT to tinyproxy behind it', { skip }, async () => {
  const accepted = stunnel.count();
  const connects = tinyproxy.count(`127.0.0.1:${plain.port}`);
  const { data, code } = await echoOnce(plain.url(), { proxy: { url: proxyUrl, tls: { ca: cert } } });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(code, 1000);
  assert.equal(tinyproxy.count(`127.0.0.1:${plain.port}`), connects + 1);
  assert.equal(stunnel.count(), accepted + 1);
});

test('wss:// through the HTTPS proxy: TLS inside TLS, inner SNI = the target name', { skip }, async () => {
  const connects = tinyproxy.count(`localhost:${secure.port}`);
  const { data } = await echoOnce(secure.url('localhost'), { proxy: { url: proxyUrl, tls: { ca: cert } }, ...trustFixture });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(secure.servernames.at(-1), 'localhost');
  assert.equal(tinyproxy.count(`localhost:${secure.port}`), connects + 1);
});

test("TLS options are separate: the target's `ca` does not make the proxy trusted, and proxy.tls does not reach the target", { skip }, async () => {
  const untrustedProxy = await failOnce(secure.url('localhost'), { proxy: proxyUrl, ...trustFixture });
  assert.deepEqual(untrustedProxy.names, ['error', 'close']);
  assert.equal(untrustedProxy.error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(untrustedProxy.error.cause.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  assert.equal(untrustedProxy.error.message, `Could not connect to the proxy https://127.0.0.1:${stunnel.port}: self-signed certificate`);
  const untrustedTarget = await failOnce(secure.url('localhost'), { proxy: { url: proxyUrl, tls: { ca: cert } } });
  assert.deepEqual(untrustedTarget.names, ['error', 'close']);
  assert.equal(untrustedTarget.error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  // proxy.tls.servername names the proxy's identity only.
  const wrongProxyName = await failOnce(plain.url(), { proxy: { url: proxyUrl, tls: { ca: cert, servername: 'other.invalid' } } });
  assert.equal(wrongProxyName.error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(wrongProxyName.error.cause.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('HTTPS proxy without credentials → 407 through the TLS hop', { skip }, async () => {
  const { error } = await failOnce(plain.url(), { proxy: { url: `https://127.0.0.1:${stunnel.port}`, tls: { ca: cert } } });
  assert.equal(error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(error.statusCode, 407);
});

test('data path through the HTTPS proxy (ws:// and TLS-in-TLS wss://), byte-exact', { skip }, async () => {
  for (const [url, options] of [
    [plain.url(), { proxy: { url: proxyUrl, tls: { ca: cert } } }],
    [secure.url('localhost'), { proxy: { url: proxyUrl, tls: { ca: cert } }, ...trustFixture }]
  ]) {
    const result = await checkDataPath(url, options);
    assert.deepEqual(result, { extensions: 'permessage-deflate', largeExact: true, textExact: true, streamExact: true, code: 1000 }, url);
  }
});
