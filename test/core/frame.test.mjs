// RFC 6455 §5.2/§5.7 frame encoding: byte-exact vectors for every frame kind and length encoding, masked and
// unmasked, and the same vectors decoded by the MessageReader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hex,
  encodeFrame,
  writeHeader,
  headerSize,
  runReader,
  byteChunks,
  createRandom
} from '../helpers/core-util.mjs';

const KEY = hex('37 fa 21 3d');

/** RFC 6455 §5.7 examples, plus the header of each length encoding. */
const VECTORS = [
  { name: 'single-frame unmasked text "Hello"', frame: '81 05 48 65 6c 6c 6f', opcode: 1, fin: true, data: 'Hello' },
  {
    name: 'single-frame masked text "Hello"',
    frame: '81 85 37 fa 21 3d 7f 9f 4d 51 58',
    opcode: 1,
    fin: true,
    data: 'Hello',
    masked: true
  },
  { name: 'fragment 1 "Hel"', frame: '01 03 48 65 6c', opcode: 1, fin: false, data: 'Hel' },
  { name: 'fragment 2 "lo"', frame: '80 02 6c 6f', opcode: 0, fin: true, data: 'lo' },
  { name: 'unmasked ping "Hello"', frame: '89 05 48 65 6c 6c 6f', opcode: 9, fin: true, data: 'Hello' },
  {
    name: 'masked pong "Hello"',
    frame: '8a 85 37 fa 21 3d 7f 9f 4d 51 58',
    opcode: 10,
    fin: true,
    data: 'Hello',
    masked: true
  }
];

test('RFC 6455 §5.7 examples are encoded byte for byte (fixed mask 37 fa 21 3d)', () => {
  for (const vector of VECTORS) {
    const frames = encodeFrame(Buffer.from(vector.data), {
      opcode: vector.opcode,
      fin: vector.fin,
      mask: vector.masked === true,
      maskBuffer: KEY
    });
    assert.equal(Buffer.concat(frames).toString('hex'), hex(vector.frame).toString('hex'), vector.name);
  }
});

test('RFC 6455 §5.7: 256 bytes use the 16-bit length (7e 01 00), 64 KiB the 64-bit length', () => {
  const small = Buffer.alloc(256, 0x61);
  const [frame256] = encodeFrame(small, { opcode: 2, fin: true, mask: false });
  assert.equal(frame256.subarray(0, 4).toString('hex'), '827e0100');
  assert.equal(frame256.length, 4 + 256);
  assert.deepEqual(frame256.subarray(4), small);

  const big = Buffer.alloc(65536, 0x62);
  const frames = encodeFrame(big, { opcode: 2, fin: true, mask: false });
  assert.equal(frames.length, 2);
  assert.equal(frames[0].toString('hex'), '827f0000000000010000');
  assert.equal(frames[1], big, 'large unmasked payloads are not copied');
});

test('length boundaries 0, 125, 126, 65535, 65536 pick the right encoding (masked and not)', () => {
  const cases = [
    [0, '8200', '8280'],
    [125, '827d', '82fd'],
    [126, '827e007e', '82fe007e'],
    [65535, '827effff', '82feffff'],
    [65536, '827f0000000000010000', '82ff0000000000010000']
  ];
  for (const [length, plain, masked] of cases) {
    assert.equal(headerSize(length, false), plain.length / 2, `headerSize ${length}`);
    assert.equal(headerSize(length, true), masked.length / 2 + 4, `masked headerSize ${length}`);
    const data = Buffer.alloc(length, 0x5a);
    const unmasked = Buffer.concat(encodeFrame(data, { opcode: 2, fin: true, mask: false }));
    assert.equal(unmasked.subarray(0, plain.length / 2).toString('hex'), plain, `unmasked ${length}`);
    assert.equal(unmasked.length, plain.length / 2 + length);
    const withMask = Buffer.concat(
      encodeFrame(Buffer.alloc(length, 0x5a), { opcode: 2, fin: true, mask: true, maskBuffer: KEY })
    );
    assert.equal(withMask.subarray(0, masked.length / 2 + 4).toString('hex'), masked + '37fa213d', `masked ${length}`);
    // Payload byte i is 0x5a ^ key[i % 4].
    for (const i of [0, 1, 2, 3, length - 1].filter((n) => n >= 0 && n < length)) {
      assert.equal(withMask[masked.length / 2 + 4 + i], 0x5a ^ KEY[i % 4], `byte ${i} of ${length}`);
    }
  }
});

test('writeHeader: 64-bit lengths above 2^32 and up to 2^53 - 1 (header only)', () => {
  const target = Buffer.alloc(14, 0xee);
  assert.equal(writeHeader(target, 2 ** 32 + 5, 2, true, false, null), 10);
  assert.equal(target.subarray(0, 10).toString('hex'), '827f0000000100000005');
  assert.equal(writeHeader(target, 2 ** 53 - 1, 0, false, true, hex('01 02 03 04')), 14);
  assert.equal(target.toString('hex'), '40ff001fffffffffffff01020304');
});

test('FIN, RSV1 and opcode bits for every frame kind', () => {
  const cases = [
    [{ opcode: 0, fin: false }, '00'],
    [{ opcode: 0, fin: true }, '80'],
    [{ opcode: 1, fin: false, rsv1: true }, '41'],
    [{ opcode: 1, fin: true, rsv1: true }, 'c1'],
    [{ opcode: 2, fin: true }, '82'],
    [{ opcode: 8, fin: true }, '88'],
    [{ opcode: 9, fin: true }, '89'],
    [{ opcode: 10, fin: true }, '8a']
  ];
  for (const [options, first] of cases) {
    const [frame] = encodeFrame(Buffer.from('x'), { ...options, mask: false });
    assert.equal(frame.toString('hex'), `${first}0178`, JSON.stringify(options));
  }
  const [close] = encodeFrame(hex('03 e8 62 79 65'), { opcode: 8, fin: true, mask: true, maskBuffer: KEY });
  assert.equal(close.toString('hex'), '888537fa213d' + '3412434452');
});

test('masking: small payloads are copied (source untouched); large ones are masked in place unless readOnly', () => {
  const small = Buffer.from('Hello');
  encodeFrame(small, { opcode: 1, fin: true, mask: true, maskBuffer: KEY });
  assert.equal(small.toString(), 'Hello');

  const random = createRandom(42);
  const original = random.bytes(5000);
  const expectedMasked = Buffer.from(original);
  for (let i = 0; i < expectedMasked.length; i++) expectedMasked[i] ^= KEY[i % 4];

  const inPlace = Buffer.from(original);
  const frames = encodeFrame(inPlace, { opcode: 2, fin: true, mask: true, maskBuffer: KEY });
  assert.equal(frames.length, 2);
  assert.equal(frames[0].toString('hex'), '82fe1388' + '37fa213d');
  assert.equal(frames[1], inPlace, 'payload buffer is reused');
  assert.deepEqual(inPlace, expectedMasked);

  const readOnly = Buffer.from(original);
  const merged = encodeFrame(readOnly, { opcode: 2, fin: true, mask: true, maskBuffer: KEY, readOnly: true });
  assert.equal(merged.length, 1);
  assert.deepEqual(readOnly, original, 'readOnly source untouched');
  assert.deepEqual(merged[0].subarray(8), expectedMasked);
});

test('unmasked payloads up to 1024 bytes are merged behind the header; 1025 bytes are not', () => {
  const at = encodeFrame(Buffer.alloc(1024, 1), { opcode: 2, fin: true, mask: false });
  assert.equal(at.length, 1);
  assert.equal(at[0].length, 4 + 1024);
  const above = encodeFrame(Buffer.alloc(1025, 1), { opcode: 2, fin: true, mask: false });
  assert.equal(above.length, 2);
  assert.equal(above[0].toString('hex'), '827e0401');
  const maskedAt = encodeFrame(Buffer.alloc(1024, 1), { opcode: 2, fin: true, mask: true, maskBuffer: KEY });
  assert.equal(maskedAt.length, 1);
  const maskedAbove = encodeFrame(Buffer.alloc(1025, 1), { opcode: 2, fin: true, mask: true, maskBuffer: KEY });
  assert.equal(maskedAbove.length, 2);
});

test('generateMask supplies the key; without it a fresh random key is drawn per frame', () => {
  let calls = 0;
  const [frame] = encodeFrame(Buffer.from('Hello'), {
    opcode: 1,
    fin: true,
    mask: true,
    generateMask: (target) => {
      calls++;
      assert.equal(target.length, 4);
      KEY.copy(target);
    }
  });
  assert.equal(calls, 1);
  assert.equal(frame.toString('hex'), '818537fa213d7f9f4d5158');

  const keys = new Set();
  for (let i = 0; i < 50; i++) {
    const [random] = encodeFrame(Buffer.from('Hello'), { opcode: 1, fin: true, mask: true });
    assert.equal(random.subarray(0, 2).toString('hex'), '8185');
    const key = random.subarray(2, 6);
    keys.add(key.toString('hex'));
    const payload = Buffer.from(random.subarray(6));
    for (let k = 0; k < 5; k++) payload[k] ^= key[k % 4];
    assert.equal(payload.toString(), 'Hello');
  }
  assert.ok(keys.size > 45, `keys repeat too often: ${keys.size} distinct of 50`);
});

test('the RFC 6455 §5.7 vectors decode to the expected events (server side for masked, client for unmasked)', () => {
  const client = { isServer: false };
  const server = { isServer: true };
  const cases = [
    ['81 05 48 65 6c 6c 6f', client, ['message:text:48656c6c6f']],
    ['81 85 37 fa 21 3d 7f 9f 4d 51 58', server, ['message:text:48656c6c6f']],
    ['01 03 48 65 6c 80 02 6c 6f', client, ['message:text:48656c6c6f']],
    ['89 05 48 65 6c 6c 6f', client, ['ping:48656c6c6f']],
    ['8a 85 37 fa 21 3d 7f 9f 4d 51 58', server, ['pong:48656c6c6f']],
    ['89 85 37 fa 21 3d 7f 9f 4d 51 58', server, ['ping:48656c6c6f']],
    ['8a 05 48 65 6c 6c 6f', client, ['pong:48656c6c6f']]
  ];
  for (const [frame, options, expected] of cases) {
    assert.deepEqual(runReader([hex(frame)], options).events, expected, frame);
    assert.deepEqual(runReader(byteChunks(hex(frame)), options).events, expected, `${frame} byte by byte`);
  }
});

test('256-byte and 64 KiB binary frames decode (RFC 6455 §5.7 length examples), also byte by byte for 256', () => {
  const payload256 = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) payload256[i] = i;
  const frame256 = Buffer.concat([hex('82 7e 01 00'), payload256]);
  const expected256 = [`message:binary:${payload256.toString('hex')}`];
  assert.deepEqual(runReader([Buffer.from(frame256)], { isServer: false }).events, expected256);
  assert.deepEqual(runReader(byteChunks(frame256), { isServer: false }).events, expected256);

  const payload64k = createRandom(7).bytes(65536);
  const frame64k = Buffer.concat([hex('82 7f 00 00 00 00 00 01 00 00'), payload64k]);
  assert.deepEqual(runReader([frame64k], { isServer: false }).events, [`message:binary:${payload64k.toString('hex')}`]);

  // Masked 64 KiB from the encoder back through the server-side reader.
  const frames = encodeFrame(Buffer.from(payload64k), { opcode: 2, fin: true, mask: true, maskBuffer: KEY });
  assert.equal(frames[0].toString('hex'), '82ff0000000000010000' + '37fa213d');
  assert.deepEqual(runReader(frames, { isServer: true }).events, [`message:binary:${payload64k.toString('hex')}`]);
});
