// no_proxy grammar and matching (README "Proxies"), and the IP literal parsing it relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parseNoProxy, parseNoProxyEntry, bypassesProxy } = require('../../dist/cjs/core/no-proxy.js');
const { parseIPv4, parseIPv6, parseIpAddress, inPrefix } = require('../../dist/cjs/core/ip-address.js');

test('IPv4 literals: strict dotted quads only', () => {
  assert.deepEqual(parseIPv4('10.1.2.3'), { family: 4, value: 0x0a010203n });
  assert.deepEqual(parseIPv4('255.255.255.255'), { family: 4, value: 0xffffffffn });
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.x', '', '1..2.3', '1234.1.1.1']) {
    assert.equal(parseIPv4(bad), null, bad);
  }
});

test('IPv6 literals: full, compressed, embedded IPv4, brackets', () => {
  assert.deepEqual(parseIPv6('::1'), { family: 6, value: 1n });
  assert.deepEqual(parseIPv6('::'), { family: 6, value: 0n });
  assert.equal(parseIPv6('0:0:0:0:0:0:0:1').value, 1n);
  assert.equal(parseIPv6('FE80::1').value, (0xfe80n << 112n) | 1n);
  assert.equal(parseIPv6('1::').value, 1n << 112n);
  assert.equal(parseIPv6('::ffff:1.2.3.4').value, (0xffffn << 32n) | 0x01020304n);
  assert.equal(parseIPv6('1:2:3:4:5:6:1.2.3.4').value, parseIPv6('1:2:3:4:5:6:102:304').value);
  assert.equal(parseIpAddress('[::1]').value, 1n);
  assert.equal(parseIpAddress('127.0.0.1').family, 4);
  assert.equal(parseIpAddress('example.com'), null);
  for (const bad of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '::1.2.3', 'fe80::1%eth0', '1:2:3:4:5:6:7::8']) {
    assert.equal(parseIPv6(bad), null, bad);
  }
});

test('inPrefix compares the leading bits, within one family', () => {
  const net = parseIPv4('10.0.0.0');
  assert.equal(inPrefix(parseIPv4('10.255.1.1'), net, 8), true);
  assert.equal(inPrefix(parseIPv4('11.0.0.1'), net, 8), false);
  assert.equal(inPrefix(parseIPv4('11.0.0.1'), net, 0), true);
  assert.equal(inPrefix(parseIPv6('::1'), net, 0), false);
});

test('entries: every form parses to its rule, junk is skipped', () => {
  assert.deepEqual(parseNoProxyEntry('*'), { kind: 'all' });
  assert.deepEqual(parseNoProxyEntry('Example.COM.'), { kind: 'domain', name: 'example.com', port: null });
  assert.deepEqual(parseNoProxyEntry('.example.com'), { kind: 'domain', name: 'example.com', port: null });
  assert.deepEqual(parseNoProxyEntry('*.example.com:8080'), { kind: 'domain', name: 'example.com', port: 8080 });
  assert.equal(parseNoProxyEntry('10.0.0.1:443').port, 443);
  assert.equal(parseNoProxyEntry('[::1]:443').port, 443);
  assert.equal(parseNoProxyEntry('[::1]').port, null);
  assert.equal(parseNoProxyEntry('::1').kind, 'ip');
  assert.equal(parseNoProxyEntry('fc00::/7').prefix, 7);
  assert.equal(parseNoProxyEntry('[fc00::]/7').prefix, 7);
  for (const bad of ['host:0', 'host:65536', 'host:x', ':80', '10.0.0.0/33', '::/129', '10.0.0.0/x', 'a/8', '[::1', '[::1]x', '[::1]:0', '1::2::3', 'bad host!', '.', '*.']) {
    assert.equal(parseNoProxyEntry(bad), null, bad);
  }
});

test('lists split on commas and white space; empty and bad entries are ignored', () => {
  const rules = parseNoProxy(' a.example, ,b.example\tc.example\n:80,10.0.0.0/8 ');
  assert.deepEqual(
    rules.map((rule) => rule.name ?? rule.kind),
    ['a.example', 'b.example', 'c.example', 'cidr']
  );
  assert.deepEqual(parseNoProxy(''), []);
});

test('matching: domains and subdomains, ports, IP literals, CIDR, *; no loopback magic, no resolution', () => {
  const match = (list, host, port = 80) => bypassesProxy(parseNoProxy(list), host, port);
  assert.equal(match('example.com', 'example.com'), true);
  assert.equal(match('example.com', 'www.EXAMPLE.com.'), true);
  assert.equal(match('.example.com', 'example.com'), true);
  assert.equal(match('example.com', 'badexample.com'), false);
  assert.equal(match('example.com:8080', 'example.com', 8080), true);
  assert.equal(match('example.com:8080', 'example.com', 80), false);
  assert.equal(match('127.0.0.1', '127.0.0.1'), true);
  assert.equal(match('127.0.0.1:443', '127.0.0.1', 80), false);
  assert.equal(match('127.0.0.1', '127.0.0.2'), false);
  assert.equal(match('::1', '[::1]'), true);
  assert.equal(match('[0:0::1]:443', '[::1]', 443), true);
  assert.equal(match('[::1]:443', '[::1]', 80), false);
  assert.equal(match('10.0.0.0/8', '10.20.30.40'), true);
  assert.equal(match('10.0.0.0/8', 'ten.example'), false);
  assert.equal(match('fc00::/7', '[fd00::5]'), true);
  assert.equal(match('fc00::/7', '10.0.0.1'), false);
  assert.equal(match('*', 'anything.example'), true);
  assert.equal(match('localhost', '127.0.0.1'), false);
  assert.equal(match('127.0.0.1', 'localhost'), false);
  assert.equal(match('', 'example.com'), false);
  // An IP entry never matches a name, a name entry never matches an address.
  assert.equal(match('1.2.3.4', '1.2.3.4.example'), false);
});
