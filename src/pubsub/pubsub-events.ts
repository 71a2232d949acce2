/**
 * The one place where cross-process pub/sub counts what happens and tells the server: every `'pubsubError'`,
 * `'pubsubGap'` and `'pubsubReady'` goes through {@link PubSubReporter}, next to the counter it bumps, and so does
 * what `wss.stats().pubsub` and the `sockwire:pubsub:*` diagnostics channels show (`features/pubsub-stats`).
 * Emitting on the server never throws (these are not `'error'` events), so a broker failure can never crash the app.
 */
import type { EventEmitter } from 'node:events';
import type { ServerHub } from '../features/server-hub';
import { notePubSubDelivered, notePubSubGap, notePubSubPublished, notePubSubState } from '../features/pubsub-stats';

/** Server event: the broker failed (unreachable, authentication refused, connection lost); never thrown. */
export const PUBSUB_ERROR_EVENT = 'pubsubError';
/** Server event: messages from another server never arrived. */
export const PUBSUB_GAP_EVENT = 'pubsubGap';
/** Server event: connected to the broker and subscribed to every current topic (again, after a reconnect). */
export const PUBSUB_READY_EVENT = 'pubsubReady';

/** `'pubsubGap'`'s argument. */
export interface PubSubGap {
  /** The topic the messages were published on. */
  topic: string;
  /** The id of the server that published them (`wss.nodeId` there). */
  node: string;
  /** How many consecutive messages are missing. */
  missed: number;
}

/** Running totals of one server's pub/sub traffic. */
export interface PubSubCounters {
  /** Messages this server sent to the broker. */
  published: number;
  /** Messages from other servers delivered to this server's subscribers. */
  delivered: number;
  /** Messages from other servers that never arrived (sum of `'pubsubGap'` counts). */
  missed: number;
  /** Messages received twice and dropped. */
  duplicates: number;
  /** Messages the adapter discarded on their way out (pending limit, lost in flight). */
  dropped: number;
  /** `'pubsubError'` events. */
  errors: number;
}

/** Counts and emits the pub/sub events of one server. */
export class PubSubReporter {
  readonly counters: PubSubCounters = { published: 0, delivered: 0, missed: 0, duplicates: 0, dropped: 0, errors: 0 };

  constructor(
    private readonly server: EventEmitter,
    private readonly hub: ServerHub
  ) {
    notePubSubState(hub, 'connecting');
  }

  /** The adapter reported an error: the broker connection's state is `'error'` until the next change. */
  error(error: Error): void {
    notePubSubState(this.hub, 'error', error);
    this.emitError(error);
  }

  /** Something on a channel was not an envelope: reported and counted; the broker connection's state stays. */
  badEnvelope(error: Error): void {
    this.emitError(error);
  }

  private emitError(error: Error): void {
    this.counters.errors++;
    this.server.emit(PUBSUB_ERROR_EVENT, error);
  }

  /** The adapter lost its ready broker connection and is retrying. */
  reconnecting(): void {
    notePubSubState(this.hub, 'reconnecting');
  }

  /** `sequence` is the number that arrived, `gap.missed` more were due before it. */
  gap(gap: PubSubGap, sequence: number): void {
    this.counters.missed += gap.missed;
    notePubSubGap(this.hub, { topic: gap.topic, origin: gap.node, expected: sequence - gap.missed, received: sequence });
    this.server.emit(PUBSUB_GAP_EVENT, gap);
  }

  ready(): void {
    notePubSubState(this.hub, 'ready');
    this.server.emit(PUBSUB_READY_EVENT);
  }

  closed(): void {
    notePubSubState(this.hub, 'closed');
  }

  published(): void {
    this.counters.published++;
    notePubSubPublished(this.hub);
  }

  delivered(): void {
    this.counters.delivered++;
    notePubSubDelivered(this.hub);
  }

  duplicate(): void {
    this.counters.duplicates++;
  }

  dropped(count: number): void {
    this.counters.dropped += count;
  }
}
