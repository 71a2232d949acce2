/**
 * One server's side of cross-process pub/sub: joins a topic's broker channel while the server has local
 * subscribers (0→1 at once, 1→0 after a short linger), wraps each `wss.publish()` in an envelope for the others,
 * and delivers envelopes from other servers to the local subscribers through the same one-frame-for-all path as a
 * local publish (permessage-deflate included). Loss is never silent: gaps are reported, duplicates dropped.
 */
import type { EventEmitter } from 'node:events';
import { isUtf8 } from 'node:buffer';
import { deliver, prepareMessage, type PreparedMessage } from '../features/broadcast';
import type { ServerHub } from '../features/server-hub';
import type { TopicWatcher } from '../features/topics';
import { WriteCoalescer } from '../features/write-coalescer';
import type { PubSubAdapter } from './adapter';
import { createNodeId, decodeEnvelope, encodeEnvelope, formatNodeId } from './envelope';
import { pubsubError } from './pubsub-errors';
import { PubSubReporter } from './pubsub-events';
import { DUPLICATE, SequenceTracker } from './sequence-tracker';

/**
 * Ms a topic stays joined after its last local subscriber left: a page reload or a reconnecting client comes back
 * within this, and the channel is not left and joined again for it.
 */
export const UNSUBSCRIBE_LINGER_MS = 1000;

const EMPTY_OPTIONS = {};

/** Connects one server's topics to a {@link PubSubAdapter}. */
export class TopicBridge implements TopicWatcher {
  /** This server's id in the envelopes it sends. */
  readonly nodeId = createNodeId();
  readonly reporter: PubSubReporter;
  private readonly sequences = new Map<string, number>();
  private readonly received = new SequenceTracker();
  /** One broker read carries many messages: each subscriber socket gets one write for all of them. */
  private readonly coalescer = new WriteCoalescer();
  /** Topics joined on the adapter (including lingering ones). */
  private readonly joined = new Set<string>();
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  private closing: Promise<void> | null = null;
  private readonly onMessage = (topic: string, envelope: Buffer): void => this.receive(topic, envelope);
  private readonly onReady = (): void => this.reporter.ready();
  private readonly onError = (error: Error): void => this.reporter.error(error);
  private readonly onReconnecting = (): void => this.reporter.reconnecting();
  private readonly onDrop = (_topic: string, count: number): void => this.reporter.dropped(count);
  private readonly onClose = (): void => {
    void this.close();
  };

  constructor(
    private readonly adapter: PubSubAdapter,
    private readonly hub: ServerHub,
    server: EventEmitter
  ) {
    this.reporter = new PubSubReporter(server, hub);
    adapter.on('message', this.onMessage);
    adapter.on('ready', this.onReady);
    adapter.on('error', this.onError);
    adapter.on('reconnecting', this.onReconnecting);
    adapter.on('drop', this.onDrop);
    adapter.on('close', this.onClose);
  }

  /** The id as `'pubsubGap'` and `wss.nodeId` show it. */
  get node(): string {
    return formatNodeId(this.nodeId);
  }

  /** @internal TopicWatcher: the first local subscriber of `topic` arrived. */
  topicActive(topic: string): void {
    const timer = this.lingering.get(topic);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.lingering.delete(topic);
      return;
    }
    if (this.closing !== null || this.joined.has(topic)) return;
    this.joined.add(topic);
    void this.adapter.subscribe(topic);
  }

  /** @internal TopicWatcher: the last local subscriber of `topic` left. */
  topicIdle(topic: string): void {
    if (this.closing !== null || !this.joined.has(topic) || this.lingering.has(topic)) return;
    const timer = setTimeout(() => this.leave(topic), UNSUBSCRIBE_LINGER_MS);
    this.lingering.set(topic, timer);
  }

  private leave(topic: string): void {
    this.lingering.delete(topic);
    this.joined.delete(topic);
    this.received.forget(topic);
    this.adapter.unsubscribe(topic);
  }

  /** Send a message published here to the other servers (local delivery has already happened). */
  publish(topic: string, message: PreparedMessage): void {
    if (this.closing !== null) return;
    const sequence = (this.sequences.get(topic) ?? 0) + 1;
    this.sequences.set(topic, sequence);
    this.reporter.published();
    this.adapter.publish(topic, encodeEnvelope(this.nodeId, sequence, message.binary, message.compress, message.bytes));
  }

  private receive(topic: string, raw: Buffer): void {
    if (!this.joined.has(topic)) return;
    const envelope = decodeEnvelope(raw);
    if (envelope === null || (!envelope.binary && !isUtf8(envelope.payload))) {
      this.reporter.badEnvelope(pubsubError('WS_ERR_PUBSUB_ENVELOPE', `Not a sockwire envelope on topic ${JSON.stringify(topic)}`));
      return;
    }
    if (envelope.origin === this.nodeId) return; // our own message back from the broker: delivered locally already
    const missed = this.received.accept(topic, envelope.origin, envelope.sequence);
    if (missed === DUPLICATE) {
      this.reporter.duplicate();
      return;
    }
    if (missed > 0) this.reporter.gap({ topic, node: formatNodeId(envelope.origin), missed }, envelope.sequence);
    const subscribers = this.hub.topics.get(topic);
    if (subscribers === undefined) return; // lingering: nobody to deliver to
    const message = prepareMessage(envelope.payload, envelope, this.hub.zlibOptions);
    deliver(subscribers, message, EMPTY_OPTIONS, this.coalescer);
    this.reporter.delivered();
  }

  /** Stop: clear the linger timers, detach from the adapter and close it. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    this.joined.clear();
    this.received.clear();
    const adapter = this.adapter;
    adapter.off('message', this.onMessage);
    adapter.off('ready', this.onReady);
    adapter.off('reconnecting', this.onReconnecting);
    adapter.off('drop', this.onDrop);
    adapter.off('close', this.onClose);
    // Errors raised while the adapter closes still reach the server; then nothing is left attached.
    this.closing = adapter.close().then(
      () => {
        adapter.off('error', this.onError);
        this.reporter.closed();
      },
      (error: unknown) => {
        adapter.off('error', this.onError);
        this.reporter.error(error instanceof Error ? error : new Error(String(error)));
      }
    );
    return this.closing;
  }
}
