// The sans-I/O HTTP/1.1 request-head reader of port mode (RFC 9112 §2–5, RFC 9110 §5): what it parses, the same
// at every split, what it refuses with 400 or 431, and Node's counting rules for the size and header-count limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(import.meta.url);
const { RequestHeadReader, DEFAULT_MAX_HEADER_SIZE } = require('../../dist/cjs/core/http-request-head.js');

const METHODS = new Set(http.METHODS);
const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\n';

function readWhole(text, options = { methods: METHODS }) {
  return new RequestHeadReader(options).push(Buffer.from(text, 'latin1'));
}

/** Feed `text` in pieces of `size` bytes; the first state that is not 'incomplete' (or the last). */
function readSplit(text, size, options = { methods: METHODS }) {
  const reader = new RequestHeadReader(options);
  const bytes = Buffer.from(text, 'latin1');
  let state;
  for (let i = 0; i < bytes.length; i += size) {
    state = reader.push(bytes.subarray(i, i + size));
    if (state.state !== 'incomplete') break;
  }
  return state;
}

const plain = (state) => (state.state === 'complete' ? { ...state, rest: state.rest.toString('latin1') } : state);

test('a request head: method, target, version, raw headers in order, the bytes after it, upgrade', () => {
  const state = readWhole(`GET /chat?x=1 HTTP/1.1\r\nHost: example\r\n${UPGRADE}X-Empty:\r\nX-Ows: \t a b \t\r\n\r\n\x81\x00`);
  assert.deepEqual(plain(state), {
    state: 'complete',
    head: {
      method: 'GET',
      url: '/chat?x=1',
      versionMajor: 1,
      versionMinor: 1,
      rawHeaders: ['Host', 'example', 'Upgrade', 'websocket', 'Connection', 'Upgrade', 'X-Empty', '', 'X-Ows', 'a b'],
      headerEntries: 10,
      upgrade: true
    },
    rest: '\x81\x00'
  });
});

const VALID = [
  `GET / HTTP/1.1\r\nHost: h\r\n${UPGRADE}\r\n`,
  `\r\n\r\nGET /a HTTP/1.0\r\n${UPGRADE}Cookie: a\r\ncookie: b\r\n\r\nrest`,
  `POST * HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc`,
  `GET http://h/x HTTP/1.1\r\nX: caf\xe9\r\nConnection: keep-alive, upgrade\r\nUpgrade: a, b\r\n\r\n`
];

test('every split of a valid head (down to one byte at a time) reads the same as the whole head', () => {
  for (const text of VALID) {
    const whole = readWhole(text);
    assert.equal(whole.state, 'complete', text);
    for (const size of [1, 2, 3, 5, 7, 13, 64]) {
      const split = plain(readSplit(text, size));
      assert.deepEqual(split.head, whole.head, `${JSON.stringify(text)} in ${size}-byte pieces`);
      // Reading stops at the piece holding the head's last byte: the rest is what follows it in that piece.
      const end = text.length - whole.rest.length;
      assert.equal(split.rest, text.slice(end, Math.min(text.length, Math.ceil(end / size) * size)));
    }
  }
});

test('upgrade needs an Upgrade field with a value and a Connection field naming upgrade; CONNECT is never one', () => {
  const upgrade = (fields, method = 'GET') => readWhole(`${method} / HTTP/1.1\r\n${fields}\r\n`).head.upgrade;
  assert.equal(upgrade(UPGRADE), true);
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: close\r\nConnection: UPGRADE\r\n'), true);
  assert.equal(upgrade('Upgrade: websocket\r\n'), false);
  assert.equal(upgrade('Connection: upgrade\r\n'), false);
  assert.equal(upgrade('Upgrade:\r\nConnection: upgrade\r\n'), false);
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: upgradex\r\n'), false);
  // A value as long as the token is the token or nothing (no list item can be that long beside a comma).
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: uPgRaDe \t\r\n'), true);
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: upgrad,\r\n'), false);
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: a,b,cde\r\n'), false);
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: upgradz\r\n'), false);
  assert.equal(upgrade('Upgrade: websocket\r\nConnection: ,upgrade\r\n'), true);
  assert.equal(upgrade(UPGRADE, 'CONNECT'), false);
});

const REFUSED = [
  ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: h\r\n\r\n', 'bare LF'],
  ['bare LF ending a field', 'GET / HTTP/1.1\r\nHost: h\n\r\n', 'a bad byte in a field value'],
  ['bare LF ending the head', 'GET / HTTP/1.1\r\nHost: h\r\n\n', 'bare LF'],
  ['CR without LF', 'GET / HTTP/1.1\rHost: h\r\n\r\n', 'CR without LF'],
  ['obs-fold', 'GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n', 'obs-fold'],
  ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 'a bad byte in a field name'],
  ['a tab before the colon', 'GET / HTTP/1.1\r\nHost\t: h\r\n\r\n', 'a bad byte in a field name'],
  ['a field without a colon', 'GET / HTTP/1.1\r\nHost\r\n\r\n', 'a bad byte in a field name'],
  ['an empty field name', 'GET / HTTP/1.1\r\n: v\r\n\r\n', 'a bad byte in a field name'],
  ['a separator in a name', 'GET / HTTP/1.1\r\nX(: 1\r\n\r\n', 'a bad byte in a field name'],
  ['obs-text in a name', 'GET / HTTP/1.1\r\nX\xe9: 1\r\n\r\n', 'a bad byte in a field name'],
  ['NUL in a value', 'GET / HTTP/1.1\r\nX: a\0b\r\n\r\n', 'a bad byte in a field value'],
  ['DEL in a value', 'GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n', 'a bad byte in a field value'],
  ['CR inside a value', 'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 'CR without LF'],
  ['a control byte in the target', 'GET /\x01 HTTP/1.1\r\n\r\n', 'a bad byte in the request-target'],
  ['obs-text in the target', 'GET /\xe9 HTTP/1.1\r\n\r\n', 'a bad byte in the request-target'],
  ['two spaces after the method', 'GET  / HTTP/1.1\r\n\r\n', 'a bad byte in the request-target'],
  ['a space after the version', 'GET / HTTP/1.1 \r\n\r\n', 'not HTTP/1.1 or HTTP/1.0'],
  ['HTTP/1.2', 'GET / HTTP/1.2\r\n\r\n', 'not HTTP/1.1 or HTTP/1.0'],
  ['HTTP/2.0', 'GET / HTTP/2.0\r\n\r\n', 'not HTTP/1.1 or HTTP/1.0'],
  ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'not HTTP/1.1 or HTTP/1.0'],
  ['a lower-case method', 'get / HTTP/1.1\r\n\r\n', 'an unknown method'],
  ['an unknown method', 'FOO / HTTP/1.1\r\n\r\n', 'an unknown method'],
  ['a TLS ClientHello', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'a byte that cannot start a request'],
  ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 'more than one Host field'],
  ['Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 'both Content-Length and Transfer-Encoding'],
  ['Transfer-Encoding then Content-Length', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', 'both Content-Length and Transfer-Encoding'],
  ['two Content-Length fields', 'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n', 'more than one Content-Length field'],
  ['a negative Content-Length', 'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 'a malformed Content-Length'],
  ['a Content-Length list', 'POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n', 'a malformed Content-Length'],
  ['a Content-Length beyond 64 bits', 'POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n', 'a malformed Content-Length']
];

test('malformed heads are refused with 400 and the reason, whole or split at every byte', () => {
  for (const [name, text, reason] of REFUSED) {
    assert.deepEqual(readWhole(text), { state: 'invalid', status: 400, reason }, name);
    assert.deepEqual(readSplit(text, 1), { state: 'invalid', status: 400, reason }, `${name}, byte by byte`);
  }
  assert.equal(readWhole('POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n').state, 'complete');
  assert.equal(readWhole('GET / HTTP/1.1\r\n\r\n', {}).state, 'complete', 'any token method without a method list');
  assert.equal(readWhole('BREW / HTTP/1.1\r\n\r\n', {}).head.method, 'BREW');
});

test('a bad byte is refused when it arrives, not when its line ends', () => {
  const reader = new RequestHeadReader({ methods: METHODS });
  assert.deepEqual(reader.push(Buffer.from('GET / HTTP/1.1\r\nX: a')), { state: 'incomplete' });
  assert.deepEqual(reader.push(Buffer.from([0])), { state: 'invalid', status: 400, reason: 'a bad byte in a field value' });
  // Once done, the reader keeps its answer.
  assert.equal(reader.push(Buffer.from('\r\n\r\n')).status, 400);
});

test('size: 431 once target + names + values reach maxHeaderSize (leading OWS free, trailing OWS counted)', () => {
  // Counted here: "/" + "Host" + "h" + "X-Big" + value.
  const head = (value) => `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${value}\r\n\r\n`;
  const room = DEFAULT_MAX_HEADER_SIZE - 1 - 11;
  assert.equal(readWhole(head('a'.repeat(room))).state, 'complete');
  assert.deepEqual(readWhole(head('a'.repeat(room + 1))), { state: 'invalid', status: 431, reason: 'the head is too large' });
  assert.equal(readWhole(head('a'.repeat(room - 3) + '   ')).head.rawHeaders[3], 'a'.repeat(room - 3), 'trailing OWS trimmed');
  assert.equal(readWhole(head('a'.repeat(room - 2) + '   ')).status, 431, 'trailing OWS counted');
  assert.equal(readWhole(head('    ' + 'a'.repeat(room))).state, 'complete', 'leading OWS not counted');
  assert.equal(readSplit(head('a'.repeat(room)), 1).state, 'complete', 'the boundary is the same byte by byte');
  assert.equal(readSplit(head('a'.repeat(room + 1)), 1).status, 431);
  // Without its line end, the size is known as the bytes come.
  const reader = new RequestHeadReader();
  assert.equal(reader.push(Buffer.from(`GET /${'a'.repeat(DEFAULT_MAX_HEADER_SIZE)}`)).status, 431);
  // A smaller limit, as an option.
  assert.equal(readWhole(head('abc'), { maxHeaderSize: 14 }).status, 431);
  assert.equal(readWhole(head('ab'), { maxHeaderSize: 14 }).state, 'complete');
});

test('size: a head padded with what is not counted is still bounded (twice maxHeaderSize + 4 KiB of raw bytes)', () => {
  const padded = `GET / HTTP/1.1\r\n${'X:\r\n'.repeat(3100)}\r\n`;
  assert.equal(readWhole(padded, { maxHeaderSize: 4096 }).status, 431);
  const reader = new RequestHeadReader({ maxHeaderSize: 1024 });
  let state;
  for (let i = 0; i < 4096 && (state = reader.push(Buffer.from('\r\n'))).state === 'incomplete'; i++);
  assert.equal(state.status, 431, 'empty lines before the request line count as raw bytes');
});

test('count: fields are kept in batches of 31 while fewer than maxHeaderEntries entries are held (Node\'s rule)', () => {
  const fields = (n) => `GET / HTTP/1.1\r\n${Array.from({ length: n }, (_, i) => `a${i}:b\r\n`).join('')}\r\n`;
  const kept = (n, options = {}) => {
    const { head } = readWhole(fields(n), { maxHeaderSize: 65536, ...options });
    return [head.rawHeaders.length / 2, head.headerEntries];
  };
  assert.deepEqual(kept(992), [992, 1984]);
  assert.deepEqual(kept(1002), [1002, 2000]);
  assert.deepEqual(kept(1030), [1023, 2000]);
  assert.deepEqual(kept(3000), [1023, 2000]);
  assert.deepEqual(kept(100, { maxHeaderEntries: 100 }), [62, 100]);
  assert.deepEqual(kept(1500, { maxHeaderEntries: 0 }), [1500, 3000]);
});

test('begun: only bytes beyond the empty lines before a request start one', () => {
  const reader = new RequestHeadReader();
  assert.equal(reader.begun, false);
  reader.push(Buffer.from('\r\n\r'));
  assert.equal(reader.begun, false);
  reader.push(Buffer.from('\nG'));
  assert.equal(reader.begun, true);
});

test('random bytes never throw: every outcome is incomplete, complete or a 400/431 refusal (bounded fuzz)', () => {
  let seed = 0x2545f491;
  const next = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const alphabet = 'GET / HTTP/1.1\r\n:Host aA\t\x00\x7f\xe9-Content-Length0Transfer-Encoding';
  for (let round = 0; round < 2000; round++) {
    const reader = new RequestHeadReader({ methods: METHODS, maxHeaderSize: 256 });
    const base = next() < 0.5 ? `GET / HTTP/1.1\r\n` : '';
    let text = base;
    const length = Math.floor(next() * 120);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
    const bytes = Buffer.from(next() < 0.3 ? text + '\r\n\r\n' : text, 'latin1');
    let state = { state: 'incomplete' };
    for (let i = 0, size = 1; i < bytes.length && state.state === 'incomplete'; i += size) {
      size = 1 + Math.floor(next() * 9);
      state = reader.push(bytes.subarray(i, i + size));
    }
    assert.ok(['incomplete', 'complete', 'invalid'].includes(state.state));
    if (state.state === 'invalid') assert.ok(state.status === 400 || state.status === 431);
  }
});
