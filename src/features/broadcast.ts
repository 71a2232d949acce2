/**
 * Broadcast and topics (sockwire): one message to many server-side sockets, framed once (and deflated once per
 * window size where the negotiated parameters allow sharing), then written to each recipient through its ordered
 * send queue. Sockets whose state forbids sharing (mid-fragment, per-connection deflate context) fall back to
 * their own `send()`, which is exactly what a ws `clients.forEach(send)` loop would do.
 */
import type { ZlibOptions } from 'node:zlib';
import { OPCODE_BINARY, OPCODE_TEXT } from '../core/constants';
import { encodeFrame } from '../core/frame';
import { isBlob, toBytes, type SendData } from '../io/data';
import { deflateMessageOnce } from '../extensions/shared-deflate';
import { admitSend, drainWatcher } from './backpressure';
import type { FeatureSocket } from './feature-socket';
import type { WriteCoalescer } from './write-coalescer';

/** Options of `wss.broadcast()` and `wss.publish()`. */
export interface BroadcastOptions<T extends FeatureSocket = FeatureSocket> {
  /** A socket, or several, that must not receive the message (typically the sender). */
  except?: T | Iterable<T>;
  /** Only sockets for which this returns true receive the message. */
  filter?: (ws: T) => boolean;
  /** Send as binary (default: true unless `data` is a string, as `send()`). */
  binary?: boolean;
  /** Compress where permessage-deflate was negotiated (default true, as `send()`). */
  compress?: boolean;
}

/** How many recipients got the message written at once, queued in memory, or dropped by `maxBackpressure`. */
export interface BroadcastResult {
  written: number;
  queued: number;
  dropped: number;
}

/** Negotiated permessage-deflate parameters as the broadcast reads them. */
interface DeflateView {
  readonly params: Record<string, unknown> | null;
  readonly threshold: number;
}

const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** One message, encoded lazily in the variants recipients need (internal to broadcast/publish). */
export class PreparedMessage {
  private plain: Buffer[] | null = null;
  private readonly deflated = new Map<number, Buffer[]>();

  constructor(
    readonly data: string | Buffer,
    readonly bytes: Buffer,
    readonly opcode: number,
    readonly binary: boolean,
    readonly compress: boolean,
    private readonly zlibOptions: ZlibOptions
  ) {}

  /** RFC 6455 §5.2: one unmasked, final frame (server to client, §5.1). Shared buffers: never masked in place. */
  plainFrames(): Buffer[] {
    this.plain ??= encodeFrame(this.bytes, { opcode: this.opcode, fin: true, rsv1: false, mask: false, readOnly: true });
    return this.plain;
  }

  /** RFC 7692 §6: the message deflated once for this window size, RSV1 set on its only frame. */
  deflatedFrames(windowBits: number): Buffer[] {
    let frames = this.deflated.get(windowBits);
    if (frames === undefined) {
      const payload = deflateMessageOnce(this.bytes, windowBits, this.zlibOptions);
      frames = encodeFrame(payload, { opcode: this.opcode, fin: true, rsv1: true, mask: false, readOnly: true });
      this.deflated.set(windowBits, frames);
    }
    return frames;
  }
}

/** Normalise the data and options once for all recipients. */
export function prepareMessage(data: SendData | number, options: { binary?: boolean; compress?: boolean }, zlibOptions: ZlibOptions): PreparedMessage {
  if (typeof data === 'number') data = data.toString();
  if (isBlob(data)) throw new TypeError('broadcast() and publish() do not accept a Blob; read it into a Buffer first');
  const bytes = toBytes(data).bytes;
  const binary = options.binary ?? typeof data !== 'string';
  const original = typeof data === 'string' ? data : bytes;
  return new PreparedMessage(original, bytes, binary ? OPCODE_BINARY : OPCODE_TEXT, binary, options.compress !== false, zlibOptions);
}

/**
 * Write `message` to every socket of `recipients` that passes `except`/`filter` and is open. With a `coalescer`,
 * each socket stays corked until the end of the turn (its frames then count as queued).
 */
export function deliver<T extends FeatureSocket>(
  recipients: Iterable<T>,
  message: PreparedMessage,
  options: BroadcastOptions<T>,
  coalescer: WriteCoalescer | null = null
): BroadcastResult {
  const result: BroadcastResult = { written: 0, queued: 0, dropped: 0 };
  const except = options.except;
  const excluded = except === undefined ? null : isIterable(except) ? new Set<FeatureSocket>(except) : null;
  const filter = options.filter;
  for (const ws of recipients) {
    if (ws === except || (excluded !== null && excluded.has(ws))) continue;
    if (filter !== undefined && !filter(ws)) continue;
    deliverOne(ws, message, result, coalescer);
  }
  return result;
}

function deliverOne(ws: FeatureSocket, message: PreparedMessage, result: BroadcastResult, coalescer: WriteCoalescer | null): void {
  const connection = ws._connection;
  if (connection === null || connection.state !== 'open') return;
  const sender = connection.sender;
  if (coalescer !== null) coalescer.hold(connection.socket);
  let frames: Buffer[];
  const deflate = message.compress ? (ws._extensions[PERMESSAGE_DEFLATE] as DeflateView | undefined) : undefined;
  if (deflate !== undefined) {
    const params = deflate.params;
    if (params === null || params.server_no_context_takeover !== true || sender.midMessage) {
      // Per-connection context (or a fragment in progress): only this socket's own compressor can do it.
      countStatus(ws.send(message.data, { binary: message.binary, compress: true }), ws, result);
      return;
    }
    const bits = typeof params.server_max_window_bits === 'number' ? params.server_max_window_bits : 15;
    // Same rule as a single send without context takeover: small messages go uncompressed.
    frames = message.bytes.length < deflate.threshold ? message.plainFrames() : message.deflatedFrames(bits);
  } else if (sender.midMessage) {
    // A whole frame may not interrupt a fragmented message; send() continues it, as ws would.
    countStatus(ws.send(message.data, { binary: message.binary, compress: false }), ws, result);
    return;
  } else {
    frames = message.plainFrames();
  }
  const features = ws._features;
  if (features !== null && features.maxBackpressure > 0) {
    if (admitSend(ws, features, undefined) !== null) {
      result.dropped++;
      return;
    }
    sender.sendFrames(frames, message.bytes.length, drainWatcher(ws, features, undefined));
  } else {
    sender.sendFrames(frames, message.bytes.length);
  }
  if (connection.socket.writableLength === 0) result.written++;
  else {
    result.queued++;
    if (features !== null && features.maxBackpressure > 0) features.drainPending = true;
  }
}

function countStatus(status: string | undefined, ws: FeatureSocket, result: BroadcastResult): void {
  if (status === 'dropped') result.dropped++;
  else if (status === 'written' || (status === undefined && ws.bufferedAmount === 0)) result.written++;
  else result.queued++;
}

function isIterable<T>(value: T | Iterable<T>): value is Iterable<T> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
