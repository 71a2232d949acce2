/**
 * The contract every cross-process pub/sub transport implements (`RedisPubSub`, `ClusterPubSub`, or one of your own
 * over NATS, Postgres LISTEN/NOTIFY, ...). The adapter only moves opaque envelopes between servers by topic; the
 * server does everything else (envelope, sequence numbers, gap and duplicate detection, the 0→1 / 1→0 subscription
 * rule, local delivery). Give one adapter instance to one `WebSocketServer`.
 *
 * Rules an adapter must follow (the contract tests in `test/pubsub` check them):
 * - `subscribe(topic)`: from when the returned promise resolves, envelopes published on `topic` by other adapters
 *   arrive as `'message'` events, in the order each publisher published them. Subscribing twice is the same as once.
 *   The promise never rejects: failures are `'error'` events, and the adapter subscribes again once it can.
 * - `unsubscribe(topic)`: no more `'message'` events for `topic` (one subscribe and one unsubscribe cancel out).
 * - `publish(topic, envelope)`: best effort, at most once, never throws. An envelope the adapter discards (its
 *   pending limit, a connection lost with the envelope in flight) is reported with `'drop'`. Whether the publisher
 *   hears its own envelopes does not matter: the server drops them by origin id.
 * - `'ready'`: connected and subscribed to every current topic; after the first connection and after each reconnect.
 * - `'error'`: anything that went wrong (broker unreachable, authentication refused); the adapter keeps trying.
 * - `'reconnecting'` (optional): the broker connection that was ready is lost and the adapter is retrying; once per
 *   outage, after its `'error'`, and `'ready'` follows when the adapter is back. An adapter that never loses its
 *   connection (or cannot get it back) never emits it.
 * - `close()`: releases every connection, timer and listener the adapter made; afterwards the other methods are
 *   no-ops. `'close'` is emitted once, when closing starts. Calling it again returns the same promise.
 * - The envelope is binary and must arrive byte for byte: never convert it to text.
 */
import type { EventEmitter } from 'node:events';

/** Events of a {@link PubSubAdapter} → listener arguments. */
export interface PubSubAdapterEvents {
  /** An envelope published by another server on a subscribed topic. */
  message: [topic: string, envelope: Buffer];
  /** Connected and subscribed to every current topic (first connection, and again after each reconnect). */
  ready: [];
  /** Something failed; the adapter goes on trying. */
  error: [error: Error];
  /** The ready broker connection was lost; the adapter is retrying (`'ready'` follows when it is back). */
  reconnecting: [];
  /** `count` envelopes published on `topic` were discarded by the adapter (never sent, or lost in flight). */
  drop: [topic: string, count: number];
  /** `close()` was called. */
  close: [];
}

/** A transport that carries envelopes between the servers sharing a broker. See the module comment for the rules. */
export interface PubSubAdapter extends Pick<EventEmitter, 'on' | 'off' | 'once' | 'emit' | 'listenerCount'> {
  /** Receive envelopes published on `topic` from when the promise resolves (it never rejects). */
  subscribe(topic: string): Promise<void>;
  /** Stop receiving envelopes of `topic`. */
  unsubscribe(topic: string): void;
  /** Send `envelope` to every other subscriber of `topic`; never throws. */
  publish(topic: string, envelope: Buffer): void;
  /** Release everything the adapter holds. */
  close(): Promise<void>;
}

/** Whether `value` looks like a {@link PubSubAdapter} (checked when a server is given one). */
export function isPubSubAdapter(value: unknown): value is PubSubAdapter {
  if (typeof value !== 'object' || value === null) return false;
  const adapter = value as Record<string, unknown>;
  return ['subscribe', 'unsubscribe', 'publish', 'close', 'on', 'off'].every((name) => typeof adapter[name] === 'function');
}
