/**
 * The receiving half of permessage-deflate: raw INFLATE with the size guard. Inflation stops as soon as the
 * message's output passes `maxPayload`, so a small "zip bomb" never turns into a large buffer.
 */
import { createInflateRaw, type ZlibOptions } from 'node:zlib';
import { fail, toError } from '../core/errors';
import { WindowHistory } from './window-history';
import type { ZlibLimiter } from './zlib-limiter';
import { flushesEachWrite, syncFlushOptions, ZlibPipe, type JobOutput, type RawZlibStream } from './zlib-pipe';

/** RFC 7692 §7.2.2: the bytes a sender removed from the end of each message. */
const TRAILER: Buffer = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** RFC 1951 §3.2.4: a stored block's header byte, then LEN and NLEN, two bytes each. */
const STORED_HEADER_LENGTH = 5;

/** RFC 6455 §7.4.1: 1007, the payload is not consistent with the message type (it does not inflate). */
const INVALID_PAYLOAD_CLOSE_CODE = 1007;

/** Settings of a {@link Decompressor}, fixed when negotiation ends. */
export interface DecompressorSettings {
  /** Passed to `zlib.createInflateRaw`. */
  readonly zlibOptions: ZlibOptions;
  /** The LZ77 window size the peer uses. */
  readonly windowBits: number;
  /** The peer resets its context after each message (RFC 7692 §7.1.1). */
  readonly noContextTakeover: boolean;
  /** Most inflated bytes per message; 0 or less means no limit. */
  readonly maxPayload: number;
  /** Ms without a message after which the zlib stream is closed, its window kept (0 = never). */
  readonly idleTimeout: number;
}

/** Inflates message payloads, one frame at a time, in call order. */
export class Decompressor extends ZlibPipe {
  /** Inflated bytes of the current message so far (over all its frames). */
  private messageLength = 0;

  constructor(
    limiter: ZlibLimiter,
    private readonly settings: DecompressorSettings
  ) {
    super(limiter, flushesEachWrite(settings.zlibOptions), settings.idleTimeout, historyFor(settings));
  }

  protected createStream(): RawZlibStream {
    return createInflateRaw(syncFlushOptions(this.settings.zlibOptions, this.settings.windowBits));
  }

  protected primer(window: Buffer): Buffer {
    // RFC 1951 §3.2.4: a non-final stored block holding the window. Inflating it leaves exactly these bytes in the
    // fresh inflater's window and ends on a byte boundary, where the peer's next message begins. It costs ~0.1 ms
    // more than a dictionary, once per reopen, but leaves no copy of the window (up to 32 KiB) in Node for the
    // stream's life.
    const block = Buffer.allocUnsafe(STORED_HEADER_LENGTH + window.length);
    block[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), then padding to the byte boundary
    block.writeUInt16LE(window.length, 1); // LEN (a window is at most 32 KiB)
    block.writeUInt16LE(~window.length & 0xffff, 3); // NLEN
    window.copy(block, STORED_HEADER_LENGTH);
    return block;
  }

  protected input(data: Buffer, fin: boolean): Buffer {
    // RFC 7692 §7.2.2: put back the empty stored block the sender stripped. Copying the (compressed, so short)
    // payload once costs far less than a second write, which is one more trip to the zlib thread pool.
    return fin ? Buffer.concat([data, TRAILER], data.length + TRAILER.length) : data;
  }

  protected onOutput(output: JobOutput): Error | undefined {
    const maxPayload = this.settings.maxPayload;
    if (maxPayload > 0 && this.messageLength + output.length > maxPayload) {
      return toError(fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded', false));
    }
    return undefined;
  }

  protected finishJob(output: JobOutput, fin: boolean, stream: RawZlibStream): Buffer {
    const result = output.chunks.length === 1 ? (output.chunks[0] as Buffer) : Buffer.concat(output.chunks, output.length);
    this.history?.append(result);
    if (fin) {
      this.messageLength = 0;
      // RFC 7692 §7.1.1: the peer starts each message from an empty window.
      if (this.settings.noContextTakeover) stream.reset();
    } else {
      this.messageLength += output.length;
    }
    return result;
  }

  protected onAbort(): void {
    this.messageLength = 0;
  }

  protected wrapZlibError(error: Error): Error {
    // zlib's own error (code Z_DATA_ERROR, ...) is passed on, marked with the close code to use.
    (error as Error & { closeCode?: number }).closeCode = INVALID_PAYLOAD_CLOSE_CODE;
    return error;
  }

  protected closedError(): Error {
    return new Error('The inflate stream was closed while data was being processed');
  }
}

/**
 * What an idle decompressor keeps of its context: with context takeover the peer may refer back to anything in its
 * window, so the last window of inflated bytes, from which a reopened inflater decodes exactly what a kept one
 * would (RFC 7692 §7.1.1). Without context takeover the peer starts each message empty: nothing to keep.
 */
function historyFor(settings: DecompressorSettings): WindowHistory | undefined {
  if (settings.idleTimeout <= 0 || settings.noContextTakeover) return undefined;
  return new WindowHistory(1 << settings.windowBits);
}
