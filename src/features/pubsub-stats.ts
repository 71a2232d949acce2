/**
 * What a pub/sub adapter reports for `wss.stats().pubsub` and the `sockwire:pubsub:*` channels: one call per event,
 * each a couple of increments, publishing only when the channel has subscribers.
 */
import { pubsubGapChannel, pubsubStateChannel } from './diagnostics';
import type { ServerHub } from './server-hub';

/** A hole in one origin's per-topic sequence: envelopes `expected` … `received - 1` never arrived. */
export interface PubSubGap {
  topic: string;
  /** The publishing server's id. */
  origin: string;
  /** The sequence number that was due. */
  expected: number;
  /** The sequence number that arrived instead. */
  received: number;
}

/** The broker connection's state as an adapter reports it. */
export type PubSubState = 'connecting' | 'ready' | 'reconnecting' | 'error' | 'closed';

/** `sockwire:pubsub:gap`: the gap, and the server that saw it. */
export interface PubSubGapMessage<Server = unknown> extends PubSubGap {
  server: Server;
}

/** `sockwire:pubsub:state`: the broker connection changed state (`error` set with `'error'`). */
export interface PubSubStateMessage<Server = unknown> {
  server: Server;
  state: PubSubState;
  error: Error | undefined;
}

/** An envelope was sent to the broker. */
export function notePubSubPublished(hub: ServerHub): void {
  hub.counters.pubsubPublished++;
}

/** An envelope from another server was delivered to this server's subscribers. */
export function notePubSubDelivered(hub: ServerHub): void {
  hub.counters.pubsubDelivered++;
}

/** A sequence gap was detected. */
export function notePubSubGap(hub: ServerHub, gap: PubSubGap): void {
  hub.counters.pubsubGaps++;
  if (pubsubGapChannel.hasSubscribers) {
    const message: PubSubGapMessage = { server: hub.server, topic: gap.topic, origin: gap.origin, expected: gap.expected, received: gap.received };
    pubsubGapChannel.publish(message);
  }
}

/** The broker connection changed state. */
export function notePubSubState(hub: ServerHub, state: PubSubState, error?: Error): void {
  hub.counters.pubsubState = state;
  if (pubsubStateChannel.hasSubscribers) {
    const message: PubSubStateMessage = { server: hub.server, state, error };
    pubsubStateChannel.publish(message);
  }
}
