/** Masking keys from a crypto-random pool (RFC 6455 §10.3), refilled in batches instead of per frame. */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let position = POOL_SIZE;

/** Fill `target[0..4)` with 4 unpredictable bytes. Matches the `generateMask(buf)` option's signature. */
export function randomMask(target: Uint8Array): void {
  if (position === POOL_SIZE) {
    randomFillSync(pool);
    position = 0;
  }
  target[0] = pool[position];
  target[1] = pool[position + 1];
  target[2] = pool[position + 2];
  target[3] = pool[position + 3];
  position += 4;
}
