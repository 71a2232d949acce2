// The compressor writes each job once, with Z_SYNC_FLUSH as the stream's flush mode (one zlib thread-pool trip per
// frame). These tests pin that this sends exactly the bytes ws sends (a write, then a separate flush), for every
// zlib level and strategy, small and large memLevel, a caller's own `flush` option, empty payloads and fragments,
// over one long-lived context (RFC 7692 §7.2.1, context takeover).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { constants } from 'node:zlib';

const require = createRequire(import.meta.url);
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');
const WsPerMessageDeflate = require('ws').PerMessageDeflate;

function compress(ext, data, fin) {
  return new Promise((resolve, reject) => ext.compress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
}

function decompress(ext, data, fin) {
  return new Promise((resolve, reject) => ext.decompress(data, fin, (err, out) => (err ? reject(err) : resolve(out))));
}

/** Deterministic noise (a linear congruential generator), so a failure can be reproduced. */
function noise(length) {
  const out = Buffer.alloc(length);
  let state = 12345;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const json = Buffer.from('{"id":1,"name":"sockwire","tags":["a","b","c"]}'.repeat(1500));
const payloads = [Buffer.alloc(0), Buffer.from('x'), json.subarray(0, 1024), noise(70000), Buffer.alloc(140000, 0x61), json];

test('every level, strategy and flush option: the same bytes as ws, message after message, whole and fragmented', async () => {
  let frames = 0;
  for (const level of [0, 1, 6, 9]) {
    for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED]) {
      for (const memLevel of [1, 9]) {
        for (const flush of [undefined, constants.Z_NO_FLUSH, constants.Z_FULL_FLUSH]) {
          const options = { zlibDeflateOptions: { level, strategy, memLevel, ...(flush === undefined ? {} : { flush }) } };
          const label = JSON.stringify(options.zlibDeflateOptions);
          const ours = new PerMessageDeflate(options);
          const theirs = new WsPerMessageDeflate(options);
          const reader = new PerMessageDeflate({ isServer: true });
          ours.params = {};
          theirs.params = {};
          reader.params = {};
          for (const payload of payloads) {
            const half = payload.length >> 1;
            for (const parts of [[payload], [payload.subarray(0, half), payload.subarray(half)]]) {
              const inflated = [];
              for (let i = 0; i < parts.length; i++) {
                const fin = i === parts.length - 1;
                const mine = await compress(ours, parts[i], fin);
                assert.deepEqual(mine, await compress(theirs, parts[i], fin), `${label} ${payload.length} B, part ${i + 1}/${parts.length}`);
                inflated.push(await decompress(reader, mine, fin));
                frames += 1;
              }
              assert.deepEqual(Buffer.concat(inflated), payload, `${label} ${payload.length} B round trip`);
            }
          }
          for (const ext of [ours, theirs, reader]) ext.cleanup();
        }
      }
    }
  }
  assert.equal(frames, 4 * 5 * 2 * 3 * payloads.length * 3);
});
