/**
 * `WebSocketStream` in the shape Chrome ships and the WHATWG WebSockets standard describes: `opened` gives a
 * `ReadableStream` of messages and a `WritableStream` that sends them; `closed` gives the close code and reason.
 * Built on `WebSocket`'s public API, with back-pressure both ways:
 * - reading: each message is enqueued; once the queue holds `readableHighWaterMark` bytes the socket is paused
 *   (TCP then slows the peer down) and it is resumed when the reader pulls again;
 * - writing: `writer.write()` resolves when the socket has accepted the frame (the send callback), so a writer that
 *   awaits its writes never has more than one message in flight in memory.
 */
import { ReadableStream, WritableStream, type ReadableStreamDefaultController, type WritableStreamDefaultController } from 'node:stream/web';
import { WebSocket } from '../api/websocket';
import type { ClientOptions } from '../api/options';
import type { CloseEvent } from '../api/event-target';
import { messageByteLength } from '../api/message-iterator';
import { closeError, validateCloseInfo, WebSocketError, type WebSocketCloseInfo } from './websocket-error';

/** A message as the readable side yields it: text as a string, binary as a `Uint8Array`. */
export type WebSocketStreamMessage = string | Uint8Array;

/** What the writable side accepts: `ArrayBuffer`/views go as binary, anything else as text (`String(chunk)`). */
export type WebSocketStreamChunk = string | ArrayBuffer | ArrayBufferView | number;

/** What `opened` resolves with. */
export interface WebSocketOpenInfo {
  readable: ReadableStream<WebSocketStreamMessage>;
  writable: WritableStream<WebSocketStreamChunk>;
  /** The negotiated extensions ('' if none). */
  extensions: string;
  /** The subprotocol the server selected ('' if none). */
  protocol: string;
}

/** Options: the WHATWG ones plus sockwire's and any `WebSocket` client option. */
export interface WebSocketStreamOptions extends ClientOptions {
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** Aborting it before `opened` settles fails the connection; afterwards it does nothing. */
  signal?: AbortSignal;
  /** sockwire: bytes (UTF-16 units for text) the readable side may queue before the socket is paused (default 1 MiB). */
  readableHighWaterMark?: number;
}

/** Default readable queue bound: big enough to keep a fast link busy, small next to `maxPayload`. */
export const DEFAULT_READABLE_HIGH_WATER_MARK = 1024 * 1024;

const ALLOWED_SCHEMES = ['ws:', 'wss:', 'http:', 'https:', 'ws+unix:'];

/** WHATWG: a URL that cannot be used is a `SyntaxError` DOMException. */
function parseUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new DOMException(`Invalid URL: ${String(url)}`, 'SyntaxError');
  }
  if (!ALLOWED_SCHEMES.includes(parsed.protocol) || parsed.hash !== '') {
    throw new DOMException(`The URL ${parsed.href} cannot be used for a WebSocket`, 'SyntaxError');
  }
  return parsed.href;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/** A promise and its settle functions; marked handled so an unobserved rejection is not an unhandled one. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** The close code and reason carried by a `cancel()`/`abort()` reason, if it is a `WebSocketError`. */
function closeInfoOf(reason: unknown): WebSocketCloseInfo {
  if (reason instanceof WebSocketError && reason.closeCode !== null) return { closeCode: reason.closeCode, reason: reason.reason };
  return {};
}

/** A WebSocket client with streams; see the README section "WebSocketStream". */
export class WebSocketStream {
  /** The URL, serialised. */
  readonly url: string;
  /** Resolves once the connection is open; rejects if it fails first (or the signal aborts). */
  readonly opened: Promise<WebSocketOpenInfo>;
  /** Resolves after a clean close; rejects with a `WebSocketError` after an unclean one. */
  readonly closed: Promise<WebSocketCloseInfo>;
  private readonly openedDeferred = deferred<WebSocketOpenInfo>();
  private readonly closedDeferred = deferred<WebSocketCloseInfo>();
  private readonly socket: WebSocket | null = null;
  private readonly highWaterMark: number;
  private readableController: ReadableStreamDefaultController<WebSocketStreamMessage> | null = null;
  private writableController: WritableStreamDefaultController | null = null;
  private wasEverConnected = false;
  private pausedByUs = false;
  /** Set once the app closed or cancelled: from then on the socket is read to the end, what does not fit is dropped. */
  private draining = false;
  private readableDone = false;
  private abortReason: unknown = undefined;
  private lastError: Error | null = null;
  private wasClean = false;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.abortHandshake();

  /**
   * @param url - `ws:`, `wss:` (or `http:`, `https:`, `ws+unix:`) URL
   * @param options - `protocols`, `signal`, `readableHighWaterMark`, and any `WebSocket` client option
   */
  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    const { protocols, signal, readableHighWaterMark, ...client } = options;
    this.opened = this.openedDeferred.promise;
    this.closed = this.closedDeferred.promise;
    this.highWaterMark = readableHighWaterMark ?? DEFAULT_READABLE_HIGH_WATER_MARK;
    if (typeof this.highWaterMark !== 'number' || !(this.highWaterMark >= 0)) {
      throw new RangeError('The "readableHighWaterMark" option must be a non-negative number');
    }
    this.url = parseUrl(url);
    this.signal = signal;
    if (signal?.aborted === true) {
      // Aborted before we started: no connection is made at all.
      this.openedDeferred.reject(signal.reason);
      this.closedDeferred.reject(signal.reason);
      return;
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url, protocols === undefined ? [] : protocols, client);
    } catch (error) {
      if (error instanceof SyntaxError) throw new DOMException(error.message, 'SyntaxError');
      throw error;
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.on('open', () => this.onOpen());
    socket.on('message', (data, isBinary) => this.onMessage(data as ArrayBuffer | Buffer, isBinary));
    socket.on('error', (error) => {
      this.lastError ??= error;
    });
    socket.addEventListener('close', (event) => {
      this.wasClean = (event as CloseEvent).wasClean;
    });
    socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Close with an optional code (1000 or 3000–4999) and reason (≤ 123 bytes); before the connection is open this
   * fails it. Throws `InvalidAccessError` / `SyntaxError` DOMExceptions for bad values, as the standard says.
   */
  close(closeInfo: WebSocketCloseInfo = {}): void {
    const code = validateCloseInfo(closeInfo);
    this.closeSocket(code, closeInfo.reason);
  }

  private closeSocket(code: number | undefined, reason: string | undefined): void {
    const socket = this.socket;
    if (socket === null || socket.readyState >= WebSocket.CLOSING) return;
    this.draining = true;
    this.resumeIfPaused();
    socket.close(code, code === undefined ? undefined : reason);
  }

  private abortHandshake(): void {
    const socket = this.socket as WebSocket;
    if (this.wasEverConnected || socket.readyState !== WebSocket.CONNECTING) return;
    this.abortReason = (this.signal as AbortSignal).reason;
    socket.terminate();
  }

  private onOpen(): void {
    const socket = this.socket as WebSocket;
    this.wasEverConnected = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    const readable = new ReadableStream<WebSocketStreamMessage>(
      {
        start: (controller) => {
          this.readableController = controller;
        },
        // The reader wants more: read from the socket again.
        pull: () => this.resumeIfPaused(),
        cancel: (reason) => {
          this.readableDone = true;
          const info = closeInfoOf(reason);
          this.closeSocket(info.closeCode, info.reason);
        }
      },
      { highWaterMark: this.highWaterMark, size: (chunk) => messageByteLength(chunk as WebSocketStreamMessage) }
    );
    const writable = new WritableStream<WebSocketStreamChunk>({
      start: (controller) => {
        this.writableController = controller;
      },
      write: (chunk) => this.write(chunk),
      close: () => this.closeSocket(undefined, undefined),
      abort: (reason) => {
        const info = closeInfoOf(reason);
        this.closeSocket(info.closeCode, info.reason);
      }
    });
    this.openedDeferred.resolve({ readable, writable, extensions: socket.extensions, protocol: socket.protocol });
  }

  private write(chunk: WebSocketStreamChunk): Promise<void> {
    const socket = this.socket as WebSocket;
    return new Promise((resolve, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (chunk instanceof ArrayBuffer) socket.send(chunk, { binary: true }, done);
      else if (ArrayBuffer.isView(chunk)) socket.send(chunk, { binary: true }, done);
      else socket.send(String(chunk), { binary: false }, done);
    });
  }

  private onMessage(data: ArrayBuffer | Buffer, isBinary: boolean): void {
    const controller = this.readableController;
    if (controller === null || this.readableDone) return;
    const message: WebSocketStreamMessage = isBinary ? new Uint8Array(data as ArrayBuffer) : data.toString();
    const desired = controller.desiredSize ?? 0;
    // After close()/cancel() the socket is read to its end so the closing handshake completes; what does not fit
    // under the high-water mark then is dropped rather than held.
    if (this.draining && desired <= 0) return;
    controller.enqueue(message);
    if (!this.draining && !this.pausedByUs && (controller.desiredSize ?? 0) <= 0) {
      this.pausedByUs = true;
      (this.socket as WebSocket).pause();
    }
  }

  private resumeIfPaused(): void {
    if (!this.pausedByUs) return;
    this.pausedByUs = false;
    (this.socket as WebSocket).resume();
  }

  private onClose(code: number, reason: string): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.wasEverConnected) {
      const failure =
        this.abortReason !== undefined
          ? this.abortReason
          : closeError(this.lastError?.message ?? 'WebSocket connection failed', null, '');
      this.openedDeferred.reject(failure);
      this.closedDeferred.reject(failure);
      return;
    }
    const readable = this.readableController as ReadableStreamDefaultController<WebSocketStreamMessage>;
    const writable = this.writableController as WritableStreamDefaultController;
    if (this.wasClean) {
      this.closedDeferred.resolve({ closeCode: code, reason });
      if (!this.readableDone) readable.close();
      writable.error(new TypeError('The WebSocket is closed'));
    } else {
      const error = closeError(this.lastError?.message ?? 'WebSocket closed uncleanly', code, reason);
      this.closedDeferred.reject(error);
      if (!this.readableDone) readable.error(error);
      writable.error(error);
    }
    this.readableDone = true;
  }
}
