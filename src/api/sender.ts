/** ws's `Sender`: frames and writes messages and control frames to a socket; `Sender.frame()` encodes one frame. */
import type { Duplex } from 'node:stream';
import { encodeFrameParts } from '../core/frame';
import { FrameSender, type ExtensionMap } from '../io/sender';

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
   * Encode one frame (RFC 6455 §5.2) in ws's shape: `[header]` (empty payload), `[header, payload]`, or `[frame]`
   * when a read-only payload had to be copied for masking.
   */
  static frame(data: Buffer | string, options: FrameOptionsInput): Buffer[] {
    // Options are read as ws reads them (truthiness; `mask` first, so a null `options` fails the same way).
    const mask = Boolean(options.mask);
    const fromString = typeof data === 'string';
    return encodeFrameParts(fromString ? Buffer.from(data) : data, {
      opcode: options.opcode,
      fin: Boolean(options.fin),
      rsv1: Boolean(options.rsv1),
      mask,
      // A string is converted to a fresh Buffer here, which may be masked in place.
      readOnly: !fromString && Boolean(options.readOnly),
      maskBuffer: options.maskBuffer,
      generateMask: options.generateMask
    });
  }
}
