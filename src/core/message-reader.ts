/**
 * The receive side of RFC 6455 as a streaming state machine: bytes in (split anywhere), messages and control
 * frames out. No sockets, timers or streams; the host supplies a sink, and optionally an inflater and a scheduler.
 */
import type { BinaryType } from './constants';
import { EMPTY_BUFFER, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from './constants';
import { isValidCloseCode } from './close-codes';
import { fail, failFromError, type ProtocolFailure } from './errors';
import { ChunkQueue, copyUnread } from './chunk-queue';
import { setPrototypeDefaults } from './prototype-defaults';
import { isValidUtf8, Utf8StreamValidator } from './utf8';
import { concat, shapeBinary, type BinaryMessage } from './binary-data';

/** Where the reader delivers what it finds. */
export interface ReaderSink {
  /** A complete message: text as a Buffer of valid UTF-8, binary shaped per `binaryType`. */
  onMessage(data: BinaryMessage, isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** The peer's close frame (1005 when it carried no code). Nothing after it is read. */
  onClose(code: number, reason: Buffer): void;
  /** A violation; nothing after it is read. */
  onFailure(failure: ProtocolFailure): void;
  /** Reading resumed after waiting for the inflater or a scheduled event, and all buffered input was used. */
  onIdle(): void;
}

/** Inflates compressed frames (RFC 7692); the callback may run later, and the reader waits for it. */
export interface Inflater {
  decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void;
}

/** What each reader holds of its own; its other options can come in a shared {@link ReaderConfig}. */
export interface ReaderInstanceOptions {
  binaryType?: BinaryType;
  maxPayload?: number;
  /** Present when permessage-deflate was negotiated: RSV1 is then allowed on first frames. */
  inflater?: Inflater;
}

/** Options, with ws's names. Limits of 0 mean "no limit". */
export interface MessageReaderOptions extends ReaderInstanceOptions {
  isServer: boolean;
  maxFragments?: number;
  maxBufferedChunks?: number;
  skipUTF8Validation?: boolean;
  /** When set, each event is delivered through it (e.g. `setImmediate`) and reading waits until it ran. */
  schedule?: (task: () => void) => void;
}

/**
 * The options that never change while a connection is open, normalized. A server builds one for all its
 * connections, so they cost no memory per socket.
 */
export interface ReaderConfig {
  readonly isServer: boolean;
  readonly maxFragments: number;
  readonly maxBufferedChunks: number;
  readonly skipUTF8Validation: boolean;
  readonly schedule: ((task: () => void) => void) | undefined;
}

/** The fixed part of `options`, normalized (limits of 0 or less mean "no limit"). */
export function readerConfig(options: MessageReaderOptions): ReaderConfig {
  return {
    isServer: options.isServer,
    maxFragments: (options.maxFragments ?? 0) | 0,
    maxBufferedChunks: (options.maxBufferedChunks ?? 0) | 0,
    skipUTF8Validation: Boolean(options.skipUTF8Validation),
    schedule: options.schedule
  };
}

const enum State {
  Info,
  Length16,
  Length64,
  MaskKey,
  Payload,
  /** Waiting for the inflater or a scheduled event. */
  Parked,
  /** After a close frame or a failure: input is ignored. */
  Done
}

/** Messages up to this many frames keep one Buffer per frame (as ws does, visible with binaryType 'fragments'). */
const COALESCE_AFTER_FRAMES = 1024;
/** Beyond that, small frames are packed into chunks of this size. */
const TAIL_CHUNK_SIZE = 16 * 1024;

/** 2^53 − 1 splits into a high 32-bit word of at most 2^21 − 1. */
const MAX_HIGH_WORD = 0x1fffff;

/**
 * Streaming frame parser and message assembler. It extends the queue of its own input so that a reader (and the
 * connection built on it) is one object.
 */
export class MessageReader extends ChunkQueue {
  binaryType: BinaryType;
  /** 0 = no limit; may change while a connection is open (ws's `_receiver._maxPayload`). */
  maxPayload: number;
  protected readonly config: ReaderConfig;
  private readonly sink: ReaderSink;
  /** Present when permessage-deflate was negotiated (a prototype default of undefined otherwise). */
  declare protected readonly inflater: Inflater | undefined;

  private readState = State.Info;
  private fin = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  /** The frame's masking key as a 32-bit number (a Buffer per connection costs more memory). */
  private maskWord = 0;

  // The message being assembled.
  private messageOpcode = 0;
  private messageLength = 0;
  private framePayloadTotal = 0;
  private frameCount = 0;
  // Most messages are one frame: keep that frame alone and only build a list when a second one arrives.
  private soleFragment: Buffer | null = null;
  // Prototype defaults (see the end of this file): only compressed, fragmented or slowly arriving text messages
  // write them, so a connection that never had one keeps no slot for them.
  declare private messageCompressed: boolean;
  declare private fragments: Buffer[] | null;
  declare private tail: Buffer | null;
  declare private tailLength: number;
  declare private textValidator: Utf8StreamValidator | null;
  /** Payload bytes of the current (incomplete) text frame already checked as they arrived. */
  declare private checkedPrefix: number;

  /**
   * `sink` null means the subclass is its own sink (one object per connection instead of two). `config` lets
   * many readers share one normalized copy of the fixed options; by default it is made from `options`.
   */
  constructor(sink: ReaderSink | null, options: MessageReaderOptions);
  constructor(sink: ReaderSink | null, options: ReaderInstanceOptions, config: ReaderConfig);
  constructor(sink: ReaderSink | null, options: ReaderInstanceOptions, config: ReaderConfig = readerConfig(options as MessageReaderOptions)) {
    super();
    this.sink = sink ?? (this as unknown as ReaderSink);
    this.config = config;
    this.binaryType = options.binaryType ?? 'nodebuffer';
    const maxPayload = Number(options.maxPayload);
    this.maxPayload = maxPayload > 0 ? maxPayload : 0;
    if (options.inflater !== undefined) this.inflater = options.inflater;
  }

  /** True once a close frame was read or a failure reported. */
  get finished(): boolean {
    return this.readState === State.Done;
  }

  /** True while waiting for the inflater or a scheduled event; input is buffered meanwhile. */
  get parked(): boolean {
    return this.readState === State.Parked;
  }

  /** Bytes received but not yet parsed. */
  get pendingBytes(): number {
    return this.length;
  }

  /** Stop for good and drop anything buffered (after the close handshake or a failure). */
  stop(): void {
    this.readState = State.Done;
    this.clear();
  }

  /** Feed bytes from the peer. Chunks are kept as views; payloads are unmasked in place. */
  receive(chunk: Buffer): void {
    if (this.readState === State.Done || chunk.length === 0) return;
    if (this.config.maxBufferedChunks > 0 && this.chunks.length >= this.config.maxBufferedChunks) {
      this.failWith(fail('WS_ERR_TOO_MANY_BUFFERED_PARTS', 'Too many buffered chunks', false));
      return;
    }
    this.push(chunk);
    if (this.readState !== State.Parked) this.run();
  }

  /** Process as much buffered input as possible. */
  private run(): void {
    for (;;) {
      switch (this.readState) {
        case State.Info:
          if (this.length < 2 || !this.readInfo()) return;
          break;
        case State.Length16:
          if (this.length < 2) return;
          this.payloadLength = this.readUInt16();
          if (!this.haveLength()) return;
          break;
        case State.Length64:
          if (this.length < 8 || !this.readLength64() || !this.haveLength()) return;
          break;
        case State.MaskKey:
          if (this.length < 4) return;
          this.maskWord = this.readUInt32();
          this.readState = State.Payload;
          break;
        case State.Payload:
          if (this.length < this.payloadLength) {
            if (this.length > this.checkedPrefix && this.checksTextEarly()) this.checkArrivedText();
            return;
          }
          this.readPayload();
          break;
        default:
          return;
      }
    }
  }

  /** RFC 6455 §5.2 first two bytes, with ws's checks in ws's order. */
  private readInfo(): boolean {
    const info = this.readUInt16();
    const b0 = info >> 8;
    const b1 = info & 0xff;
    if ((b0 & 0x30) !== 0) return this.failWith(fail('WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear'));
    const compressed = (b0 & 0x40) !== 0;
    if (compressed && this.inflater === undefined) {
      return this.failWith(fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear'));
    }
    this.fin = (b0 & 0x80) !== 0;
    let opcode = b0 & 0x0f;
    this.payloadLength = b1 & 0x7f;
    if (opcode === 0) {
      // RFC 7692 §6: RSV1 only on the first frame of a message.
      if (compressed) return this.failWith(fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear'));
      if (this.messageOpcode === 0) return this.failWith(fail('WS_ERR_INVALID_OPCODE', 'invalid opcode 0'));
      opcode = this.messageOpcode;
    } else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      if (this.messageOpcode !== 0) return this.failWith(fail('WS_ERR_INVALID_OPCODE', `invalid opcode ${opcode}`));
      if (compressed) this.messageCompressed = true;
    } else if (opcode >= OPCODE_CLOSE && opcode <= OPCODE_PONG) {
      // RFC 6455 §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!this.fin) return this.failWith(fail('WS_ERR_EXPECTED_FIN', 'FIN must be set'));
      if (compressed) return this.failWith(fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear'));
      if (this.payloadLength > 125 || (opcode === OPCODE_CLOSE && this.payloadLength === 1)) {
        return this.failWith(
          fail('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', `invalid payload length ${this.payloadLength}`)
        );
      }
    } else {
      return this.failWith(fail('WS_ERR_INVALID_OPCODE', `invalid opcode ${opcode}`));
    }
    this.opcode = opcode;
    if (opcode < OPCODE_CLOSE && this.messageOpcode === 0) this.messageOpcode = opcode;
    // RFC 6455 §5.1: clients mask, servers do not.
    this.masked = (b1 & 0x80) !== 0;
    if (this.config.isServer && !this.masked) return this.failWith(fail('WS_ERR_EXPECTED_MASK', 'MASK must be set'));
    if (!this.config.isServer && this.masked) return this.failWith(fail('WS_ERR_UNEXPECTED_MASK', 'MASK must be clear'));
    if (this.payloadLength === 126) this.readState = State.Length16;
    else if (this.payloadLength === 127) this.readState = State.Length64;
    else return this.haveLength();
    return true;
  }

  /** RFC 6455 §5.2: 64-bit length; we refuse anything a JS number cannot hold exactly. */
  private readLength64(): boolean {
    const high = this.readUInt32();
    const low = this.readUInt32();
    if (high > MAX_HIGH_WORD) {
      return this.failWith(
        fail('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', 'Unsupported WebSocket frame: payload length > 2^53 - 1', false)
      );
    }
    this.payloadLength = high * 0x100000000 + low;
    return true;
  }

  /** The length is known: enforce `maxPayload` before buffering a single payload byte. */
  private haveLength(): boolean {
    if (this.opcode < OPCODE_CLOSE) {
      this.framePayloadTotal += this.payloadLength;
      if (this.maxPayload > 0 && this.framePayloadTotal > this.maxPayload) {
        return this.failWith(fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded', false));
      }
    }
    this.readState = this.masked ? State.MaskKey : State.Payload;
    return true;
  }

  /** An uncompressed text frame still arriving: its bytes are checked as they come (RFC 6455 §8.1, fail fast). */
  private checksTextEarly(): boolean {
    return this.messageOpcode === OPCODE_TEXT && this.opcode < OPCODE_CLOSE && !this.messageCompressed && !this.config.skipUTF8Validation;
  }

  /**
   * Validate the payload bytes that arrived since the last check, without consuming them: a text frame whose
   * received part can no longer start valid UTF-8 fails now (1007), not when its last byte arrives.
   */
  private checkArrivedText(): void {
    const arrived = copyUnread(this, this.checkedPrefix, this.masked ? this.maskWord : 0);
    this.checkedPrefix = this.length;
    this.textValidator ??= new Utf8StreamValidator();
    if (!this.textValidator.push(arrived)) this.failWith(fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 sequence'));
  }

  private readPayload(): void {
    let data = EMPTY_BUFFER;
    if (this.payloadLength > 0) {
      // An 'arraybuffer' message is delivered as the payload's own ArrayBuffer, which needs a target starting it.
      const exact = this.binaryType === 'arraybuffer' && this.messageOpcode === OPCODE_BINARY;
      data = this.read(this.payloadLength, this.masked ? this.maskWord : 0, exact);
    }
    this.readState = State.Info;
    if (this.opcode >= OPCODE_CLOSE) {
      this.controlFrame(data);
      return;
    }
    this.frameCount++;
    if (this.config.maxFragments > 0 && this.frameCount > this.config.maxFragments) {
      this.failWith(fail('WS_ERR_TOO_MANY_BUFFERED_PARTS', 'Too many message fragments', false));
      return;
    }
    if (this.messageCompressed) {
      this.inflate(data);
      return;
    }
    const checked = this.checkedPrefix;
    if (checked !== 0) this.checkedPrefix = 0;
    this.addFragment(checked === 0 ? data : data.subarray(checked), data);
  }

  /**
   * Append a frame's (inflated) data, check text so far, and finish the message on FIN. `unchecked` is the part
   * of `data` not yet validated (its tail, when the frame's first bytes were checked as they arrived).
   */
  private addFragment(unchecked: Buffer, data: Buffer = unchecked): boolean {
    if (this.messageOpcode === OPCODE_TEXT && !this.config.skipUTF8Validation && (!this.fin || this.textValidator !== null)) {
      // SPEC §10: fragmented text is checked as it arrives and fails at the first fragment that breaks it.
      if (this.textValidator === null) this.textValidator = new Utf8StreamValidator();
      if (!this.textValidator.push(unchecked)) return this.failWith(fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 sequence'));
    }
    if (data.length > 0) {
      this.messageLength += data.length;
      if (!this.fin && this.frameCount > COALESCE_AFTER_FRAMES && data.length < TAIL_CHUNK_SIZE) {
        // A message of very many small frames: pack them into shared chunks so per-Buffer overhead stays bounded.
        this.appendToTail(data);
      } else {
        // Small views of big chunks are copied so that a partial message holds only its own bytes.
        if (!this.fin && data.byteLength * 2 < data.buffer.byteLength) data = Buffer.from(data);
        this.sealTail();
        this.pushFragment(data);
      }
    }
    if (!this.fin) return true;
    this.sealTail();
    return this.finishMessage();
  }

  private pushFragment(data: Buffer): void {
    if (this.fragments !== null) this.fragments.push(data);
    else if (this.soleFragment === null) this.soleFragment = data;
    else {
      this.fragments = [this.soleFragment, data];
      this.soleFragment = null;
    }
  }

  private appendToTail(data: Buffer): void {
    if (this.tail === null || this.tail.length - this.tailLength < data.length) {
      this.sealTail();
      this.tail = Buffer.allocUnsafe(TAIL_CHUNK_SIZE);
    }
    data.copy(this.tail, this.tailLength);
    this.tailLength += data.length;
  }

  /** Move the packed chunk (if any) into the fragment list, keeping arrival order. */
  private sealTail(): void {
    if (this.tail === null) return;
    this.pushFragment(this.tail.subarray(0, this.tailLength));
    this.tail = null;
    this.tailLength = 0;
  }

  private inflate(data: Buffer): void {
    const inflater = this.inflater as Inflater;
    this.readState = State.Parked;
    inflater.decompress(data, this.fin, (error, result) => {
      if (this.readState === State.Done) return;
      if (error) {
        this.failWith(failFromError(error));
        return;
      }
      const inflated = result ?? EMPTY_BUFFER;
      if (this.maxPayload > 0 && this.messageLength + inflated.length > this.maxPayload) {
        this.failWith(fail('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded', false));
        return;
      }
      this.readState = State.Info;
      if (!this.addFragment(inflated)) return;
      this.continueAfterPark();
    });
  }

  /** RFC 6455 §5.6: the last frame arrived; validate and deliver. */
  private finishMessage(): boolean {
    const opcode = this.messageOpcode;
    const fragments = this.fragments;
    const sole = this.soleFragment;
    const length = this.messageLength;
    const validator = this.textValidator;
    const inflated = this.messageCompressed;
    this.resetMessage();
    if (opcode === OPCODE_BINARY) {
      const data =
        fragments !== null
          ? shapeBinary(fragments, length, this.binaryType)
          : this.binaryType === 'nodebuffer'
            ? (sole ?? EMPTY_BUFFER)
            : shapeBinary(sole === null ? [] : [sole], length, this.binaryType);
      this.deliverMessage(data, true, false);
      return true;
    }
    const text = fragments !== null ? concat(fragments, length) : (sole ?? EMPTY_BUFFER);
    const valid = this.config.skipUTF8Validation || (validator === null ? isValidUtf8(text) : validator.end());
    if (!valid) return this.failWith(fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 sequence'));
    // ws delivers inflated text synchronously even when events are deferred.
    this.deliverMessage(text, false, inflated);
    return true;
  }

  private resetMessage(): void {
    this.messageOpcode = 0;
    this.messageLength = 0;
    this.framePayloadTotal = 0;
    this.frameCount = 0;
    this.soleFragment = null;
    // Written only when set, so that they stay prototype defaults on connections that never used them.
    if (this.messageCompressed) this.messageCompressed = false;
    if (this.fragments !== null) this.fragments = null;
    if (this.textValidator !== null) this.textValidator = null;
    if (this.checkedPrefix !== 0) this.checkedPrefix = 0;
  }

  /** RFC 6455 §5.5. */
  private controlFrame(data: Buffer): void {
    if (this.opcode === OPCODE_CLOSE) {
      if (data.length === 0) {
        this.readState = State.Done;
        this.sink.onClose(1005, EMPTY_BUFFER);
        return;
      }
      const code = data.readUInt16BE(0);
      if (!isValidCloseCode(code)) {
        this.failWith(fail('WS_ERR_INVALID_CLOSE_CODE', `invalid status code ${code}`));
        return;
      }
      const reason = data.subarray(2);
      if (!this.config.skipUTF8Validation && !isValidUtf8(reason)) {
        this.failWith(fail('WS_ERR_INVALID_UTF8', 'invalid UTF-8 sequence'));
        return;
      }
      this.readState = State.Done;
      this.sink.onClose(code, reason);
      return;
    }
    const ping = this.opcode === OPCODE_PING;
    if (this.config.schedule === undefined) {
      if (ping) this.sink.onPing(data);
      else this.sink.onPong(data);
    } else if (ping) this.deliver(() => this.sink.onPing(data));
    else this.deliver(() => this.sink.onPong(data));
  }

  /** Emit a message now (no closure on this path), or through the scheduler. */
  private deliverMessage(data: BinaryMessage, isBinary: boolean, forceSync: boolean): void {
    if (this.config.schedule === undefined || forceSync) this.sink.onMessage(data, isBinary);
    else this.deliver(() => this.sink.onMessage(data, isBinary));
  }

  /** Emit through the scheduler, with reading parked until the event ran. */
  private deliver(emit: () => void): void {
    const schedule = this.config.schedule as (task: () => void) => void;
    this.readState = State.Parked;
    schedule(() => {
      if (this.readState === State.Done) return;
      this.readState = State.Info;
      emit();
      this.continueAfterPark();
    });
  }

  /** Continue after parking; tell the host once everything buffered was used. */
  private continueAfterPark(): void {
    if (this.readState === State.Info) this.run();
    if (this.readState !== State.Parked) this.sink.onIdle();
  }

  private failWith(failure: ProtocolFailure): false {
    this.readState = State.Done;
    this.clear();
    this.soleFragment = null;
    if (this.fragments !== null) this.fragments = null;
    if (this.tail !== null) this.tail = null;
    this.sink.onFailure(failure);
    return false;
  }
}

setPrototypeDefaults(MessageReader.prototype, {
  inflater: undefined,
  messageCompressed: false,
  fragments: null,
  tail: null,
  tailLength: 0,
  textValidator: null,
  checkedPrefix: 0
});
