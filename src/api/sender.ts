/** ws's `Sender`: frames and writes messages and control frames to a socket; `Sender.frame()` encodes one frame. */
import type { Duplex } from 'node:stream';
import { encodeFrameParts, type FrameOptions } from '../core/frame';
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
    if (typeof data === 'string') return encodeFrameParts(Buffer.from(data), options as FrameOptions, true);
    return encodeFrameParts(data, options as FrameOptions);
  }
}
