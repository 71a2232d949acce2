/** RFC 6455 §5.2 frame encoding: header bytes for every frame kind, masked (client) or not (server). */
import { mask as maskBytes } from './mask';
import { randomMask } from './mask-pool';

/** How to frame one payload. */
export interface FrameOptions {
  /** RFC 6455 §5.2 opcode. */
  opcode: number;
  /** Last frame of the message. */
  fin: boolean;
  /** RSV1: the payload is compressed (RFC 7692 §6). */
  rsv1?: boolean;
  /** Mask the payload (clients must, RFC 6455 §5.3). */
  mask: boolean;
  /** Use these 4 bytes as the key instead of a fresh one. */
  maskBuffer?: Uint8Array;
  /** Fills a 4-byte key; defaults to the crypto pool. */
  generateMask?: (target: Buffer) => void;
  /** The payload may not be modified in place, so masking copies it. */
  readOnly?: boolean;
}

const MASK_SCRATCH = Buffer.alloc(4);

/** Unmasked payloads up to this size are copied behind the header so the frame is one write. */
export const MERGE_LIMIT = 1024;

/** Size of the header for a payload of `length` bytes (RFC 6455 §5.2 payload length encoding). */
export function headerSize(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 65536 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Write the frame header into `target` at `at` (default 0) and return where the payload starts. `maskKey` (if any)
 * is written into the header too.
 */
export function writeHeader(
  target: Buffer,
  length: number,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  maskKey: Uint8Array | null,
  at = 0
): number {
  target[at] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  let offset = at + 2;
  let lengthBits = length;
  if (length >= 65536) {
    lengthBits = 127;
    // RFC 6455 §5.2: 64-bit length, most significant bit 0. Lengths here are below 2^53.
    target.writeUInt32BE(Math.floor(length / 0x100000000), offset);
    target.writeUInt32BE(length >>> 0, offset + 4);
    offset += 8;
  } else if (length >= 126) {
    lengthBits = 126;
    target.writeUInt16BE(length, offset);
    offset += 2;
  }
  target[at + 1] = lengthBits;
  if (maskKey !== null) {
    target[at + 1] |= 0x80;
    target[offset] = maskKey[0];
    target[offset + 1] = maskKey[1];
    target[offset + 2] = maskKey[2];
    target[offset + 3] = maskKey[3];
    offset += 4;
  }
  return offset;
}

/**
 * Write a whole frame (header, then the payload, masked with `maskKey` when there is one) into `target` at `at`,
 * which must have room for {@link headerSize} + `data.length` bytes; `data` itself is never modified. Returns the
 * end of the frame. The sender packs small frames back to back this way, without a Buffer per frame.
 */
export function writeFrameAt(
  target: Buffer,
  at: number,
  data: Buffer,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  maskKey: Uint8Array | null
): number {
  const start = writeHeader(target, data.length, opcode, fin, rsv1, maskKey, at);
  if (maskKey === null) data.copy(target, start);
  else maskBytes(data, maskKey, target, start, data.length);
  return start + data.length;
}

/**
 * Encode one frame and return the buffers to write, in order: either `[header, payload]` or a single merged buffer.
 * When masking, the payload is masked in place unless `readOnly` is set.
 */
export function encodeFrame(data: Buffer, options: FrameOptions): Buffer[] {
  const length = data.length;
  const rsv1 = options.rsv1 === true;
  if (!options.mask) {
    if (length <= MERGE_LIMIT) {
      const frame = Buffer.allocUnsafe(headerSize(length, false) + length);
      const start = writeHeader(frame, length, options.opcode, options.fin, rsv1, null);
      data.copy(frame, start);
      return [frame];
    }
    const header = Buffer.allocUnsafe(headerSize(length, false));
    writeHeader(header, length, options.opcode, options.fin, rsv1, null);
    return [header, data];
  }
  // A `maskBuffer` alone is the key; with `generateMask` it is where the key is generated (a buffer that keeps its
  // previous bytes, as ws's does). Without either, one scratch buffer serves every frame: it is copied at once.
  let key = options.maskBuffer;
  if (key === undefined) {
    key = MASK_SCRATCH;
    if (options.generateMask !== undefined) options.generateMask(MASK_SCRATCH);
    else randomMask(MASK_SCRATCH);
  } else if (options.generateMask !== undefined) {
    options.generateMask(key as Buffer);
  }
  const size = headerSize(length, true);
  if (options.readOnly === true || length <= MERGE_LIMIT) {
    const frame = Buffer.allocUnsafe(size + length);
    const start = writeHeader(frame, length, options.opcode, options.fin, rsv1, key);
    maskBytes(data, key, frame, start, length);
    return [frame];
  }
  const header = Buffer.allocUnsafe(size);
  writeHeader(header, length, options.opcode, options.fin, rsv1, key);
  maskBytes(data, key, data, 0, length);
  return [header, data];
}

/**
 * Encode one frame in the shape ws's `Sender.frame()` returns, which code built on ws hands to `sendFrame` and
 * which decides how many writes a control frame takes: `[header]` for an empty payload, `[header, payload]`
 * (the payload itself, not a copy) when unmasked or masked with an all-zero key, one merged buffer when a
 * read-only payload had to be masked (RFC 6455 §5.3), else `[header, payload]` masked in place. Unlike
 * {@link encodeFrame}, `maskBuffer` is where the key is generated (by `generateMask`, or from the crypto pool), and
 * flags are read as ws reads them (truthiness, `mask` first). `ownsData`: the bytes are a fresh copy (from a
 * string), so they may be masked in place whatever `readOnly` says.
 */
export function encodeFrameParts(data: Buffer, options: FrameOptions, ownsData = false): Buffer[] {
  let key: Buffer | null = null;
  if (options.mask) {
    key = (options.maskBuffer as Buffer | undefined) || MASK_SCRATCH;
    if (options.generateMask) options.generateMask(key);
    else randomMask(key);
  }
  const length = data.length;
  const zeroKey = key !== null && (key[0] | key[1] | key[2] | key[3]) === 0;
  const merge = key !== null && !zeroKey && !ownsData && Boolean(options.readOnly) && length > 0;
  const size = headerSize(length, key !== null);
  const header = Buffer.allocUnsafe(merge ? size + length : size);
  writeHeader(header, length, options.opcode, Boolean(options.fin), Boolean(options.rsv1), key);
  if (length === 0) return [header];
  if (key === null || zeroKey) return [header, data];
  if (merge) {
    maskBytes(data, key, header, size, length);
    return [header];
  }
  maskBytes(data, key, data, 0, length);
  return [header, data];
}
