/** ws's `Sender`: frames and writes messages and control frames to a socket; `Sender.frame()` encodes one frame. */
import type { Duplex } from 'node:stream';
import { headerSize, writeHeader } from '../core/frame';
import { mask as maskBytes } from '../core/mask';
import { randomMask } from '../core/mask-pool';
import { FrameSender, type ExtensionMap } from '../io/sender';

/** The key is copied into the header at once, so one scratch buffer serves every call without `maskBuffer`. */
const MASK_SCRATCH = Buffer.alloc(4);

/** `Sender.frame()` options (ws's). */
export interface FrameOptionsInput {
  fin?: boolean;
  mask?: boolean;
  maskBuffer?: Buffer;
  opcode: number;
  readOnly?: boolean;
  rsv1?: boolean;
  generateMask?: (mask: Buffer) => void;
}

/** Frame writer over a socket (ws 8 API). */
export class Sender extends FrameSender {
  constructor(socket: Duplex, extensions?: ExtensionMap, generateMask?: (mask: Buffer) => void) {
    super(socket, extensions, generateMask);
  }

  /**
   * Encode one frame (RFC 6455 §5.2) and return `[header, payload]`, or `[frame]` when a read-only payload had to
   * be copied for masking.
   */
  static frame(data: Buffer | string, options: FrameOptionsInput): Buffer[] {
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    let key: Buffer | null = null;
    if (options.mask) {
      key = options.maskBuffer ?? MASK_SCRATCH;
      if (options.generateMask) options.generateMask(key);
      else randomMask(key);
    }
    const length = payload.length;
    // An all-zero key leaves the payload unchanged: no copy, no XOR.
    const masking = key !== null && (key[0] | key[1] | key[2] | key[3]) !== 0;
    const merge = masking && options.readOnly === true && typeof data !== 'string';
    const size = headerSize(length, key !== null);
    const header = Buffer.allocUnsafe(merge ? size + length : size);
    writeHeader(header, length, options.opcode, options.fin === true, options.rsv1 === true, key);
    if (!masking) return [header, payload];
    if (merge) {
      maskBytes(payload, key as Buffer, header, size, length);
      return [header];
    }
    maskBytes(payload, key as Buffer, payload, 0, length);
    return [header, payload];
  }
}
