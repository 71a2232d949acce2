/**
 * `for await (const { data, isBinary } of ws)`: the socket's messages as an async iterator, built on its public
 * surface (`'message'`, `'error'`, `'close'`, `pause()`/`resume()`). When the loop falls behind by more than
 * {@link ITERATOR_HIGH_WATER_MARK} bytes the socket is paused, so the peer is slowed down by TCP instead of memory
 * filling up; it is resumed once the loop has caught up. Leaving the loop (`break`, `return`, a throw) removes the
 * listeners and undoes our pause, but closes nothing.
 */
import type { Blob } from 'node:buffer';
import type { BinaryMessage } from '../core/binary-data';

/** One received message, as the `'message'` event gives it (text as a Buffer, binary per `binaryType`). */
export interface WebSocketMessage {
  data: BinaryMessage;
  isBinary: boolean;
}

/** Bytes the iterator may hold before it pauses the socket. */
export const ITERATOR_HIGH_WATER_MARK = 1024 * 1024;

/** What the iterator needs from a WebSocket. */
export interface IterableSocket {
  readonly readyState: number;
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: BinaryMessage, isBinary: boolean) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  removeListener(event: 'message', listener: (data: BinaryMessage, isBinary: boolean) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** Size of a message in bytes (UTF-16 units for a string), whatever shape `binaryType` gave it. */
export function messageByteLength(data: BinaryMessage | Uint8Array | string): number {
  if (typeof data === 'string') return data.length;
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return (data as Blob).size;
}

interface Waiter {
  resolve(result: IteratorResult<WebSocketMessage>): void;
  reject(error: Error): void;
}

const DONE: IteratorResult<WebSocketMessage> = Object.freeze({ value: undefined, done: true });

/** The iterator behind `WebSocket.prototype[Symbol.asyncIterator]`. */
export class MessageIterator implements AsyncIterableIterator<WebSocketMessage> {
  private readonly queue: WebSocketMessage[] = [];
  private queuedBytes = 0;
  private readonly waiters: Waiter[] = [];
  private ended = false;
  private detached = false;
  private failure: Error | null = null;
  private pausedByUs = false;
  private readonly onMessage = (data: BinaryMessage, isBinary: boolean): void => this.push({ data, isBinary });
  private readonly onError = (error: Error): void => {
    this.failure ??= error;
  };
  private readonly onClose = (): void => this.end();

  constructor(
    private readonly socket: IterableSocket,
    private readonly highWaterMark = ITERATOR_HIGH_WATER_MARK
  ) {
    if (socket.readyState === 3) {
      this.ended = this.detached = true;
      return;
    }
    socket.on('message', this.onMessage);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next message; done after `'close'`; rejects once with the socket's error if it failed. */
  next(): Promise<IteratorResult<WebSocketMessage>> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.queuedBytes -= messageByteLength(message.data);
      if (this.pausedByUs && this.queuedBytes < this.highWaterMark) {
        this.pausedByUs = false;
        this.socket.resume();
      }
      return Promise.resolve({ value: message, done: false });
    }
    if (this.ended) return this.finish();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Leave the loop: stop listening and undo our pause; the socket stays as it is (open or not). */
  return(): Promise<IteratorResult<WebSocketMessage>> {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.ended = true;
    this.failure = null;
    this.detach();
    for (const waiter of this.waiters.splice(0)) waiter.resolve(DONE);
    return Promise.resolve(DONE);
  }

  private push(message: WebSocketMessage): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: message, done: false });
      return;
    }
    this.queue.push(message);
    this.queuedBytes += messageByteLength(message.data);
    if (!this.pausedByUs && this.queuedBytes >= this.highWaterMark) {
      this.pausedByUs = true;
      this.socket.pause();
    }
  }

  private end(): void {
    this.ended = true;
    this.pausedByUs = false;
    this.detach();
    // Messages still queued are delivered first; only waiters that found the queue empty learn about the end now.
    for (const waiter of this.waiters.splice(0)) this.finish().then(waiter.resolve, waiter.reject);
  }

  /** The end of the stream: the error once (if the socket failed), then done. */
  private finish(): Promise<IteratorResult<WebSocketMessage>> {
    const failure = this.failure;
    this.failure = null;
    return failure === null ? Promise.resolve(DONE) : Promise.reject(failure);
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    const socket = this.socket;
    socket.removeListener('message', this.onMessage);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    if (this.pausedByUs) {
      this.pausedByUs = false;
      socket.resume();
    }
  }
}
