/**
 * Options of `ReconnectingWebSocket` and their defaults, resolved once in one table (each default with its reason).
 * Everything not listed here is a `WebSocket` client option and goes to every underlying socket.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ClientOptions } from '../api/options';
import type { WebSocket } from '../api/websocket';
import { validateBackoff, type BackoffSettings } from './backoff';
import type { PolicySettings, ReconnectEvent } from './reconnect-policy';
import type { OverflowPolicy, SendQueueSettings } from './send-queue';

/** A value, or a function (sync or async) that produces it afresh for every attempt. */
export type Resolvable<T> = T | (() => T | PromiseLike<T>);

/** sockwire's reconnect options (all optional). */
export interface ReconnectOptions {
  /** Smallest backoff delay, ms (default 1000). */
  minDelay?: number;
  /** Largest backoff delay, ms (default 30000). */
  maxDelay?: number;
  /** Backoff growth per failure (default 2). */
  factor?: number;
  /** First retry of a failure streak waits a random 0–`initialJitter` ms (default 0; RFC 6455 §7.2.3). */
  initialJitter?: number;
  /** Ms a connection must stay open before the backoff starts over (default 5000). */
  minUptime?: number;
  /** Consecutive failed attempts before `'giveup'` (default Infinity). */
  maxRetries?: number;
  /** Close codes to retry although they are terminal by default. */
  retryCodes?: readonly number[];
  /** Reconnect after the server closes with 1000 or 1001 (default true). */
  reconnectOnNormalClose?: boolean;
  /** Overrides the default verdict: return true to reconnect, false to give up. */
  shouldReconnect?: (event: ReconnectEvent) => boolean;
  /** Request headers, re-evaluated for every attempt (e.g. a fresh token). */
  headers?: Resolvable<OutgoingHttpHeaders>;
  /** Runs on every new socket before queued messages are flushed and `'open'` is emitted (e.g. to authenticate); a returned promise is awaited. */
  onOpen?: (socket: WebSocket) => unknown;
  /** Queue `send()`s made while disconnected (default false: they fail with `WS_ERR_NOT_OPEN`). */
  queue?: boolean;
  /** Queue bound: messages (default 1000). */
  maxQueuedMessages?: number;
  /** Queue bound: bytes (default 1 MiB). */
  maxQueuedBytes?: number;
  /** Queue bound: ms a message may wait (default Infinity). */
  maxQueuedAge?: number;
  /** What to do when the queue is full (default `'error'`: `send()` throws `WS_ERR_QUEUE_FULL`). */
  overflow?: OverflowPolicy;
  /** Aborting it is `close()` for good. */
  signal?: AbortSignal;
}

/** Options of `new ReconnectingWebSocket(url, protocols, options)`. */
export type ReconnectingWebSocketOptions = Omit<ClientOptions, 'headers'> & ReconnectOptions;

/** Everything resolved. */
export interface ResolvedReconnectOptions extends BackoffSettings, PolicySettings {
  minUptime: number;
  maxRetries: number;
  shouldReconnect: ((event: ReconnectEvent) => boolean) | undefined;
  headers: Resolvable<OutgoingHttpHeaders> | undefined;
  onOpen: ((socket: WebSocket) => unknown) | undefined;
  queue: SendQueueSettings | null;
  signal: AbortSignal | undefined;
  /** What goes to every `new WebSocket()`. */
  client: ClientOptions;
}

/** Defaults, each with the reason it has that value. */
export const RECONNECT_DEFAULTS = {
  /** One second keeps a human-visible outage short without hammering a server that is down. */
  minDelay: 1000,
  /** Thirty seconds caps the wait a recovered server imposes on its clients. */
  maxDelay: 30000,
  /** Doubling is the usual exponential backoff. */
  factor: 2,
  /** A dropped connection is usually a blip: retry at once unless the app wants a fleet spread out. */
  initialJitter: 0,
  /** A connection that lasts 5 s proved the server healthy; shorter ones count as failures (no tight loop). */
  minUptime: 5000,
  /** A client normally wants to reconnect for as long as it runs. */
  maxRetries: Infinity,
  /** A server that closes normally (deploys, idle timeouts) is still where the app wants to be. */
  reconnectOnNormalClose: true,
  /** Bounded even when on: an outage must not turn into unbounded memory. */
  maxQueuedMessages: 1000,
  maxQueuedBytes: 1024 * 1024,
  /** Age is the app's business; count and bytes already bound memory. */
  maxQueuedAge: Infinity,
  /** Never lose a message silently. */
  overflow: 'error' as OverflowPolicy,
  /** A handshake that hangs (a stopped peer) must not stall reconnection forever. */
  handshakeTimeout: 30000
} as const;

const OWN_KEYS = new Set<string>([
  'minDelay', 'maxDelay', 'factor', 'initialJitter', 'minUptime', 'maxRetries', 'retryCodes', 'reconnectOnNormalClose',
  'shouldReconnect', 'headers', 'onOpen', 'queue', 'maxQueuedMessages', 'maxQueuedBytes', 'maxQueuedAge', 'overflow', 'signal'
]);

function count(name: string, value: number, allowInfinity: boolean): number {
  if (typeof value !== 'number' || !(value >= 0) || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`The "${name}" option must be a non-negative number`);
  }
  return value;
}

/** Validate and resolve; throws TypeError/RangeError for bad values (at construction, like `WebSocket`). */
export function resolveReconnectOptions(options: ReconnectingWebSocketOptions = {}): ResolvedReconnectOptions {
  const d = RECONNECT_DEFAULTS;
  const backoff: BackoffSettings = {
    minDelay: options.minDelay ?? d.minDelay,
    maxDelay: options.maxDelay ?? Math.max(d.maxDelay, options.minDelay ?? 0),
    factor: options.factor ?? d.factor,
    initialJitter: options.initialJitter ?? d.initialJitter
  };
  validateBackoff(backoff);
  for (const name of ['shouldReconnect', 'onOpen'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`The "${name}" option must be a function`);
  }
  const overflow = options.overflow ?? d.overflow;
  if (!['drop-oldest', 'drop-newest', 'error'].includes(overflow)) {
    throw new TypeError('The "overflow" option must be "drop-oldest", "drop-newest" or "error"');
  }
  const client: Record<string, unknown> = { handshakeTimeout: d.handshakeTimeout };
  for (const [key, value] of Object.entries(options)) if (!OWN_KEYS.has(key)) client[key] = value;
  return {
    ...backoff,
    minUptime: count('minUptime', options.minUptime ?? d.minUptime, true),
    maxRetries: count('maxRetries', options.maxRetries ?? d.maxRetries, true),
    retryCodes: [...(options.retryCodes ?? [])],
    reconnectOnNormalClose: options.reconnectOnNormalClose ?? d.reconnectOnNormalClose,
    shouldReconnect: options.shouldReconnect,
    headers: options.headers,
    onOpen: options.onOpen,
    queue:
      options.queue === true
        ? {
            maxQueuedMessages: count('maxQueuedMessages', options.maxQueuedMessages ?? d.maxQueuedMessages, true),
            maxQueuedBytes: count('maxQueuedBytes', options.maxQueuedBytes ?? d.maxQueuedBytes, true),
            maxQueuedAge: count('maxQueuedAge', options.maxQueuedAge ?? d.maxQueuedAge, true),
            overflow
          }
        : null,
    signal: options.signal,
    client: client as ClientOptions
  };
}
