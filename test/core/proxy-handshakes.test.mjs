// Sans-I/O proxy handshakes: the CONNECT request and response-head reader (RFC 9110 §9.3.6), SOCKS5 with
// RFC 1929 authentication (RFC 1928), SOCKS 4A, and the WS_ERR_PROXY_* errors they turn into. Exact bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { formatConnectRequest, ConnectResponseReader, classifyConnectStatus, MAX_CONNECT_RESPONSE_HEAD } = require('../../dist/cjs/core/http-connect.js');
const { Socks5Handshake, Socks4aHandshake, socks5CredentialsProblem } = require('../../dist/cjs/core/socks.js');
const { toProxyError, PROXY_ERROR_CODES } = require('../../dist/cjs/core/proxy-failure.js');

const hex = (text) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('CONNECT request head: authority-form, Host, extra headers in order', () => {
  assert.equal(
    formatConnectRequest('[::1]:443', [['Proxy-Authorization', 'Basic eA=='], ['X-A', '1']]),
    'CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nProxy-Authorization: Basic eA==\r\nX-A: 1\r\n\r\n'
  );
});

test('CONNECT response: complete head in one chunk, tunnel bytes kept', () => {
  const reader = new ConnectResponseReader();
  const state = reader.push(Buffer.from('HTTP/1.1 200 Connection established\r\nVia: 1.1 p\r\n\r\n\x81\x02hi', 'latin1'));
  assert.equal(state.state, 'complete');
  assert.equal(state.head.statusCode, 200);
  assert.equal(state.head.statusMessage, 'Connection established');
  assert.equal(state.head.httpVersion, '1.1');
  assert.deepEqual(state.head.rawHeaders, ['Via', '1.1 p']);
  assert.deepEqual([...state.rest], [0x81, 0x02, 0x68, 0x69]);
});

test('CONNECT response: byte-by-byte, bare LF endings, no reason phrase, repeated headers, obs-fold', () => {
  const text = 'HTTP/1.0 407\nProxy-Authenticate: Basic realm="a"\nProxy-Authenticate: Negotiate\nX-Long: one\n  two\nSet-Cookie: a=1\nSet-Cookie: b=2\n\n';
  const reader = new ConnectResponseReader();
  const bytes = Buffer.from(text);
  let state;
  for (let i = 0; i < bytes.length; i++) {
    state = reader.push(bytes.subarray(i, i + 1));
    if (i < bytes.length - 1) assert.equal(state.state, 'incomplete', `at byte ${i}`);
  }
  assert.equal(state.state, 'complete');
  assert.equal(state.head.statusCode, 407);
  assert.equal(state.head.statusMessage, '');
  assert.equal(state.head.headers['proxy-authenticate'], 'Basic realm="a", Negotiate');
  assert.equal(state.head.headers['x-long'], 'one two');
  assert.deepEqual(state.head.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(state.rest.length, 0);
});

test('CONNECT response: garbage is known from the first bytes; malformed heads and huge heads are invalid', () => {
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from('SSH-2.0-OpenSSH\r\n')), { state: 'invalid', reason: 'it is not HTTP' });
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from('HT')), { state: 'incomplete' });
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from('HTX')), { state: 'invalid', reason: 'it is not HTTP' });
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from('HTTP/1.1 20 OK\r\n\r\n')), { state: 'invalid', reason: 'the status line is malformed' });
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from('HTTP/1.1 200 OK\r\nbad header\r\n\r\n')), { state: 'invalid', reason: 'a header line is malformed' });
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from('HTTP/1.1 200 OK\r\n: x\r\n\r\n')), { state: 'invalid', reason: 'a header line is malformed' });
  const big = new ConnectResponseReader();
  assert.equal(big.push(Buffer.from('HTTP/1.1 200 OK\r\n')).state, 'incomplete');
  assert.deepEqual(big.push(Buffer.alloc(MAX_CONNECT_RESPONSE_HEAD, 'a')), { state: 'invalid', reason: 'its head is too large' });
  const longThenEnd = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_CONNECT_RESPONSE_HEAD)}\r\n\r\n`;
  assert.deepEqual(new ConnectResponseReader().push(Buffer.from(longThenEnd)), { state: 'invalid', reason: 'its head is too large' });
});

test('CONNECT status classes: any 2xx opens; 407/401 auth; 5xx unreachable; the rest refused', () => {
  const table = { 200: 'open', 204: 'open', 299: 'open', 407: 'auth-required', 401: 'auth-required', 403: 'refused', 400: 'refused', 302: 'refused', 101: 'refused', 500: 'unreachable', 502: 'unreachable', 503: 'unreachable', 599: 'unreachable', 600: 'refused' };
  for (const [status, kind] of Object.entries(table)) assert.equal(classifyConnectStatus(Number(status)), kind, status);
});

test('proxy errors: one code per cause, statusCode / socksReply / cause carried, close code 1006', () => {
  assert.deepEqual(PROXY_ERROR_CODES, {
    'auth-required': 'WS_ERR_PROXY_AUTH_REQUIRED',
    refused: 'WS_ERR_PROXY_REFUSED',
    unreachable: 'WS_ERR_PROXY_UNREACHABLE',
    'bad-response': 'WS_ERR_PROXY_BAD_RESPONSE',
    timeout: 'WS_ERR_PROXY_TIMEOUT'
  });
  const cause = new Error('connect ECONNREFUSED');
  const error = toProxyError({ kind: 'refused', message: 'no', statusCode: 403 }, cause);
  assert.ok(error instanceof Error);
  assert.equal(error.code, 'WS_ERR_PROXY_REFUSED');
  assert.equal(error.message, 'no');
  assert.equal(error.statusCode, 403);
  assert.equal(error.cause, cause);
  assert.equal(error.closeCode, 1006);
  assert.equal(toProxyError({ kind: 'unreachable', message: 'x', socksReply: 5 }).socksReply, 5);
  assert.equal('statusCode' in toProxyError({ kind: 'timeout', message: 't' }), false);
});

/** Drive a handshake with the proxy's `replies` (hex strings), returning what it sent and its last step. */
function drive(handshake, replies) {
  const sent = [];
  let step = handshake.start();
  if (step.kind === 'send') sent.push(step.bytes.toString('hex'));
  for (const reply of replies) {
    step = handshake.push(hex(reply));
    if (step.kind === 'send') sent.push(step.bytes.toString('hex'));
  }
  return { sent, step };
}

test('SOCKS5 without credentials: no-auth method, domain CONNECT, reply with IPv4 bound address, tunnel bytes kept', () => {
  const { sent, step } = drive(new Socks5Handshake('example.com', 443, null), ['0500', '05000001 7f000001 1f90 aabb']);
  assert.deepEqual(sent, ['050100', '05010003' + '0b' + Buffer.from('example.com').toString('hex') + '01bb']);
  assert.equal(step.kind, 'open');
  assert.deepEqual([...step.rest], [0xaa, 0xbb]);
});

test('SOCKS5 with RFC 1929 credentials, split replies, IPv6 and domain bound addresses', () => {
  const handshake = new Socks5Handshake('::1', 8080, { username: 'üser', password: 'p:w' });
  const { sent, step } = drive(handshake, ['05', '02', '01', '00', '0500', '0004', '00000000000000000000000000000001', '00', '50']);
  const user = Buffer.from('üser').toString('hex');
  assert.deepEqual(sent, ['05020002', `0105${user}03${Buffer.from('p:w').toString('hex')}`, '05010004' + '00000000000000000000000000000001' + '1f90']);
  assert.equal(step.kind, 'open');
  const domainBound = drive(new Socks5Handshake('10.1.2.3', 80, null), ['0500', '050000 03 04 61626364 0050']);
  assert.equal(domainBound.sent[1], '050100010a0102030050');
  assert.equal(domainBound.step.kind, 'open');
  assert.equal(domainBound.step.rest.length, 0);
});

test('SOCKS5 failures: auth refused, no acceptable method, reply codes, bad versions and types', () => {
  const cases = [
    [null, ['05ff'], 'auth-required', 'the SOCKS5 proxy requires authentication', undefined],
    [{ username: 'u', password: 'p' }, ['05ff'], 'auth-required', 'the SOCKS5 proxy accepts none of our authentication methods', undefined],
    [{ username: 'u', password: 'p' }, ['0502', '0101'], 'auth-required', 'the SOCKS5 proxy rejected the user name and password', 1],
    [null, ['0502'], 'bad-response', 'the SOCKS5 proxy chose a method we did not offer (2)', undefined],
    [null, ['0400'], 'bad-response', 'the proxy does not speak SOCKS5', undefined],
    [null, ['0500', '0402000100'], 'bad-response', 'the SOCKS5 reply has the wrong version', undefined],
    [null, ['0500', '0500000900'], 'bad-response', 'the SOCKS5 reply has an unknown address type (9)', undefined],
    [null, ['0500', '0509000100'], 'bad-response', 'the SOCKS5 proxy sent an unknown reply code (9)', 9],
    [null, ['0500', '0501000100'], 'unreachable', 'SOCKS5 proxy: general SOCKS server failure (reply 1)', 1],
    [null, ['0500', '0502000100'], 'refused', 'SOCKS5 proxy: connection not allowed by ruleset (reply 2)', 2],
    [null, ['0500', '0503000100'], 'unreachable', 'SOCKS5 proxy: network unreachable (reply 3)', 3],
    [null, ['0500', '0504000100'], 'unreachable', 'SOCKS5 proxy: host unreachable (reply 4)', 4],
    [null, ['0500', '0505000100'], 'unreachable', 'SOCKS5 proxy: connection refused (reply 5)', 5],
    [null, ['0500', '0506000100'], 'unreachable', 'SOCKS5 proxy: TTL expired (reply 6)', 6],
    [null, ['0500', '0507000100'], 'refused', 'SOCKS5 proxy: command not supported (reply 7)', 7],
    [null, ['0500', '0508000100'], 'refused', 'SOCKS5 proxy: address type not supported (reply 8)', 8]
  ];
  for (const [credentials, replies, kind, message, socksReply] of cases) {
    const { step } = drive(new Socks5Handshake('h.example', 1, credentials), replies);
    assert.equal(step.kind, 'fail', message);
    assert.deepEqual(step.failure, socksReply === undefined ? { kind, message } : { kind, message, socksReply });
  }
  const longName = drive(new Socks5Handshake('a'.repeat(256), 1, null), ['0500']);
  assert.deepEqual(longName.step.failure, { kind: 'refused', message: 'the host name is too long for SOCKS5 (255 bytes at most)' });
  // Incomplete replies wait; bytes after the end are ignored until the tunnel is used.
  const partial = new Socks5Handshake('h', 1, null);
  partial.start();
  assert.equal(partial.push(hex('05')).kind, 'wait');
  assert.equal(partial.push(hex('00')).kind, 'send');
  assert.equal(partial.push(hex('0500')).kind, 'wait');
  assert.equal(partial.push(hex('000100000000')).kind, 'wait');
  assert.equal(partial.push(hex('0000')).kind, 'open');
  assert.equal(partial.push(hex('ff')).kind, 'wait');
});

test('SOCKS5 credential limits (RFC 1929 §2: user name and password 1 to 255 bytes each)', () => {
  assert.equal(socks5CredentialsProblem({ username: 'u', password: 'p' }), null);
  assert.equal(socks5CredentialsProblem({ username: 'u'.repeat(255), password: 'é'.repeat(127) + 'p' }), null);
  assert.equal(socks5CredentialsProblem({ username: 'u', password: '' }), 'the SOCKS5 password must be 1 to 255 bytes');
  assert.equal(socks5CredentialsProblem({ username: '', password: 'p' }), 'the SOCKS5 user name must be 1 to 255 bytes');
  assert.equal(socks5CredentialsProblem({ username: 'é'.repeat(128), password: 'p' }), 'the SOCKS5 user name must be 1 to 255 bytes');
  assert.equal(socks5CredentialsProblem({ username: 'u', password: 'p'.repeat(256) }), 'the SOCKS5 password must be 1 to 255 bytes');
  assert.equal(socks5CredentialsProblem({ username: 'u', password: 'é'.repeat(128) }), 'the SOCKS5 password must be 1 to 255 bytes');
});

test('SOCKS 4A: names after the user id with 0.0.0.1, IPv4 literals as SOCKS 4, reply codes', () => {
  const named = drive(new Socks4aHandshake('example.com', 80, 'bob'), ['005a000000000000cafe']);
  assert.deepEqual(named.sent, ['04010050' + '00000001' + '626f6200' + Buffer.from('example.com').toString('hex') + '00']);
  assert.equal(named.step.kind, 'open');
  assert.deepEqual([...named.step.rest], [0xca, 0xfe]);
  const literal = drive(new Socks4aHandshake('10.0.0.1', 443, ''), ['045a', '000000000000']);
  assert.deepEqual(literal.sent, ['040101bb0a00000100']);
  assert.equal(literal.step.kind, 'open');
  const failures = [
    ['005b000000000000', 'refused', 'SOCKS4a proxy: request rejected or failed (reply 91)', 91],
    ['005c000000000000', 'auth-required', 'SOCKS4a proxy: the proxy could not reach our identd (reply 92)', 92],
    ['005d000000000000', 'auth-required', 'SOCKS4a proxy: identd reported a different user id (reply 93)', 93],
    ['0063000000000000', 'bad-response', 'the SOCKS4a proxy sent an unknown reply code (99)', 99]
  ];
  for (const [reply, kind, message, socksReply] of failures) {
    assert.deepEqual(drive(new Socks4aHandshake('h', 1, ''), [reply]).step.failure, { kind, message, socksReply });
  }
  assert.deepEqual(drive(new Socks4aHandshake('h', 1, ''), ['055a000000000000']).step.failure, { kind: 'bad-response', message: 'the proxy does not speak SOCKS4' });
  assert.deepEqual(new Socks4aHandshake('::1', 1, '').start().failure, { kind: 'refused', message: 'a SOCKS4a proxy cannot reach IPv6 addresses' });
  const done = new Socks4aHandshake('h', 1, '');
  done.start();
  assert.equal(done.push(hex('005a0000')).kind, 'wait');
  assert.equal(done.push(hex('00000000')).kind, 'open');
  assert.equal(done.push(hex('00')).kind, 'wait');
});
