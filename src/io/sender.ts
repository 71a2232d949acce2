/**
 * Writes frames to a socket in order. Compressed messages and Blob reads are asynchronous, so while one is in
 * flight every later operation (data, ping, pong, close) waits in a queue behind it — frames never overtake.
 */
import type { Duplex } from 'node:stream';
import type { Blob } from 'node:buffer';
import { types } from 'node:util';
import { EMPTY_BUFFER, NOOP, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from '../core/constants';
import { encodeFrame, encodeFrameParts, headerSize, MERGE_LIMIT, writeFrameAt, type FrameOptions } from '../core/frame';
import { randomMask } from '../core/mask-pool';
import { isValidCloseCode } from '../core/close-codes';
import { setPrototypeDefaults } from '../core/prototype-defaults';
import { isBlob, toBytes, type SendData } from './data';
import type { TrafficCounters } from './traffic';
import { frameSlab } from './frame-slab';

/** The part of permessage-deflate the sender needs. */
export interface Compressor {
  /** Negotiated parameters (RFC 7692 §7.1). */
  readonly params: Record<string, unknown>;
  compress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void;
}

/** Negotiated extensions by name, as ws keeps them. */
export type ExtensionMap = Record<string, unknown>;

/** Options of one data send (ws's). */
export interface SendOptions {
  binary?: boolean;
  compress?: boolean;
  fin?: boolean;
  mask?: boolean;
}

type WriteCallback = (error?: Error | null) => void;

interface QueuedOperation {
  operation: () => void;
  callback: WriteCallback | undefined;
  /** Payload bytes it will write: counted in `bufferedAmount` while it waits (as ws counts them). */
  bytes: number;
}

/** What a compressor must expose for the threshold rule. */
interface DeflateLike extends Compressor {
  readonly isServer?: boolean;
  readonly threshold?: number;
}

const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** The key of a frame masked without `generateMask`: copied into the frame at once, so one serves every sender. */
const MASK_SCRATCH = Buffer.alloc(4);

/** Frames up to this size are copied into the batch; bigger ones are written as they are. */
const BATCH_FRAME_LIMIT = 1024;

/** The frame writer behind `WebSocket`; exported to users as ws's `Sender`. */
export class FrameSender {
  /** Bytes accepted but waiting for compression or a Blob read (part of `bufferedAmount`); default 0. */
  declare _bufferedBytes: number;
  /**
   * The server's traffic counters (set by its hub), or null. The connection's read side counts through this same
   * pointer, so one field serves both directions. Default null.
   */
  declare traffic: TrafficCounters | null;
  /** Called (as ws's `Sender#onerror`) when a queued Blob could not be read, after the failed callbacks. */
  onerror: (error: Error) => void = NOOP;
  /** The transport (ws exposes it as `_sender._socket`). */
  readonly _socket: Duplex;
  private readonly extensions: ExtensionMap;
  /** The client's `generateMask` option and the key buffer it fills; both default to undefined. */
  declare private readonly generateMask: ((mask: Buffer) => void) | undefined;
  declare private readonly maskBuffer: Buffer | undefined;
  private firstFragment = true;
  private compressCurrent = false;
  private busy = false;
  /** Operations waiting behind the one in flight, with their callbacks (to fail them if the socket dies). */
  declare private queue: QueuedOperation[] | null;
  // Small frames written while a batch is open (one socket read's worth of replies) leave in one write. They are
  // packed into the process's frame slab from `batchStart`; `batchBytes` of it are filled.
  private batching = false;
  private batchSlab: Buffer | null = null;
  private batchStart = 0;
  private batchBytes = 0;
  declare private batchCallbacks: WriteCallback[] | null;

  constructor(socket: Duplex, extensions?: ExtensionMap, generateMask?: (mask: Buffer) => void) {
    this._socket = socket;
    this.extensions = extensions ?? {};
    if (generateMask !== undefined) {
      this.generateMask = generateMask;
      this.maskBuffer = Buffer.alloc(4);
    }
  }

  private get deflate(): DeflateLike | undefined {
    return this.extensions[PERMESSAGE_DEFLATE] as DeflateLike | undefined;
  }

  /** Send (a fragment of) a message (ws's `Sender#send`). */
  send(data: SendData, options: SendOptions, callback?: WriteCallback): void {
    this.sendData(data, options.binary === true, options.compress === true, options.fin === true, options.mask === true, callback);
  }

  /** The same as {@link send} with the options as arguments (no option object on the hot path). */
  sendData(data: SendData, binary: boolean, compress: boolean, fin: boolean, mask: boolean, callback?: WriteCallback): void {
    let opcode = binary ? OPCODE_BINARY : OPCODE_TEXT;
    let rsv1 = compress;
    let bytes: Buffer | null = null;
    let readOnly = false;
    let byteLength: number;
    if (typeof data === 'string') {
      bytes = Buffer.from(data);
      byteLength = bytes.length;
    } else if (Buffer.isBuffer(data)) {
      bytes = data;
      readOnly = true;
      byteLength = bytes.length;
    } else if (isBlob(data)) {
      byteLength = data.size;
    } else {
      const converted = toBytes(data);
      bytes = converted.bytes;
      readOnly = converted.readOnly;
      byteLength = bytes.length;
    }
    if (this.firstFragment) {
      this.firstFragment = false;
      const deflate = rsv1 ? this.deflate : undefined;
      // RFC 7692 §6: RSV1 marks a whole message, decided at its first frame. Small messages skip compression
      // only without context takeover, where compressing them cannot help later ones.
      if (deflate !== undefined && deflate.params[deflate.isServer ? 'server_no_context_takeover' : 'client_no_context_takeover']) {
        rsv1 = byteLength >= (deflate.threshold ?? 1024);
      }
      this.compressCurrent = rsv1;
    } else {
      rsv1 = false;
      opcode = 0;
    }
    if (fin) this.firstFragment = true;
    const traffic = this.traffic;
    if (traffic !== null) {
      traffic.payloadBytesOut += byteLength;
      if (fin) traffic.messagesOut++;
    }
    const compressMessage = this.compressCurrent;
    if (bytes !== null && !this.busy && bytes.length <= MERGE_LIMIT && (!compressMessage || this.deflate === undefined)) {
      // The common case, a small message written at once: straight into the frame slab, no options object.
      this.writeSmallFrame(bytes, opcode, fin, rsv1, mask ? this.nextMaskKey() : null, callback);
      return;
    }
    const frameOptions: FrameOptions = {
      opcode,
      fin,
      rsv1,
      mask,
      readOnly,
      generateMask: this.generateMask,
      maskBuffer: this.maskBuffer
    };
    if (bytes === null) {
      const blob = data as Blob;
      this.run(() => this.sendBlob(blob, compressMessage, frameOptions, callback), callback, 0);
    } else if (!this.busy) {
      this.dispatch(bytes, compressMessage, frameOptions, callback);
    } else {
      const payload = bytes;
      this.run(() => this.dispatch(payload, compressMessage, frameOptions, callback), callback, byteLength);
    }
  }

  /**
   * Write one whole message's frames encoded elsewhere (a broadcast encodes once for many sockets) through the ordered
   * queue; `payloadBytes` is its size before encoding. The buffers are shared between sockets: never modified here.
   */
  sendFrames(frames: Buffer[], payloadBytes: number, callback?: WriteCallback): void {
    const traffic = this.traffic;
    if (traffic !== null) {
      traffic.messagesOut++;
      traffic.payloadBytesOut += payloadBytes;
    }
    this.sendFrame(frames, callback);
  }

  /**
   * ws's `sendFrame(list, cb)`: write frames encoded elsewhere (engine.io pre-encodes a broadcast once with
   * `Sender.frame()`) as they are, in order behind any compression or Blob read in flight. The buffers may be
   * shared between sockets, so they are never modified here; `callback` is the socket write's.
   */
  sendFrame(frames: Buffer[], callback?: WriteCallback): void {
    if (!this.busy) this.writeFrames(frames, callback);
    else this.run(() => this.writeFrames(frames, callback), callback, frames.reduce((sum, frame) => sum + frame.length, 0));
  }

  /** Bytes waiting for compression or a Blob read, excluding the current read's reply batch (flushed soon). */
  get pendingBytes(): number {
    return this._bufferedBytes - this.batchBytes;
  }

  /** True between the first and the last frame of a fragmented message: a whole frame may not be inserted. */
  get midMessage(): boolean {
    return !this.firstFragment;
  }

  /** RFC 6455 §5.5.2. */
  ping(data: SendData, mask: boolean, callback?: WriteCallback): void {
    this.control(OPCODE_PING, data, mask, callback);
  }

  /** RFC 6455 §5.5.3. */
  pong(data: SendData, mask: boolean, callback?: WriteCallback): void {
    this.control(OPCODE_PONG, data, mask, callback);
  }

  /**
   * RFC 6455 §5.5.1: a close frame with an optional status code and UTF-8 reason (≤ 123 bytes). The reason is
   * checked in ws's order (an empty or length-less value sends the code alone), so the errors are ws's.
   */
  close(code: number | undefined, reason: string | Uint8Array | undefined, mask: boolean, callback?: WriteCallback): void {
    let payload: Buffer;
    if (code === undefined) {
      payload = EMPTY_BUFFER;
    } else if (typeof code !== 'number' || !isValidCloseCode(code)) {
      throw new TypeError('First argument must be a valid error code number');
    } else if (reason === undefined || !reason.length) {
      payload = Buffer.allocUnsafe(2);
      payload.writeUInt16BE(code, 0);
    } else {
      const length = Buffer.byteLength(reason);
      if (length > 123) throw new RangeError('The message must not be greater than 123 bytes');
      payload = Buffer.allocUnsafe(2 + length);
      payload.writeUInt16BE(code, 0);
      if (typeof reason === 'string') payload.write(reason, 2);
      else if (types.isUint8Array(reason)) payload.set(reason, 2);
      else throw new TypeError('Second argument must be a string or a Uint8Array');
    }
    const options: FrameOptions = {
      opcode: OPCODE_CLOSE,
      fin: true,
      mask,
      readOnly: false,
      generateMask: this.generateMask,
      maskBuffer: this.maskBuffer
    };
    this.run(() => this.writeFrames(encodeFrame(payload, options), callback), callback, payload.length);
  }

  /** An automatic pong: one merged buffer, so the replies to one read's pings leave in one write. */
  autoPong(data: Buffer, mask: boolean, callback: WriteCallback): void {
    if (data.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    const options: FrameOptions = { opcode: OPCODE_PONG, fin: true, mask, readOnly: true, generateMask: this.generateMask, maskBuffer: this.maskBuffer };
    this.run(() => this.writeFrames(encodeFrame(data, options), callback), callback, data.length);
  }

  /** A ping or pong in ws's shape: header and payload as two writes (the payload not copied); a Blob is read first. */
  private control(opcode: number, data: SendData, mask: boolean, callback?: WriteCallback): void {
    const blob = isBlob(data);
    const converted = blob ? null : toBytes(data as Exclude<SendData, Blob>);
    const length = converted === null ? (data as Blob).size : converted.bytes.length;
    if (length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    const options: FrameOptions = {
      opcode,
      fin: true,
      mask,
      readOnly: converted !== null && converted.readOnly,
      generateMask: this.generateMask,
      maskBuffer: this.maskBuffer
    };
    if (converted === null) {
      this.run(() => this.sendBlob(data as Blob, false, options, callback), callback, 0);
      return;
    }
    const bytes = converted.bytes;
    this.run(() => this.writeFrames(encodeFrameParts(bytes, options), callback), callback, length);
  }

  /** Run now, or after the operation in flight. */
  private run(operation: () => void, callback: WriteCallback | undefined, bytes: number): void {
    if (!this.busy) {
      operation();
      return;
    }
    (this.queue ??= []).push({ operation, callback, bytes });
    this._bufferedBytes += bytes;
  }

  private next(): void {
    this.busy = false;
    const queue = this.queue;
    while (!this.busy && queue !== null && queue.length > 0) {
      const entry = queue.shift() as QueuedOperation;
      this._bufferedBytes -= entry.bytes;
      entry.operation();
    }
  }

  private dispatch(data: Buffer, compress: boolean, options: FrameOptions, callback?: WriteCallback): void {
    const deflate = this.deflate;
    if (!compress || deflate === undefined) {
      this.writeFrames(encodeFrame(data, options), callback);
      return;
    }
    this.busy = true;
    this._bufferedBytes += data.length;
    const length = data.length;
    deflate.compress(data, options.fin, (_error, result) => {
      // A dead socket keeps reporting what it could not send in `bufferedAmount`, as ws does.
      if (this._socket.destroyed) {
        // Called back at once, as ws does: the socket's 'close' handling is still running (readyState CLOSING).
        this.failQueued(new Error('The socket was closed while data was being compressed'), callback);
        return;
      }
      this._bufferedBytes -= length;
      options.readOnly = false;
      this.writeFrames(encodeFrame(result ?? EMPTY_BUFFER, options), callback);
      this.next();
    });
  }

  private sendBlob(blob: Blob, compress: boolean, options: FrameOptions, callback?: WriteCallback): void {
    this.busy = true;
    this._bufferedBytes += blob.size;
    // A Blob that fails (or whose socket died) stays counted in `bufferedAmount`, as in ws.
    blob.arrayBuffer().then(
      (arrayBuffer) => {
        if (this._socket.destroyed) {
          process.nextTick(() => this.failQueued(new Error('The socket was closed while the blob was being read'), callback));
          return;
        }
        this._bufferedBytes -= blob.size;
        this.busy = false;
        options.readOnly = false;
        const bytes = Buffer.from(arrayBuffer);
        if (compress) this.dispatch(bytes, true, options, callback);
        else this.writeFrames(options.opcode >= OPCODE_CLOSE ? encodeFrameParts(bytes, options) : encodeFrame(bytes, options), callback);
        if (!this.busy) this.next();
      },
      (error: Error) => {
        // ws: the failed callbacks first, then `onerror` (the WebSocket emits 'error' and ends the socket).
        process.nextTick(() => {
          this.failQueued(error, callback);
          this.onerror(error);
        });
      }
    );
  }

  /** The operation in flight failed: it and everything queued behind it are called back with `error`, in order. */
  private failQueued(error: Error, callback?: WriteCallback): void {
    const queue = this.queue;
    this.queue = null;
    this.busy = false;
    if (callback !== undefined) callback(error);
    if (queue === null) return;
    for (const entry of queue) if (entry.callback !== undefined) entry.callback(error);
  }

  /** Collect small frames until {@link endBatch} instead of writing each one. */
  beginBatch(): void {
    this.batching = true;
  }

  /** Write everything collected since {@link beginBatch} as one buffer. */
  endBatch(): void {
    this.batching = false;
    this.flushBatch();
  }

  /** The next masking key (RFC 6455 §5.3): from `generateMask` when given, else from the crypto pool. */
  private nextMaskKey(): Buffer {
    if (this.generateMask === undefined) {
      randomMask(MASK_SCRATCH);
      return MASK_SCRATCH;
    }
    const key = this.maskBuffer as Buffer;
    this.generateMask(key);
    return key;
  }

  /**
   * A frame of at most {@link MERGE_LIMIT} payload bytes, written into the frame slab: it joins the open batch
   * (when it is small enough to batch), or is written at once.
   */
  private writeSmallFrame(data: Buffer, opcode: number, fin: boolean, rsv1: boolean, maskKey: Buffer | null, callback?: WriteCallback): void {
    const size = headerSize(data.length, maskKey !== null) + data.length;
    const traffic = this.traffic;
    if (traffic !== null) traffic.wireBytesOut += size;
    const alone = !this.batching || size > BATCH_FRAME_LIMIT;
    if (alone) this.flushBatch();
    writeFrameAt(this.batchRoom(size), this.batchStart + this.batchBytes, data, opcode, fin, rsv1, maskKey);
    this.addToBatch(size, callback);
    if (alone) this.flushBatch();
  }

  /** The batch's slab with room for `size` more bytes (the batch is written first when they do not fit). */
  private batchRoom(size: number): Buffer {
    let slab = this.batchSlab;
    if (slab !== null && slab.length - this.batchStart - this.batchBytes < size) {
      this.flushBatch();
      slab = null;
    }
    if (slab === null) {
      this.batchStart = frameSlab.reserve(size);
      slab = this.batchSlab = frameSlab.buffer;
    }
    return slab;
  }

  /** Count `size` bytes just written at the end of the batch. */
  private addToBatch(size: number, callback: WriteCallback | undefined): void {
    this.batchBytes += size;
    this._bufferedBytes += size;
    if (callback !== undefined) (this.batchCallbacks ??= []).push(callback);
  }

  private flushBatch(): void {
    const slab = this.batchSlab;
    if (slab === null) return;
    const end = this.batchStart + this.batchBytes;
    const data = slab.subarray(this.batchStart, end);
    frameSlab.release(slab, end);
    const callbacks = this.batchCallbacks;
    this._bufferedBytes -= this.batchBytes;
    this.batchSlab = null;
    this.batchBytes = 0;
    this.batchCallbacks = null;
    if (callbacks === null) this._socket.write(data);
    else this._socket.write(data, callbacks.length === 1 ? callbacks[0] : callAll(callbacks));
  }

  /** Header and payload inside one cork: one `writev`. Small frames join the open batch. */
  private writeFrames(frames: Buffer[], callback?: WriteCallback): void {
    const traffic = this.traffic;
    if (traffic !== null) traffic.wireBytesOut += frames.length === 1 ? frames[0].length : frames[0].length + frames[1].length;
    if (this.batching && frames.length === 1 && frames[0].length <= BATCH_FRAME_LIMIT) {
      // An encoded frame (control frames, pre-encoded broadcasts) is copied into the batch.
      const frame = frames[0];
      frame.copy(this.batchRoom(frame.length), this.batchStart + this.batchBytes);
      this.addToBatch(frame.length, callback);
      return;
    }
    this.flushBatch();
    const socket = this._socket;
    if (frames.length === 1) {
      socket.write(frames[0], callback);
      return;
    }
    socket.cork();
    socket.write(frames[0]);
    socket.write(frames[1], callback);
    socket.uncork();
  }
}

/**
 * One write callback that calls each of `callbacks`. A function of its own: a closure inside `flushBatch` would
 * make V8 allocate its context on every call, callbacks or not.
 */
function callAll(callbacks: WriteCallback[]): WriteCallback {
  return (error?: Error | null) => {
    for (const callback of callbacks) callback(error);
  };
}

// Defaults of the fields most senders never write (deflate and Blob bookkeeping, counters, a queue behind an
// operation in flight, callbacks of a batch, the client's `generateMask`): no slot for them per socket.
setPrototypeDefaults(FrameSender.prototype, {
  _bufferedBytes: 0,
  traffic: null,
  generateMask: undefined,
  maskBuffer: undefined,
  queue: null,
  batchCallbacks: null
});
