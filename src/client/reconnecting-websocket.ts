/**
 * `ReconnectingWebSocket`: a client that keeps one `WebSocket` connected, built only on `WebSocket`'s public API.
 * Exactly one underlying socket is alive at any time: a new attempt starts only after the previous socket's
 * `'close'`. At most one retry timer exists, and `close()`, `reconnect()` and the `signal` settle every state
 * (resolving, connecting, running the `onOpen` hook, open, waiting to retry) without leaving a timer or socket behind.
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { BinaryType } from '../core/constants';
import { WebSocket } from '../api/websocket';
import { addEventListener, removeEventListener, defineEventHandlerAttributes, kWasClean, type CloseEvent } from '../api/event-target';
import type { SendOptions } from '../io/sender';
import type { SendData } from '../io/data';
import type { AnyListener } from '../api/websocket-events';
import { backoffDelay, parseRetryAfter } from './backoff';
import { isRetryable, type ReconnectReason } from './reconnect-policy';
import { resolveReconnectOptions, type ReconnectingWebSocketOptions, type Resolvable, type ResolvedReconnectOptions } from './reconnect-options';
import { QUEUE_ERROR_CODES, SendQueue, queueError, type SendCallback } from './send-queue';
import type { ReconnectingWebSocketEventMap, ReconnectingListener } from './reconnecting-events';

/** Where the client is; `readyState` maps it to 0–3. */
type State = 'connecting' | 'open' | 'waiting' | 'closing' | 'closed';
const READY_STATES: Record<State, 0 | 1 | 2 | 3> = { connecting: 0, waiting: 0, open: 1, closing: 2, closed: 3 };

/** What `send()` did: handed to the open socket, queued for the next one, or refused (the callback has the error). */
export type ReconnectingSendStatus = 'sent' | 'queued' | 'dropped';

/** Close code we send when the `onOpen` hook fails (RFC 6455 §7.4.1, 1011: unexpected condition). */
const HOOK_FAILED_CLOSE_CODE = 1011;

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}

function evaluate<T>(value: Resolvable<T>): T | PromiseLike<T> {
  return typeof value === 'function' ? (value as () => T | PromiseLike<T>)() : value;
}

/** The handshake status of a failed attempt. */
interface FailedResponse {
  status: number;
  headers: IncomingMessage['headers'];
  retryAfter: number | undefined;
}

/** A client that reconnects with backoff; see the README section "Reconnecting client". */
// Typed event overloads (declaration merging with the class below).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ReconnectingWebSocket {
  on<E extends keyof ReconnectingWebSocketEventMap>(event: E, listener: ReconnectingListener<E>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof ReconnectingWebSocketEventMap>(event: E, listener: ReconnectingListener<E>): this;
  once(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof ReconnectingWebSocketEventMap>(event: E, listener: ReconnectingListener<E>): this;
  off(event: string | symbol, listener: AnyListener): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ReconnectingWebSocket extends EventEmitter {
  private readonly urlSource: Resolvable<string | URL>;
  private readonly protocolSource: Resolvable<string | string[]>;
  private readonly settings: ResolvedReconnectOptions;
  private readonly queue: SendQueue<SendData | number, SendOptions> | null;
  private state: State = 'closed';
  /** The one live socket (null while resolving, waiting or closed). */
  private current: WebSocket | null = null;
  /** Bumped by every new attempt and by `close()`: an async resolution that finds it changed is discarded. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Consecutive failures (reset by a connection that lasted `minUptime`, and by `reconnect()`). */
  private failures = 0;
  /**
   * A 1012 (service restart) already restarted this streak with a short delay. Only the first one does until a
   * stable connection or `reconnect()`: a server that always closes with 1012 gets the backoff and `maxRetries`.
   */
  private restartHonoured = false;
  private attempts = 0;
  private openedAt = 0;
  private lastUrl = '';
  private type: BinaryType = 'nodebuffer';
  /** `reconnect()` was called while a socket was alive: start again as soon as it has closed. */
  private restartWhenClosed = false;
  private constructing = true;
  private lastWasClean = false;
  // What the current attempt went through (reset per socket).
  private attemptError: Error | null = null;
  private attemptResponse: FailedResponse | null = null;
  private hookError: Error | null = null;
  private attemptOpened = false;
  /** A connecting socket we aborted ourselves: its "closed before established" error is not news. */
  private abortedByUs: WebSocket | null = null;
  private readonly onAbort = (): void => this.close();

  /**
   * @param url - the URL, or a function (sync or async) returning it, called before every attempt
   * @param protocols - subprotocol(s), or a function returning them, or the options
   * @param options - reconnect options plus any `WebSocket` client option
   */
  constructor(
    url: Resolvable<string | URL>,
    protocols?: Resolvable<string | string[]> | ReconnectingWebSocketOptions,
    options?: ReconnectingWebSocketOptions
  ) {
    super();
    if (typeof protocols === 'object' && protocols !== null && !Array.isArray(protocols)) {
      options = protocols as ReconnectingWebSocketOptions;
      protocols = undefined;
    }
    this.urlSource = url;
    this.protocolSource = (protocols as Resolvable<string | string[]> | undefined) ?? [];
    this.settings = resolveReconnectOptions(options);
    this.queue = this.settings.queue === null ? null : new SendQueue(this.settings.queue);
    const signal = this.settings.signal;
    if (signal?.aborted !== true) {
      signal?.addEventListener('abort', this.onAbort, { once: true });
      // Bad static arguments throw here, synchronously, as `new WebSocket()` does.
      this.connect();
    }
    this.constructing = false;
  }

  // ---- properties ---------------------------------------------------------------------------------------
  /** 0 connecting or waiting to retry, 1 open, 2 closing (after `close()`), 3 closed for good. */
  get readyState(): number {
    return READY_STATES[this.state];
  }
  /** Attempt number since the last stable connection (1 for the first attempt). */
  get attempt(): number {
    return this.attempts;
  }
  /** The current underlying socket, or null (waiting, resolving, closed). */
  get socket(): WebSocket | null {
    return this.current;
  }
  /** The URL of the latest attempt ('' before the first one resolved). */
  get url(): string {
    return this.current?.url ?? this.lastUrl;
  }
  /** The current connection's subprotocol ('' if none). */
  get protocol(): string {
    return this.current?.protocol ?? '';
  }
  /** The current connection's extensions. */
  get extensions(): string {
    return this.current?.extensions ?? '';
  }
  /** Bytes queued here plus the current socket's `bufferedAmount`. */
  get bufferedAmount(): number {
    return (this.queue?.byteLength ?? 0) + (this.current?.bufferedAmount ?? 0);
  }
  /** Applied to every underlying socket. */
  get binaryType(): BinaryType {
    return this.type;
  }
  set binaryType(type: BinaryType) {
    if (this.current !== null) {
      this.current.binaryType = type;
      this.type = this.current.binaryType;
    } else if (['nodebuffer', 'arraybuffer', 'fragments', 'blob'].includes(type)) this.type = type;
  }
  /** @internal WHATWG `CloseEvent.wasClean` of the latest underlying close. */
  get [kWasClean](): boolean {
    return this.lastWasClean;
  }

  // ---- methods ------------------------------------------------------------------------------------------
  /**
   * Send on the open connection. While none is open the message is queued (`queue: true`) or refused; either way
   * `cb` learns the outcome. A message handed to a socket that then dies is lost, never sent again.
   */
  send(data: SendData | number, options?: SendOptions | SendCallback, cb?: SendCallback): ReconnectingSendStatus {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    const socket = this.current;
    if (this.state === 'open' && socket !== null && socket.readyState === WebSocket.OPEN) {
      if (options === undefined) socket.send(data, cb);
      else socket.send(data, options, cb);
      return 'sent';
    }
    if (this.queue === null || this.state === 'closing' || this.state === 'closed') {
      const error = queueError(QUEUE_ERROR_CODES.notOpen, `ReconnectingWebSocket is not open (readyState ${this.readyState})`);
      if (cb !== undefined) process.nextTick(cb, error);
      return 'dropped';
    }
    return this.queue.push(data, options, cb, Date.now());
  }

  /** Close the connection (RFC 6455 §7.1.2) and stop reconnecting. Safe in every state. */
  close(code?: number, reason?: string | Buffer): void {
    this.restartWhenClosed = false;
    const socket = this.current;
    if (socket !== null && this.state !== 'closing') {
      // Validates code and reason (throws like WebSocket.close) before anything changes.
      this.closeSocket(socket, code, reason);
      this.state = 'closing';
      return;
    }
    if (this.state === 'closing' || this.state === 'closed') return;
    // Resolving or waiting: no socket to close.
    this.generation++;
    this.finishClosed();
  }

  /** Drop the current connection (closing it with `code`, default 1000) and connect again at once. Safe anywhere. */
  reconnect(code: number = 1000, reason?: string | Buffer): void {
    if (this.settings.signal?.aborted === true) return;
    const socket = this.current;
    if (socket !== null) {
      if (this.state !== 'closing') this.closeSocket(socket, code, reason);
      this.state = 'connecting';
      this.restartWhenClosed = true;
      return;
    }
    if (this.state === 'closed') this.settings.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.restartNow();
  }

  // ---- attempts -----------------------------------------------------------------------------------------
  private connect(): void {
    this.clearRetryTimer();
    this.state = 'connecting';
    this.attempts++;
    const generation = ++this.generation;
    const attempt = this.attempts;
    // The first attempt starts inside the constructor, before anyone could listen: announce it a tick later.
    if (this.constructing) {
      process.nextTick(() => {
        if (this.generation === generation) this.emit('connecting', attempt);
      });
    } else {
      this.emit('connecting', attempt);
      if (this.generation !== generation) return;
    }
    let url: string | URL | PromiseLike<string | URL>;
    let protocols: string | string[] | PromiseLike<string | string[]>;
    let headers: OutgoingHttpHeaders | undefined | PromiseLike<OutgoingHttpHeaders>;
    try {
      url = evaluate(this.urlSource);
      protocols = evaluate(this.protocolSource);
      headers = this.settings.headers === undefined ? undefined : evaluate(this.settings.headers);
    } catch (error) {
      const reason: ReconnectReason = { type: 'error', error: error as Error };
      // Inside the constructor nobody listens yet: report the failure (and schedule the retry) a tick later.
      if (this.constructing) {
        process.nextTick(() => {
          if (this.generation === generation) this.failBeforeSocket(reason);
        });
      } else this.failBeforeSocket(reason);
      return;
    }
    if (!isThenable(url) && !isThenable(protocols) && !isThenable(headers)) {
      this.open(url, protocols, headers);
      return;
    }
    Promise.all([url, protocols, headers]).then(
      ([u, p, h]) => {
        if (this.generation === generation) this.open(u, p, h);
      },
      (error: unknown) => {
        if (this.generation === generation) this.failBeforeSocket({ type: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      }
    );
  }

  private open(url: string | URL, protocols: string | string[], headers: OutgoingHttpHeaders | undefined): void {
    const client = this.settings.client;
    // `headers` is a reconnect option (resolved per attempt above), never part of `client`.
    const options = headers === undefined ? client : { ...client, headers };
    this.lastUrl = String(url);
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, protocols, options);
    } catch (error) {
      if (this.constructing) {
        this.finishClosed();
        throw error;
      }
      this.failBeforeSocket({ type: 'invalid', error: error as Error });
      return;
    }
    this.current = socket;
    this.attemptError = this.attemptResponse = this.hookError = null;
    this.attemptOpened = false;
    socket.binaryType = this.type;
    this.watch(socket);
  }

  private watch(socket: WebSocket): void {
    const mine = (): boolean => this.current === socket;
    socket.on('open', () => {
      if (!mine()) return;
      this.attemptOpened = true;
      this.runOpenHook(socket);
    });
    socket.on('message', (data, isBinary) => {
      if (mine()) this.emit('message', data, isBinary);
    });
    socket.on('ping', (data) => {
      if (mine()) this.emit('ping', data);
    });
    socket.on('pong', (data) => {
      if (mine()) this.emit('pong', data);
    });
    socket.on('error', (error) => {
      if (!mine() || this.abortedByUs === socket) return;
      this.attemptError = error;
      this.emitError(error);
    });
    socket.on('unexpected-response', (_request: ClientRequest, response: IncomingMessage) => {
      if (!mine()) return;
      const status = response.statusCode ?? 0;
      const retryAfter = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
      this.attemptResponse = { status, headers: response.headers, retryAfter };
      response.resume();
      this.abortedByUs = socket;
      socket.terminate();
      const error = new Error(`Unexpected server response: ${status}`);
      this.attemptError = error;
      this.emitError(error);
    });
    // An EventTarget listener is the public way to read `wasClean`; it runs before the 'close' listener below.
    socket.addEventListener('close', (event) => {
      this.lastWasClean = (event as CloseEvent).wasClean;
    });
    socket.on('close', (code, reason) => {
      if (mine()) this.onSocketClose(socket, code, reason);
    });
  }

  private runOpenHook(socket: WebSocket): void {
    const hook = this.settings.onOpen;
    if (hook === undefined) {
      this.becomeOpen();
      return;
    }
    const done = (): void => {
      if (this.current === socket && this.state === 'connecting' && socket.readyState === WebSocket.OPEN) this.becomeOpen();
    };
    const failed = (error: unknown): void => {
      if (this.current !== socket || this.state !== 'connecting') return;
      this.hookError = error instanceof Error ? error : new Error(String(error));
      this.emitError(this.hookError);
      if (socket.readyState === WebSocket.OPEN) socket.close(HOOK_FAILED_CLOSE_CODE, 'onOpen failed');
    };
    try {
      const result = hook(socket);
      if (isThenable(result)) result.then(done, failed);
      else done();
    } catch (error) {
      failed(error);
    }
  }

  private becomeOpen(): void {
    const socket = this.current as WebSocket;
    this.state = 'open';
    this.openedAt = Date.now();
    // Queued messages go first (after whatever the hook sent), before anything an 'open' listener sends.
    if (this.queue !== null) {
      for (const message of this.queue.takeAll(this.openedAt)) {
        if (message.options === undefined) socket.send(message.data, message.cb);
        else socket.send(message.data, message.options, message.cb);
      }
    }
    this.emit('open');
  }

  private onSocketClose(socket: WebSocket, code: number, reasonBytes: Buffer): void {
    this.current = null;
    if (this.abortedByUs === socket) this.abortedByUs = null;
    const wasOpen = this.state === 'open';
    const uptime = wasOpen ? Date.now() - this.openedAt : 0;
    const restart = this.restartWhenClosed;
    this.restartWhenClosed = false;
    let reason: ReconnectReason | null = null;
    if (this.state === 'closing' && !restart) this.finishClosed();
    else {
      if (!restart) reason = this.describeEnd(code, reasonBytes, uptime);
      this.state = 'waiting';
    }
    const generation = this.generation;
    this.emit('close', code, reasonBytes);
    // A 'close' listener may have called close() or reconnect(): then it decided.
    if (this.generation !== generation || this.state !== 'waiting' || this.retryTimer !== null) return;
    if (reason === null) this.restartNow();
    else this.retryAfter(reason, wasOpen && uptime >= this.settings.minUptime);
  }

  private describeEnd(code: number, reasonBytes: Buffer, uptime: number): ReconnectReason {
    if (this.hookError !== null) return { type: 'open-hook', error: this.hookError };
    const response = this.attemptResponse;
    if (response !== null) {
      const { status, headers, retryAfter } = response;
      return retryAfter === undefined ? { type: 'unexpected-response', status, headers } : { type: 'unexpected-response', status, headers, retryAfter };
    }
    // A socket that never opened closes with 1006 after an 'error': the error is the story.
    if (!this.attemptOpened) return { type: 'error', error: this.attemptError ?? new Error('WebSocket closed before the connection was established') };
    const end: ReconnectReason = { type: 'close', code, reason: reasonBytes.toString(), wasClean: this.lastWasClean, uptime };
    if (this.attemptError !== null) end.error = this.attemptError;
    return end;
  }

  private failBeforeSocket(reason: ReconnectReason): void {
    this.state = 'waiting';
    this.retryAfter(reason, false);
  }

  /** Decide after a failure: give up, or wait and try again. */
  private retryAfter(reason: ReconnectReason, stable: boolean): void {
    const settings = this.settings;
    if (stable) {
      this.failures = 0;
      this.attempts = 0;
      this.restartHonoured = false;
    }
    // RFC 6455 §7.4.1 / IANA: 1012 Service Restart — the first one of a streak starts it over, with a short delay.
    const restart = reason.type === 'close' && reason.code === 1012 && !this.restartHonoured;
    if (restart) {
      this.failures = 0;
      this.restartHonoured = true;
    }
    this.failures++;
    let retryable = isRetryable(reason, settings);
    if (settings.shouldReconnect !== undefined) {
      try {
        retryable = Boolean(settings.shouldReconnect({ ...reason, attempt: this.attempts, retryable }));
      } catch (error) {
        this.emitError(error as Error);
      }
    }
    if (!retryable) return this.giveUp(reason);
    if (this.failures > settings.maxRetries) return this.giveUp({ type: 'max-retries', attempts: this.attempts, last: reason });
    const delay = restart ? Math.random() * settings.minDelay : this.delayFor(reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    // The timer exists first, so a listener's close() or reconnect() can cancel it.
    this.emit('reconnect', this.attempts + 1, delay, reason);
  }

  private delayFor(reason: ReconnectReason): number {
    const settings = this.settings;
    const delay = backoffDelay(this.failures, settings);
    // 1013 Try Again Later: at least half the longest delay.
    if (reason.type === 'close' && reason.code === 1013) return Math.max(delay, settings.maxDelay / 2);
    if (reason.type === 'unexpected-response' && reason.retryAfter !== undefined) return Math.max(delay, reason.retryAfter);
    return delay;
  }

  private restartNow(): void {
    this.failures = 0;
    this.attempts = 0;
    this.restartHonoured = false;
    this.clearRetryTimer();
    this.state = 'waiting';
    this.emit('reconnect', 1, 0, { type: 'manual' } satisfies ReconnectReason);
    if (this.state === 'waiting' && this.retryTimer === null) this.connect();
  }

  private giveUp(reason: ReconnectReason): void {
    this.finishClosed();
    this.emit('giveup', reason);
  }

  private finishClosed(): void {
    this.clearRetryTimer();
    this.state = 'closed';
    this.queue?.clear(queueError(QUEUE_ERROR_CODES.notOpen, 'ReconnectingWebSocket closed before the message was sent'));
    this.settings.signal?.removeEventListener('abort', this.onAbort);
  }

  private closeSocket(socket: WebSocket, code: number | undefined, reason: string | Buffer | undefined): void {
    if (socket.readyState === WebSocket.CONNECTING) this.abortedByUs = socket;
    socket.close(code, reason);
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }

  /** Like `WebSocket`: an error without an `'error'` listener is not thrown (the `'close'` tells the story). */
  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  declare addEventListener: typeof addEventListener;
  declare removeEventListener: typeof removeEventListener;
  declare onopen: ((event: unknown) => void) | null;
  declare onmessage: ((event: unknown) => void) | null;
  declare onerror: ((event: unknown) => void) | null;
  declare onclose: ((event: unknown) => void) | null;
}

defineEventHandlerAttributes(ReconnectingWebSocket.prototype);
ReconnectingWebSocket.prototype.addEventListener = addEventListener;
ReconnectingWebSocket.prototype.removeEventListener = removeEventListener;
