// A permessage-deflate "zip bomb" for the inflate-limit tests: many MiB of zeros as one raw DEFLATE stream
// (RFC 1951), about 1 KiB on the wire per MiB, built without ever holding the inflated data.
import { constants, createDeflateRaw } from 'node:zlib';

const MiB = 1024 * 1024;
/** The empty stored block a sync flush ends with (RFC 7692 §7.2.1). */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** What `deflate` emits for `data` up to a sync flush (so each call's output is byte-aligned). */
function flushed(deflate, data) {
  return new Promise((resolve) => {
    const chunks = [];
    const onData = (chunk) => chunks.push(chunk);
    deflate.on('data', onData);
    deflate.write(data);
    deflate.flush(constants.Z_SYNC_FLUSH, () => {
      deflate.off('data', onData);
      resolve(Buffer.concat(chunks));
    });
  });
}

/**
 * `mebibytes` MiB of zeros as one raw DEFLATE stream, ready to be a message's payload: the first MiB fills the
 * window with zeros, after which every further MiB compresses to the same sync-flushed block, so that block is
 * repeated. The final 00 00 ff ff is dropped, as a sender does for a message's last frame (RFC 7692 §7.2.1).
 * Throws if zlib did not end the stream with that tail (the bomb would then be malformed).
 */
export async function zipBomb(mebibytes) {
  const deflate = createDeflateRaw({ level: 9 });
  const zeros = Buffer.alloc(MiB);
  const first = await flushed(deflate, zeros);
  const steady = await flushed(deflate, zeros);
  deflate.close();
  const body = Buffer.concat([first, ...Array.from({ length: mebibytes - 1 }, () => steady)]);
  if (!body.subarray(-4).equals(TAIL)) throw new Error(`zip bomb: no sync-flush tail (${body.subarray(-4).toString('hex')})`);
  return body.subarray(0, body.length - 4);
}
