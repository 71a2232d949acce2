/**
 * The opt-in send queue of `ReconnectingWebSocket`: messages sent while no connection is open wait here, bounded by
 * count, bytes and age, until the next connection's `onOpen` hook has finished. A message leaves the queue when it is
 * handed to a socket and is never queued again, so nothing is sent twice.
 */
import type { Blob } from 'node:buffer';
import { MAX_TIMER_DELAY } from './backoff';

/** What to do when a message does not fit: drop the oldest queued ones, refuse the new one, or throw. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'error';

/** Bounds of the queue. */
export interface SendQueueSettings {
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  /** Ms a message may wait; then it fails with `WS_ERR_QUEUE_EXPIRED` (a timer sees to it) instead of being sent. */
  maxQueuedAge: number;
  overflow: OverflowPolicy;
}

/** `err.code` values of the queue's errors (given to send callbacks, or thrown with `overflow: 'error'`). */
export const QUEUE_ERROR_CODES = {
  /** The queue was full (or the message alone is larger than `maxQueuedBytes`). */
  full: 'WS_ERR_QUEUE_FULL',
  /** The message waited longer than `maxQueuedAge`. */
  expired: 'WS_ERR_QUEUE_EXPIRED',
  /** No connection is open and none will be (queue off, `close()`, `'giveup'`). */
  notOpen: 'WS_ERR_NOT_OPEN'
} as const;

/** One error for a queue failure, with its code. */
export function queueError(code: (typeof QUEUE_ERROR_CODES)[keyof typeof QUEUE_ERROR_CODES], message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Callback of `send()`. */
export type SendCallback = (error?: Error | null) => void;

/** A message waiting for a connection. */
export interface QueuedMessage<Data, Options> {
  readonly data: Data;
  readonly options: Options | undefined;
  readonly cb: SendCallback | undefined;
  readonly bytes: number;
  readonly queuedAt: number;
}

/** Bytes a message will take on the wire (strings as UTF-8). */
export function sendByteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === 'number') return String(data).length;
  if (typeof data === 'object' && data !== null && typeof (data as Blob).size === 'number') return (data as Blob).size;
  return 0;
}

function fail(message: { cb: SendCallback | undefined }, error: Error): void {
  if (message.cb !== undefined) process.nextTick(message.cb, error);
}

/**
 * A FIFO of messages with count, byte and age bounds. With a finite `maxQueuedAge`, one unref'd timer follows the
 * oldest message, so each fails when it expires (not at the next push or flush).
 */
export class SendQueue<Data, Options> {
  private readonly items: QueuedMessage<Data, Options>[] = [];
  private bytes = 0;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly settings: SendQueueSettings) {}

  /** Bytes waiting. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Messages waiting. */
  get length(): number {
    return this.items.length;
  }

  /** Queue a message; `'dropped'` when it was refused (its callback gets the error). Throws with `overflow: 'error'`. */
  push(data: Data, options: Options | undefined, cb: SendCallback | undefined, now: number): 'queued' | 'dropped' {
    this.expire(now);
    const bytes = sendByteLength(data);
    const { maxQueuedMessages, maxQueuedBytes, overflow } = this.settings;
    const fits = (): boolean => this.items.length < maxQueuedMessages && this.bytes + bytes <= maxQueuedBytes;
    if (!fits()) {
      const error = queueError(QUEUE_ERROR_CODES.full, `Send queue full (${this.items.length} messages, ${this.bytes} bytes)`);
      if (overflow === 'error') throw error;
      // Dropping older messages only helps if the new one fits in an empty queue.
      if (overflow === 'drop-newest' || bytes > maxQueuedBytes || maxQueuedMessages === 0) {
        fail({ cb }, error);
        return 'dropped';
      }
      while (!fits()) this.dropFirst(error);
    }
    this.items.push({ data, options, cb, bytes, queuedAt: now });
    this.bytes += bytes;
    this.scheduleExpiry(now);
    return 'queued';
  }

  /** Take every message that is still young enough, oldest first; the expired ones fail. */
  takeAll(now: number): QueuedMessage<Data, Options>[] {
    this.expire(now);
    const items = this.items.splice(0);
    this.bytes = 0;
    this.cancelExpiry();
    return items;
  }

  /** Fail every queued message with `error`. */
  clear(error: Error): void {
    for (const item of this.items.splice(0)) fail(item, error);
    this.bytes = 0;
    this.cancelExpiry();
  }

  /**
   * Arm the timer for the oldest message, unless one is armed already. A timer armed for a message that left the
   * queue meanwhile fires early, expires nothing, and re-arms for the new oldest one.
   */
  private scheduleExpiry(now: number): void {
    const maxAge = this.settings.maxQueuedAge;
    if (this.expiryTimer !== null || this.items.length === 0 || !Number.isFinite(maxAge)) return;
    // expire() drops a message once it is strictly older than maxAge: 1 ms past the limit.
    const wait = Math.min(MAX_TIMER_DELAY, Math.max(0, this.items[0].queuedAt + maxAge + 1 - now));
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      const at = Date.now();
      this.expire(at);
      this.scheduleExpiry(at);
    }, wait);
    this.expiryTimer.unref();
  }

  private cancelExpiry(): void {
    if (this.expiryTimer === null) return;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  private expire(now: number): void {
    const maxAge = this.settings.maxQueuedAge;
    while (this.items.length > 0 && now - this.items[0].queuedAt > maxAge) {
      this.dropFirst(queueError(QUEUE_ERROR_CODES.expired, `Message waited more than ${maxAge} ms for a connection`));
    }
  }

  private dropFirst(error: Error): void {
    const item = this.items.shift() as QueuedMessage<Data, Options>;
    this.bytes -= item.bytes;
    fail(item, error);
  }
}
