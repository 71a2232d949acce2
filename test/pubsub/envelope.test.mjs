// The envelope's exact bytes (src/pubsub/envelope.ts): 16-byte header then the payload as it is; what decodes and
// what is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { encodeEnvelope, decodeEnvelope, formatNodeId, createNodeId } = createRequire(import.meta.url)('../../dist/cjs/pubsub/envelope.js');

test('layout: version, flags, 48-bit origin, 64-bit sequence, payload', () => {
  const envelope = encodeEnvelope(0x0102030405ab, 2 ** 32 + 7, true, false, Buffer.from('hi'));
  assert.equal(envelope.toString('hex'), '01' + '01' + '0102030405ab' + '00000001' + '00000007' + '6869');
  assert.deepEqual(decodeEnvelope(envelope), { origin: 0x0102030405ab, sequence: 2 ** 32 + 7, binary: true, compress: false, payload: Buffer.from('hi') });
  const text = encodeEnvelope(1, 1, false, true, Buffer.alloc(0));
  assert.equal(text.toString('hex'), '0102000000000001' + '0000000000000001');
  assert.deepEqual(decodeEnvelope(text), { origin: 1, sequence: 1, binary: false, compress: true, payload: Buffer.alloc(0) });
  assert.equal(encodeEnvelope(1, Number.MAX_SAFE_INTEGER, true, true, Buffer.alloc(0)).subarray(8).toString('hex'), '001fffffffffffff');
});

test('refused: too short, another version, a sequence beyond 2^53', () => {
  assert.equal(decodeEnvelope(Buffer.alloc(15)), null);
  const other = encodeEnvelope(1, 1, true, true, Buffer.from('x'));
  other[0] = 2;
  assert.equal(decodeEnvelope(other), null);
  const huge = encodeEnvelope(1, 1, true, true, Buffer.alloc(0));
  huge.writeUInt32BE(0x00200000, 8);
  assert.equal(decodeEnvelope(huge), null);
});

test('node ids: 48 random bits shown as 12 hex digits', () => {
  const ids = new Set(Array.from({ length: 100 }, createNodeId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < 2 ** 48);
  assert.equal(formatNodeId(0xabc), '000000000abc');
});
