/** ws's `Receiver`: a `Writable` that parses frames and emits `'message'`, `'ping'`, `'pong'`, `'conclude'`. */
import { Writable } from 'node:stream';
import type { BinaryType } from '../core/constants';
import type { BinaryMessage } from '../core/binary-data';
import { toError, type ProtocolFailure } from '../core/errors';
import { MessageReader, type Inflater, type ReaderSink } from '../core/message-reader';
import { installEmitters } from './emit-events';

/** `new Receiver(options)` (ws's names and defaults). */
export interface ReceiverOptions {
  allowSynchronousEvents?: boolean;
  binaryType?: BinaryType;
  extensions?: Record<string, unknown>;
  isServer?: boolean;
  maxPayload?: number;
  maxFragments?: number;
  maxBufferedChunks?: number;
  skipUTF8Validation?: boolean;
}

type WriteCallback = (error?: Error | null) => void;

/** Frame parser as a writable stream. */
export class Receiver extends Writable implements ReaderSink {
  private readonly reader: MessageReader;
  /** The write callback held back while the reader waits (inflate, deferred event): stream back-pressure. */
  private pendingCallback: WriteCallback | null = null;
  private failure: ProtocolFailure | null = null;

  constructor(options: ReceiverOptions = {}) {
    super();
    // Read and coerced as ws reads them, in ws's order (so even a `null` options object fails the same way).
    const synchronous = options.allowSynchronousEvents !== undefined ? Boolean(options.allowSynchronousEvents) : true;
    const binaryType = options.binaryType || undefined;
    const extensions = options.extensions || {};
    this.reader = new MessageReader(this, {
      isServer: Boolean(options.isServer),
      binaryType,
      maxBufferedChunks: options.maxBufferedChunks,
      maxFragments: options.maxFragments,
      maxPayload: options.maxPayload,
      skipUTF8Validation: Boolean(options.skipUTF8Validation),
      inflater: extensions['permessage-deflate'] as Inflater | undefined,
      schedule: synchronous ? undefined : setImmediate
    });
  }

  /** Current `binaryType` of delivered binary messages. */
  get binaryType(): BinaryType {
    return this.reader.binaryType;
  }
  set binaryType(type: BinaryType) {
    this.reader.binaryType = type;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.reader.receive(chunk);
    this.settle(callback);
  }

  private settle(callback: WriteCallback): void {
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      callback(toError(failure));
    } else if (this.reader.parked) this.pendingCallback = callback;
    else callback();
  }

  /** @internal */
  declare onMessage: (data: BinaryMessage, isBinary: boolean) => void;
  /** @internal */
  declare onPing: (data: Buffer) => void;
  /** @internal */
  declare onPong: (data: Buffer) => void;
  /** @internal */
  onClose(code: number, reason: Buffer): void {
    this.emit('conclude', code, reason);
    this.end();
  }
  /** @internal */
  onFailure(failure: ProtocolFailure): void {
    this.failure = failure;
    this.releasePending();
  }
  /** @internal */
  onIdle(): void {
    this.releasePending();
  }

  private releasePending(): void {
    const callback = this.pendingCallback;
    if (callback === null) return;
    this.pendingCallback = null;
    this.settle(callback);
  }
}

installEmitters(Receiver.prototype);
