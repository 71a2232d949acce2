/**
 * Compress one whole message once for many connections (broadcast). Valid only for peers that agreed to
 * `server_no_context_takeover` (RFC 7692 §7.1.1.1): each message is then an independent DEFLATE stream, so the same
 * bytes decode on every such connection whose window is at least `windowBits` (§7.1.2.2).
 */
import { constants, deflateRawSync, type ZlibOptions } from 'node:zlib';

/**
 * RFC 7692 §7.2.1: raw DEFLATE with a sync flush, minus the trailing 00 00 ff ff. Synchronous on purpose: it runs
 * once per broadcast, and a synchronous result keeps the frame in order with sends made right after.
 */
export function deflateMessageOnce(data: Buffer, windowBits: number, zlibOptions: ZlibOptions): Buffer {
  const output = deflateRawSync(data, { ...zlibOptions, windowBits, finishFlush: constants.Z_SYNC_FLUSH });
  const n = output.length;
  if (n >= 4 && output[n - 4] === 0x00 && output[n - 3] === 0x00 && output[n - 2] === 0xff && output[n - 1] === 0xff) {
    return output.subarray(0, n - 4);
  }
  return output;
}
