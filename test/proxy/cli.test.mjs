// `sockwire connect` through a real tinyproxy (BasicAuth on): --proxy URL, the proxy environment variables by
// default (with no_proxy), --no-proxy, and a refused tunnel as one line on stderr without the credentials.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { peer } from '../helpers/peers.mjs';
import { startTinyproxy } from '../helpers/proxies.mjs';
import { startEchoServer } from '../helpers/proxy-targets.mjs';
import { runCli } from '../cli/run-cli.mjs';

const { skip } = peer('tinyproxy');
let proxy;
let target;

before(async () => {
  if (skip) return;
  [proxy, target] = await Promise.all([startTinyproxy({ auth: { user: 'alice', password: 's3cret' } }), startEchoServer()]);
});

after(async () => {
  await Promise.all([proxy?.stop(), target?.close()]);
});

const tunnels = () => proxy.count(`127.0.0.1:${target.port}`);

test('connect --proxy URL: the message goes through the tunnel, exit 0', { skip }, async () => {
  const before = tunnels();
  const result = await runCli(['connect', target.url(), '--proxy', proxy.url, '-x', 'via cli']);
  assert.equal(result.stdout, '> via cli\n< via cli\n', result.stderr);
  assert.equal(result.code, 0);
  assert.equal(tunnels(), before + 1);
});

test('connect follows http_proxy by default, no_proxy and --no-proxy go direct', { skip }, async () => {
  const before = tunnels();
  const viaEnv = await runCli(['connect', target.url(), '-x', 'env'], { env: { http_proxy: proxy.url } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(tunnels(), before + 1);
  const bypassed = await runCli(['connect', target.url(), '-x', 'env'], { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.0/8' } });
  assert.equal(bypassed.code, 0, bypassed.stderr);
  const direct = await runCli(['connect', target.url(), '--no-proxy', '-x', 'direct'], { env: { http_proxy: proxy.url } });
  assert.equal(direct.code, 0, direct.stderr);
  assert.equal(tunnels(), before + 1);
});

test('a refused tunnel: one line with the status on stderr, exit 1, no credentials anywhere', { skip }, async () => {
  const result = await runCli(['connect', target.url(), '--proxy', `http://alice:wrong-pass-z@127.0.0.1:${proxy.port}`, '-x', 'x']);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `sockwire connect: could not connect to ${target.url()}: The proxy rejected the credentials: 401 Unauthorized\n`);
  assert.ok(!result.stderr.includes('wrong-pass-z'));
});

test('bad proxy flags are usage errors (exit 2)', async () => {
  const both = await runCli(['connect', 'ws://127.0.0.1:9', '--proxy', 'http://p', '--no-proxy']);
  assert.equal(both.code, 2);
  assert.equal(both.stderr, 'sockwire connect: --proxy and --no-proxy cannot be used together\n');
  const scheme = await runCli(['connect', 'ws://127.0.0.1:9', '--proxy', 'ftp://u:secret@p']);
  assert.equal(scheme.code, 2);
  assert.equal(scheme.stderr, 'sockwire connect: Invalid proxy URL in the "proxy" option: its scheme "ftp:" is not one of http:, https:, socks5:, socks5h:, socks4a:\n');
});
