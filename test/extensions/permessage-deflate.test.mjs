// permessage-deflate compress/decompress (RFC 7692 §7.2): the RFC's examples byte for byte, round trips over
// fragments and context takeover, byte-exact agreement with ws in both directions, errors and cleanup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');
const WsPerMessageDeflate = require('ws').PerMessageDeflate;

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A negotiated instance; `params` are the agreed parameters as numbers/true (ws's normalised form). */
function negotiated(Impl, params = {}, options = {}) {
  const ext = new Impl(options);
  ext.params = { ...params };
  return ext;
}

function compress(ext, data, fin = true) {
  return new Promise((resolve, reject) => ext.compress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
}

function decompress(ext, data, fin = true) {
  return new Promise((resolve, reject) => ext.decompress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
}

function settle(promise) {
  return promise.then(
    (value) => ({ value }),
    (error) => ({ error })
  );
}

test('RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 and back', async () => {
  const sender = negotiated(PerMessageDeflate);
  const out = await compress(sender, Buffer.from('Hello'));
  assert.deepEqual(out, hex('f2 48 cd c9 c9 07 00'));
  const receiver = negotiated(PerMessageDeflate);
  assert.deepEqual(await decompress(receiver, out), Buffer.from('Hello'));
  // The same message as two fragments (§7.2.3.1, second example): f2 48 cd | c9 c9 07 00.
  const fragmented = negotiated(PerMessageDeflate);
  const first = await decompress(fragmented, hex('f2 48 cd'), false);
  const second = await decompress(fragmented, hex('c9 c9 07 00'), true);
  assert.equal(Buffer.concat([first, second]).toString(), 'Hello');
  sender.cleanup();
  receiver.cleanup();
  fragmented.cleanup();
});

test('RFC 7692 §7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', async () => {
  const sender = negotiated(PerMessageDeflate);
  assert.deepEqual(await compress(sender, Buffer.from('Hello')), hex('f2 48 cd c9 c9 07 00'));
  assert.deepEqual(await compress(sender, Buffer.from('Hello')), hex('f2 00 11 00 00'));
  const receiver = negotiated(PerMessageDeflate);
  assert.equal((await decompress(receiver, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
  assert.equal((await decompress(receiver, hex('f2 00 11 00 00'))).toString(), 'Hello');
  sender.cleanup();
  receiver.cleanup();
});

test('RFC 7692 §7.2.3.3-5: stored block, BFINAL block, two blocks in one message', async () => {
  const receiver = negotiated(PerMessageDeflate);
  assert.equal((await decompress(receiver, hex('00 05 00 fa ff 48 65 6c 6c 6f 00'))).toString(), 'Hello');
  assert.equal((await decompress(receiver, hex('f3 48 cd c9 c9 07 00 00'))).toString(), 'Hello');
  assert.equal((await decompress(receiver, hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'))).toString(), 'Hello');
  // The stream keeps working after a BFINAL block, with takeover from then on.
  assert.equal((await decompress(receiver, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
  assert.equal((await decompress(receiver, hex('f2 00 11 00 00'))).toString(), 'Hello');
  receiver.cleanup();
  // A BFINAL block ends the DEFLATE stream: like ws, the next message starts with an empty window.
  for (const Impl of [PerMessageDeflate, WsPerMessageDeflate]) {
    const ext = negotiated(Impl);
    assert.equal((await decompress(ext, hex('f3 48 cd c9 c9 07 00'))).toString(), 'Hello');
    const { error } = await settle(decompress(ext, hex('f2 00 11 00 00')));
    assert.equal(error?.message, 'invalid distance too far back', Impl.name);
    ext.cleanup();
  }
});

test('non-final fragments keep 00 00 ff ff; the final one drops it; an empty message is 00 (same as ws)', async () => {
  for (const Impl of [PerMessageDeflate, WsPerMessageDeflate]) {
    const ext = negotiated(Impl);
    assert.deepEqual(await compress(ext, Buffer.from('Hel'), false), hex('f2 48 cd 01 00 00 00 ff ff'), Impl.name);
    assert.deepEqual(await compress(ext, Buffer.from('lo'), true), hex('ca c9 07 00'), Impl.name);
    assert.deepEqual(await compress(ext, Buffer.alloc(0), true), hex('00'), Impl.name);
    assert.deepEqual(await compress(ext, Buffer.alloc(0), false), hex('00 00 00 ff ff'), Impl.name);
    assert.deepEqual(await compress(ext, Buffer.alloc(0), true), hex('00'), Impl.name);
    ext.cleanup();
  }
  const receiver = negotiated(PerMessageDeflate);
  assert.deepEqual(await decompress(receiver, hex('00')), Buffer.alloc(0));
  assert.deepEqual(await decompress(receiver, Buffer.alloc(0)), Buffer.alloc(0));
  receiver.cleanup();
});

test('no context takeover really resets: same bytes every time, and the receiver forgets the window', async () => {
  const sender = negotiated(PerMessageDeflate, { server_no_context_takeover: true }, { isServer: true });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await compress(sender, Buffer.from('Hello')), hex('f2 48 cd c9 c9 07 00'), `message ${i}`);
  }
  // Only the server's own context resets: the client side of the same agreement keeps its window.
  const client = negotiated(PerMessageDeflate, { server_no_context_takeover: true });
  assert.deepEqual(await compress(client, Buffer.from('Hello')), hex('f2 48 cd c9 c9 07 00'));
  assert.deepEqual(await compress(client, Buffer.from('Hello')), hex('f2 00 11 00 00'));

  // A client inflating a server that resets: a back-reference to the previous message must now fail.
  const receiver = negotiated(PerMessageDeflate, { server_no_context_takeover: true });
  assert.equal((await decompress(receiver, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
  const { error } = await settle(decompress(receiver, hex('f2 00 11 00 00')));
  assert.equal(error?.code, 'Z_DATA_ERROR');
  assert.equal(error.message, 'invalid distance too far back');
  assert.equal(error.closeCode, 1007);
  // With takeover the same bytes are fine.
  const keeping = negotiated(PerMessageDeflate);
  await decompress(keeping, hex('f2 48 cd c9 c9 07 00'));
  assert.equal((await decompress(keeping, hex('f2 00 11 00 00'))).toString(), 'Hello');
  for (const ext of [sender, client, receiver, keeping]) ext.cleanup();
});

const payloads = [
  Buffer.alloc(0),
  Buffer.from('Hello'),
  Buffer.from('{"id":1,"name":"sockwire","tags":["a","b","c"]}'.repeat(200)),
  randomBytes(70000),
  Buffer.alloc(300000, 0x61)
];

const paramSets = [
  {},
  { server_no_context_takeover: true, client_no_context_takeover: true },
  { server_max_window_bits: 9, client_max_window_bits: 10 },
  { server_max_window_bits: 8, client_max_window_bits: 8 },
  { server_max_window_bits: 15, client_max_window_bits: 12, client_no_context_takeover: true },
  { server_max_window_bits: 11, server_no_context_takeover: true }
];

test('byte-exact with ws: same compressed bytes, each inflates the other (all sides, params, fragments)', async () => {
  let checked = 0;
  for (const params of paramSets) {
    for (const isServer of [false, true]) {
      const options = { isServer, zlibDeflateOptions: { level: 6 } };
      const ours = negotiated(PerMessageDeflate, params, options);
      const theirs = negotiated(WsPerMessageDeflate, params, options);
      const peerOptions = { isServer: !isServer };
      const oursPeer = negotiated(PerMessageDeflate, params, peerOptions);
      const theirsPeer = negotiated(WsPerMessageDeflate, params, peerOptions);
      for (const payload of payloads) {
        // Whole message, then the same payload as three fragments.
        const cut = [0, Math.floor(payload.length / 3), Math.floor((2 * payload.length) / 3), payload.length];
        for (const parts of [[payload], [0, 1, 2].map((i) => payload.subarray(cut[i], cut[i + 1]))]) {
          const mine = [];
          const wsBytes = [];
          for (let i = 0; i < parts.length; i++) {
            const fin = i === parts.length - 1;
            mine.push(await compress(ours, parts[i], fin));
            wsBytes.push(await compress(theirs, parts[i], fin));
          }
          const label = `${JSON.stringify(params)} server=${isServer} ${payload.length}B/${parts.length}`;
          assert.deepEqual(Buffer.concat(mine), Buffer.concat(wsBytes), label);
          const viaWs = [];
          const viaOurs = [];
          for (let i = 0; i < parts.length; i++) {
            const fin = i === parts.length - 1;
            viaWs.push(await decompress(theirsPeer, mine[i], fin));
            viaOurs.push(await decompress(oursPeer, wsBytes[i], fin));
          }
          assert.deepEqual(Buffer.concat(viaWs), payload, `ws inflates ours: ${label}`);
          assert.deepEqual(Buffer.concat(viaOurs), payload, `ours inflates ws: ${label}`);
          checked += 1;
        }
      }
      for (const ext of [ours, theirs, oursPeer, theirsPeer]) ext.cleanup();
    }
  }
  assert.equal(checked, paramSets.length * 2 * payloads.length * 2);
});

test('zlibDeflateOptions reach zlib (level 0 = stored blocks); their windowBits is ignored, as in ws', async () => {
  const stored = negotiated(PerMessageDeflate, {}, { zlibDeflateOptions: { level: 0 } });
  const wsStored = negotiated(WsPerMessageDeflate, {}, { zlibDeflateOptions: { level: 0 } });
  const out = await compress(stored, Buffer.from('Hello'));
  assert.deepEqual(out, await compress(wsStored, Buffer.from('Hello')));
  assert.deepEqual(out, hex('00 05 00 fa ff 48 65 6c 6c 6f 00'));
  const text = Buffer.from('abcdefghij'.repeat(50) + 'z'.repeat(600) + 'abcdefghij'.repeat(50));
  const narrow = negotiated(PerMessageDeflate, {}, { zlibDeflateOptions: { windowBits: 9 } });
  const wsNarrow = negotiated(WsPerMessageDeflate, {}, { zlibDeflateOptions: { windowBits: 9 } });
  const wide = negotiated(PerMessageDeflate);
  const narrowOut = await compress(narrow, text);
  assert.deepEqual(narrowOut, await compress(wsNarrow, text));
  assert.deepEqual(narrowOut, await compress(wide, text));
  // A negotiated window does change the output.
  const agreed = negotiated(PerMessageDeflate, { client_max_window_bits: 9 });
  assert.notDeepEqual(await compress(agreed, text), narrowOut);
  agreed.cleanup();
  for (const ext of [stored, wsStored, narrow, wsNarrow, wide]) ext.cleanup();
});

test('corrupt data: zlib error passed on with closeCode 1007, same message and code as ws; next message works', async () => {
  for (const bad of [hex('ff ff ff ff'), hex('07'), hex('f2 00 11 00 00')]) {
    const ours = negotiated(PerMessageDeflate);
    const theirs = negotiated(WsPerMessageDeflate);
    const a = await settle(decompress(ours, bad));
    const b = await settle(decompress(theirs, bad));
    assert.ok(a.error instanceof Error, bad.toString('hex'));
    assert.equal(a.error.message, b.error.message);
    assert.equal(a.error.code, b.error.code);
    assert.equal(a.error.closeCode, 1007);
    assert.equal((await decompress(ours, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
    ours.cleanup();
    theirs.cleanup();
  }
});

test('maxPayload: exactly the limit passes, one byte more fails with 1009 (as ws); the next message works', async () => {
  const ten = await compress(negotiated(PerMessageDeflate), Buffer.alloc(10, 0x61));
  const eleven = await compress(negotiated(PerMessageDeflate), Buffer.alloc(11, 0x61));
  for (const Impl of [PerMessageDeflate, WsPerMessageDeflate]) {
    const ext = negotiated(Impl, {}, { maxPayload: 10 });
    assert.deepEqual(await decompress(ext, ten), Buffer.alloc(10, 0x61), Impl.name);
    const { error } = await settle(decompress(ext, eleven));
    assert.ok(error instanceof RangeError, Impl.name);
    assert.equal(error.message, 'Max payload size exceeded');
    assert.equal(error.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    if (Impl === PerMessageDeflate) assert.equal(error.closeCode, 1009);
    assert.equal((await decompress(ext, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello', Impl.name);
    ext.cleanup();
  }
});

test('deliberate divergence: maxPayload counts the whole message across fragments (ws counts each frame)', async () => {
  const ext = negotiated(PerMessageDeflate, {}, { maxPayload: 10 });
  const sender = negotiated(PerMessageDeflate);
  const a = await compress(sender, Buffer.alloc(6, 0x61), false);
  const b = await compress(sender, Buffer.alloc(6, 0x62), true);
  assert.deepEqual(await decompress(ext, a, false), Buffer.alloc(6, 0x61));
  const { error } = await settle(decompress(ext, b, true));
  assert.equal(error?.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  for (const x of [ext, sender]) x.cleanup();
  // The count restarts with each message: 6-byte messages in a row are fine.
  const s2 = negotiated(PerMessageDeflate);
  const r2 = negotiated(PerMessageDeflate, {}, { maxPayload: 10 });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await decompress(r2, await compress(s2, Buffer.alloc(6, 0x64))), Buffer.alloc(6, 0x64));
  }
  s2.cleanup();
  r2.cleanup();
});

test('callbacks come back in call order, even when many calls are queued at once', async () => {
  const sender = negotiated(PerMessageDeflate);
  const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`message ${i} `.repeat((i % 7) * 300 + 1)));
  const order = [];
  const outputs = await Promise.all(
    messages.map(
      (m, i) =>
        new Promise((resolve, reject) =>
          sender.compress(m, true, (err, out) => {
            order.push(i);
            if (err) reject(err);
            else resolve(out);
          })
        )
    )
  );
  assert.deepEqual(order, messages.map((_, i) => i));
  const receiver = negotiated(PerMessageDeflate);
  const inflated = await Promise.all(outputs.map((o) => decompress(receiver, o)));
  assert.deepEqual(inflated, messages);
  sender.cleanup();
  receiver.cleanup();
});

test('cleanup fails running and queued work with ws messages, then the instance works again', async () => {
  const ext = negotiated(PerMessageDeflate);
  const big = randomBytes(1 << 20);
  const pending = [settle(compress(ext, big)), settle(compress(ext, Buffer.from('x'))), settle(decompress(ext, hex('f2 48 cd c9 c9 07 00')))];
  ext.cleanup();
  const [first, second, third] = await Promise.all(pending);
  assert.equal(first.error?.message, 'The deflate stream was closed while data was being processed');
  assert.equal(second.error?.message, 'The deflate stream was closed while data was being processed');
  assert.equal(third.error?.message, 'The inflate stream was closed while data was being processed');
  assert.deepEqual(await compress(ext, Buffer.from('Hello')), hex('f2 48 cd c9 c9 07 00'));
  assert.equal((await decompress(ext, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
  ext.cleanup();
  ext.cleanup(); // idempotent
});

test('compress before accept uses the defaults (no params yet)', async () => {
  const ext = new PerMessageDeflate();
  assert.deepEqual(await compress(ext, Buffer.from('Hello')), hex('f2 48 cd c9 c9 07 00'));
  ext.cleanup();
});

test('zlib options zlib refuses reach the callback as an error; later calls still answer', async () => {
  const ext = negotiated(PerMessageDeflate, {}, { zlibDeflateOptions: { level: 42 } });
  const first = await settle(compress(ext, Buffer.from('Hello')));
  assert.ok(first.error instanceof RangeError);
  assert.equal(first.error.code, 'ERR_OUT_OF_RANGE');
  const second = await settle(compress(ext, Buffer.from('Hello')));
  assert.equal(second.error?.code, 'ERR_OUT_OF_RANGE');
  assert.equal((await decompress(ext, hex('f2 48 cd c9 c9 07 00'))).toString(), 'Hello');
  ext.cleanup();
});
