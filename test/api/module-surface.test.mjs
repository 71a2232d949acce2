// SPEC §1 (module surface), §2 (ready states) and §9 (seed members), checked on the built package.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import impl, { implName } from '../helpers/impl.mjs';

const isWs = implName === 'ws';
const STATES = [
  ['CONNECTING', 0],
  ['OPEN', 1],
  ['CLOSING', 2],
  ['CLOSED', 3]
];

/** Finds the property descriptor of `name` on `object` or on its prototype chain. */
function findDescriptor(object, name) {
  for (let o = object; o !== null; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor) return descriptor;
  }
  return undefined;
}

test('CommonJS export is the WebSocket class carrying the ws statics', () => {
  assert.equal(typeof impl, 'function');
  assert.equal(impl.WebSocket, impl);
  assert.equal(typeof impl.WebSocketServer, 'function');
  assert.equal(impl.Server, impl.WebSocketServer);
  assert.equal(typeof impl.createWebSocketStream, 'function');
  assert.equal(typeof impl.Receiver, 'function');
  assert.equal(typeof impl.Sender, 'function');
  assert.equal(typeof impl.PerMessageDeflate, 'function');
  assert.equal(typeof impl.extension.parse, 'function');
  assert.equal(typeof impl.extension.format, 'function');
  assert.equal(typeof impl.subprotocol.parse, 'function');
  assert.equal(impl.name, 'WebSocket');
});

test('ready-state numbers are static, read-only and enumerable', () => {
  const keys = Object.keys(impl);
  for (const [name, value] of STATES) {
    assert.equal(impl[name], value, name);
    const descriptor = Object.getOwnPropertyDescriptor(impl, name);
    assert.ok(descriptor, `static ${name} is an own property`);
    assert.equal(descriptor.writable ?? false, false, `${name} not writable`);
    assert.equal(descriptor.enumerable, true, `${name} enumerable`);
    assert.ok(keys.includes(name), `${name} in Object.keys`);
    // ESM code is strict, so assigning a read-only property throws.
    assert.throws(() => {
      impl[name] = 42;
    }, TypeError);
    assert.equal(impl[name], value);
  }
});

test('ready-state numbers are read-only enumerable instance properties', () => {
  // Construct with a URL nobody listens on and abort at once; only the properties matter here.
  const ws = new impl('ws://127.0.0.1:1', { handshakeTimeout: 1000 });
  ws.on('error', () => {});
  const inKeys = [];
  for (const key in ws) inKeys.push(key);
  for (const [name, value] of STATES) {
    assert.equal(ws[name], value, name);
    const descriptor = findDescriptor(ws, name);
    assert.ok(descriptor, `instance ${name} resolves to a property`);
    assert.equal(descriptor.writable ?? false, false, `${name} not writable`);
    assert.equal(descriptor.enumerable, true, `${name} enumerable`);
    assert.ok(inKeys.includes(name), `${name} seen by for...in`);
    assert.throws(() => {
      ws[name] = 42;
    }, TypeError);
    assert.equal(ws[name], value);
  }
  assert.equal(ws.readyState, impl.CONNECTING);
  ws.terminate();
});

test('ESM entry: default export and named exports', async () => {
  const esm = isWs ? await import('ws') : await import('../../dist/esm/index.mjs');
  assert.equal(esm.default, impl);
  assert.equal(esm.WebSocket, impl);
  assert.equal(esm.WebSocketServer, impl.WebSocketServer);
  assert.equal(esm.createWebSocketStream, impl.createWebSocketStream);
  assert.equal(esm.Receiver, impl.Receiver);
  assert.equal(esm.Sender, impl.Sender);
  assert.equal(esm.PerMessageDeflate, impl.PerMessageDeflate);
  assert.equal(esm.extension, impl.extension);
  assert.equal(esm.subprotocol, impl.subprotocol);
});

test('ESM entry: seed members are exported by name (sockwire only)', { skip: isWs && 'ws has no seed members' }, async () => {
  const esm = await import('../../dist/esm/index.mjs');
  for (const name of ['BufferUtil', 'Constants', 'ErrorCodes', 'Extensions']) {
    assert.equal(typeof esm[name], 'object', name);
    assert.equal(esm[name], impl[name], `${name} is the same object in both module systems`);
  }
});

test('ESM entry: the client conveniences are named exports, the same classes as require gives (sockwire only)', { skip: isWs && 'ws has no client conveniences' }, async () => {
  // Through the package's own name, so the "exports" map (import vs require conditions) is what resolves.
  const { createRequire } = await import('node:module');
  const required = createRequire(import.meta.url)('sockwire');
  const esm = await import('sockwire');
  assert.equal(required, impl);
  for (const name of ['ReconnectingWebSocket', 'WebSocketStream', 'WebSocketError']) {
    assert.equal(typeof esm[name], 'function', name);
    assert.equal(esm[name].name, name);
    assert.equal(esm[name], required[name], `${name} is the same class in both module systems`);
    assert.equal(esm.default[name], esm[name], `${name} on the default export`);
  }
  assert.ok(new esm.WebSocketError('x', { closeCode: 1000 }) instanceof required.WebSocketError);
});

test('BufferUtil.concat joins the first totalLength bytes (sockwire only)', { skip: isWs }, () => {
  const { BufferUtil } = impl;
  const list = [Buffer.from([1, 2, 3]), Buffer.from([4, 5]), Buffer.from([6, 7, 8])];
  const all = BufferUtil.concat(list, 8);
  assert.ok(Buffer.isBuffer(all));
  assert.deepEqual([...all], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...BufferUtil.concat(list, 4)], [1, 2, 3, 4]);
  assert.equal(BufferUtil.concat([], 0).length, 0);
});

test('BufferUtil.mask writes source XOR mask into output at offset (sockwire only)', { skip: isWs }, () => {
  const { BufferUtil } = impl;
  const source = Buffer.from([0x00, 0xff, 0x0f, 0xf0, 0xaa, 0x55]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const output = Buffer.alloc(9, 0xee);
  BufferUtil.mask(source, mask, output, 2, 6);
  assert.deepEqual([...output], [0xee, 0xee, 0x12, 0xcb, 0x59, 0x88, 0xb8, 0x61, 0xee]);
  assert.deepEqual([...source], [0x00, 0xff, 0x0f, 0xf0, 0xaa, 0x55], 'source untouched');
});

test('BufferUtil.unmask XORs in place (sockwire only)', { skip: isWs }, () => {
  const { BufferUtil } = impl;
  const buffer = Buffer.from([0x12, 0xcb, 0x59, 0x88, 0xb8]);
  const result = BufferUtil.unmask(buffer, Buffer.from([0x12, 0x34, 0x56, 0x78]));
  assert.deepEqual([...buffer], [0x00, 0xff, 0x0f, 0xf0, 0xaa]);
  assert.ok(result === undefined || result === buffer);
});

test('Constants: GUID, BINARY_TYPES, EMPTY_BUFFER, NOOP (sockwire only)', { skip: isWs }, () => {
  const { Constants } = impl;
  assert.equal(Constants.GUID, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  assert.deepEqual([...Constants.BINARY_TYPES].sort(), ['arraybuffer', 'blob', 'fragments', 'nodebuffer']);
  assert.ok(Buffer.isBuffer(Constants.EMPTY_BUFFER));
  assert.equal(Constants.EMPTY_BUFFER.length, 0);
  assert.equal(typeof Constants.NOOP, 'function');
  assert.equal(Constants.NOOP(1, 2), undefined);
});

test('ErrorCodes.isValidErrorCode and the descriptions (sockwire only)', { skip: isWs }, () => {
  const { ErrorCodes } = impl;
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999];
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535];
  for (const code of valid) assert.equal(ErrorCodes.isValidErrorCode(code), true, String(code));
  for (const code of invalid) assert.equal(ErrorCodes.isValidErrorCode(code), false, String(code));
  const words = {
    1000: /normal/i,
    1001: /going away/i,
    1002: /protocol/i,
    1003: /unsupported/i,
    1004: /reserved/i,
    1005: /status/i,
    1006: /abnormal/i,
    1007: /invalid/i,
    1008: /policy/i,
    1009: /too big/i,
    1010: /extension/i,
    1011: /internal|unexpected/i,
    1012: /restart/i,
    1013: /try again/i
  };
  for (const [code, pattern] of Object.entries(words)) {
    assert.equal(typeof ErrorCodes[code], 'string', code);
    assert.match(ErrorCodes[code], pattern, code);
  }
});

test('Extensions.parse/format match extension.parse/format (sockwire only)', { skip: isWs }, () => {
  const { Extensions } = impl;
  const header = 'permessage-deflate; client_max_window_bits; server_max_window_bits=10, foo';
  const parsed = Extensions.parse(header);
  assert.deepEqual(parsed, impl.extension.parse(header));
  assert.deepEqual(Object.keys(parsed), ['permessage-deflate', 'foo']);
  assert.deepEqual(parsed['permessage-deflate'][0].client_max_window_bits, [true]);
  assert.deepEqual(parsed['permessage-deflate'][0].server_max_window_bits, ['10']);
  assert.equal(Extensions.format(parsed), impl.extension.format(parsed));
  assert.throws(() => Extensions.parse('foo;;'), SyntaxError);
});
