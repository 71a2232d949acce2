// Round-trip property (seeded, bounded): random conversations — sizes on every length boundary, random
// fragmentation, pings/pongs between fragments, an optional close — encoded with encodeFrame, cut into random chunks
// and parsed by MessageReader must give back exactly the modelled events. Every 5th case is also fed to ws's Receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom, randomChunks, byteChunks, runReader, runReceiver, WsReceiver } from '../helpers/core-util.mjs';
import { randomConversation, encodeFrames } from '../helpers/core-frames.mjs';

const CASES = 500;
const SEED = 0x50c4e7;

function chunk(random, bytes) {
  const mode = random.int(0, 4);
  if (mode === 0) return [bytes];
  if (mode === 1) return randomChunks(random, bytes, 7);
  if (mode === 2) return randomChunks(random, bytes, 200);
  if (mode === 3 && bytes.length <= 3000) return byteChunks(bytes);
  return randomChunks(random, bytes, 5000);
}

test(`${CASES} seeded round trips: encodeFrame → random chunks → MessageReader gives the modelled events`, async () => {
  const random = createRandom(SEED);
  const seen = { masked: 0, unmasked: 0, fragmented: 0, close: 0, large: 0, bytewise: 0, sizes: new Set() };
  for (let n = 0; n < CASES; n++) {
    const isServer = random.bool();
    const { frames, events } = randomConversation(random, { allowLarge: n % 4 === 0 });
    const bytes = encodeFrames(random, frames, isServer);
    const binaryType = random.pick(['nodebuffer', 'arraybuffer', 'fragments']);
    const chunks = chunk(random, bytes);
    const options = { isServer, binaryType, maxPayload: random.bool(0.3) ? 100 * 1024 * 1024 : 0 };
    const pristine = chunks.map((c) => Buffer.from(c));
    const { events: actual } = runReader(chunks, options);
    assert.deepEqual(
      actual,
      events,
      `case ${n} (isServer ${isServer}, ${chunks.length} chunks, ${bytes.length} bytes)`
    );
    if (n % 5 === 0) {
      assert.deepEqual(await runReceiver(WsReceiver, pristine, options), events, `ws agrees on case ${n}`);
    }
    seen[isServer ? 'masked' : 'unmasked']++;
    if (frames.some((f) => f.opcode === 0)) seen.fragmented++;
    if (frames.some((f) => f.opcode === 8)) seen.close++;
    if (frames.some((f) => f.payload.length >= 65536)) seen.large++;
    if (chunks.length === bytes.length && bytes.length > 1) seen.bytewise++;
    for (const f of frames) seen.sizes.add(f.payload.length);
  }
  // The generator really covered what the property is about.
  assert.ok(seen.masked > 150 && seen.unmasked > 150, JSON.stringify(seen));
  assert.ok(seen.fragmented > 150, `fragmented: ${seen.fragmented}`);
  assert.ok(seen.close > 100, `close: ${seen.close}`);
  assert.ok(seen.large > 3, `large: ${seen.large}`);
  assert.ok(seen.bytewise > 30, `bytewise: ${seen.bytewise}`);
  for (const size of [0, 125, 126, 127, 65535, 65536]) assert.ok(seen.sizes.has(size), `size ${size} not generated`);
});
