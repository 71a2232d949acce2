// Proxy URLs (schemes, default ports, percent-decoded credentials) and the environment rules of README "Proxies".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parseProxyUrl, decodePercent, formatAuthority, basicCredentials, describeProxy } = require('../../dist/cjs/core/proxy-url.js');
const { proxyFromEnvironment, readProxyVariable, nodeUsesEnvProxy, PROXY_VARIABLES } = require('../../dist/cjs/core/proxy-env.js');

test('proxy URLs: schemes and their default ports', () => {
  const endpoint = (text) => parseProxyUrl(text).endpoint;
  assert.deepEqual(endpoint('http://proxy.example:3128'), { scheme: 'http', host: 'proxy.example', port: 3128, username: '', password: '' });
  assert.equal(endpoint('http://proxy.example').port, 80);
  assert.equal(endpoint('https://proxy.example').port, 443);
  assert.equal(endpoint('HTTPS://Proxy.Example:8443/').port, 8443);
  assert.equal(endpoint('HTTPS://Proxy.Example:8443/').host, 'proxy.example');
  assert.equal(endpoint('socks5://s.example').port, 1080);
  assert.equal(endpoint('socks5h://S.example:1081').host, 's.example');
  assert.equal(endpoint('socks4a://s.example').scheme, 'socks4a');
  assert.deepEqual(endpoint('proxy.example:3128'), { scheme: 'http', host: 'proxy.example', port: 3128, username: '', password: '' });
  assert.equal(endpoint('http://[::1]:3128').host, '::1');
  assert.equal(endpoint('socks5://[::1]:1080').host, '::1');
});

test('proxy URLs: credentials are percent-decoded as UTF-8', () => {
  const { username, password } = parseProxyUrl('http://b%40b:p%3Ass%20w%C3%B6rd%25@proxy:1').endpoint;
  assert.equal(username, 'b@b');
  assert.equal(password, 'p:ss wörd%');
  assert.equal(decodePercent('plain'), 'plain');
  assert.equal(decodePercent('50%'), '50%');
  assert.equal(decodePercent('%zz%4'), '%zz%4');
  assert.equal(decodePercent('%e2%82%ac'), '€');
});

test('proxy URLs: problems are described without quoting the URL', () => {
  const secret = 'hunter2';
  for (const [text, reason] of [
    [`ftp://u:${secret}@proxy:21`, 'its scheme "ftp:" is not one of http:, https:, socks5:, socks5h:, socks4a:'],
    [`http://u:${secret}@[bad`, 'it is not a valid URL'],
    [`socks5://u:${secret}@:1080`, 'it is not a valid URL'],
    ['socks5:///path', 'it has no host']
  ]) {
    const result = parseProxyUrl(text);
    assert.equal(result.ok, false, text);
    assert.equal(result.reason, reason, text);
    assert.ok(!result.reason.includes(secret));
  }
});

test('authority, Basic credentials, description', () => {
  assert.equal(formatAuthority('example.com', 443), 'example.com:443');
  assert.equal(formatAuthority('::1', 8080), '[::1]:8080');
  // RFC 7617 §2 example.
  assert.equal(basicCredentials('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  assert.equal(basicCredentials('test', '123£'), 'Basic dGVzdDoxMjPCow==');
  assert.equal(describeProxy(parseProxyUrl('http://u:secret@[::1]:3128').endpoint), 'http://[::1]:3128');
});

test('environment: variable order per scheme', () => {
  assert.deepEqual(PROXY_VARIABLES['ws:'], ['ws_proxy', 'http_proxy', 'all_proxy']);
  assert.deepEqual(PROXY_VARIABLES['wss:'], ['wss_proxy', 'https_proxy', 'all_proxy']);
  const env = { ws_proxy: 'a', http_proxy: 'b', https_proxy: 'c', all_proxy: 'd', wss_proxy: 'e' };
  const pick = (e, secure) => proxyFromEnvironment(e, secure, 'target.example', secure ? 443 : 80);
  assert.deepEqual(pick(env, false), { variable: 'ws_proxy', url: 'a' });
  assert.deepEqual(pick(env, true), { variable: 'wss_proxy', url: 'e' });
  assert.deepEqual(pick({ http_proxy: 'b', https_proxy: 'c', all_proxy: 'd' }, false), { variable: 'http_proxy', url: 'b' });
  assert.deepEqual(pick({ http_proxy: 'b', https_proxy: 'c', all_proxy: 'd' }, true), { variable: 'https_proxy', url: 'c' });
  assert.deepEqual(pick({ all_proxy: 'd' }, true), { variable: 'all_proxy', url: 'd' });
  // http_proxy never serves wss:, https_proxy never serves ws:.
  assert.equal(pick({ http_proxy: 'b' }, true), null);
  assert.equal(pick({ https_proxy: 'c' }, false), null);
  assert.equal(pick({}, false), null);
});

test('environment: lower case wins over upper case, even when empty; empty means unset', () => {
  assert.deepEqual(readProxyVariable({ HTTP_PROXY: 'up', http_proxy: 'low' }, 'http_proxy'), { name: 'http_proxy', value: 'low' });
  assert.deepEqual(readProxyVariable({ HTTP_PROXY: ' up ' }, 'http_proxy'), { name: 'HTTP_PROXY', value: 'up' });
  assert.equal(readProxyVariable({ HTTP_PROXY: 'up', http_proxy: '' }, 'http_proxy'), null);
  assert.equal(readProxyVariable({ HTTP_PROXY: '  ' }, 'http_proxy'), null);
  // An empty ws_proxy lets the search go on to http_proxy.
  assert.deepEqual(proxyFromEnvironment({ ws_proxy: '', HTTP_PROXY: 'h' }, false, 'x', 80), { variable: 'HTTP_PROXY', url: 'h' });
});

test('environment: no_proxy / NO_PROXY bypass for the target host and port', () => {
  const env = { https_proxy: 'p', NO_PROXY: 'internal.example, 10.0.0.0/8' };
  assert.equal(proxyFromEnvironment(env, true, 'api.internal.example', 443), null);
  assert.equal(proxyFromEnvironment(env, true, '10.1.1.1', 443), null);
  assert.deepEqual(proxyFromEnvironment(env, true, 'public.example', 443), { variable: 'https_proxy', url: 'p' });
  assert.deepEqual(proxyFromEnvironment({ ...env, no_proxy: 'other.example' }, true, 'api.internal.example', 443), { variable: 'https_proxy', url: 'p' });
  assert.equal(proxyFromEnvironment({ https_proxy: 'p', no_proxy: '*' }, true, 'anything', 443), null);
});

test("Node's switch: NODE_USE_ENV_PROXY=1, --use-env-proxy in execArgv or NODE_OPTIONS; the flag wins", () => {
  assert.equal(nodeUsesEnvProxy({}, []), false);
  assert.equal(nodeUsesEnvProxy({ NODE_USE_ENV_PROXY: '1' }, []), true);
  assert.equal(nodeUsesEnvProxy({ NODE_USE_ENV_PROXY: '0' }, []), false);
  assert.equal(nodeUsesEnvProxy({ NODE_USE_ENV_PROXY: 'true' }, []), false);
  assert.equal(nodeUsesEnvProxy({}, ['--use-env-proxy']), true);
  assert.equal(nodeUsesEnvProxy({ NODE_OPTIONS: '--max-old-space-size=100 --use-env-proxy' }, []), true);
  assert.equal(nodeUsesEnvProxy({ NODE_USE_ENV_PROXY: '1' }, ['--no-use-env-proxy']), false);
  assert.equal(nodeUsesEnvProxy({ NODE_OPTIONS: '--use-env-proxy' }, ['--no-use-env-proxy']), false);
});
