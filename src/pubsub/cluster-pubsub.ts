/**
 * `ClusterPubSub`: topics across the workers of one `node:cluster` primary, over IPC, with no broker (one machine,
 * all cores). Each worker's server hands its envelopes to the primary, which relays them to the other workers that
 * host the topic. Call `ClusterPubSub.setupPrimary()` in the primary before forking.
 */
import { EventEmitter } from 'node:events';
import type { PubSubAdapter } from './adapter';
import { clusterLink, type LinkMember } from './cluster-link';
import { resolveMaxPendingBytes } from './pending-queue';
import { DEFAULT_IPC_PENDING_BYTES, setupClusterPrimary, type ClusterPrimary, type ClusterPrimaryOptions } from './cluster-primary';

/** Options of `new ClusterPubSub()`. */
export interface ClusterPubSubOptions {
  /** Bytes of envelopes that may wait in the IPC channel to the primary before more are dropped (default 8 MiB). */
  maxPendingBytes?: number;
}

/** The `node:cluster` adapter (see the module comment); give one to each worker's `WebSocketServer`. */
export class ClusterPubSub extends EventEmitter implements PubSubAdapter, LinkMember {
  /** @internal */
  readonly maxPendingBytes: number;
  private readonly topics = new Set<string>();
  private closing: Promise<void> | null = null;

  /** Start relaying in the cluster primary; call it before `cluster.fork()`. Returns the relay (to `close()` it). */
  static setupPrimary(options?: ClusterPrimaryOptions): ClusterPrimary {
    return setupClusterPrimary(options);
  }

  constructor(options: ClusterPubSubOptions = {}) {
    super();
    this.maxPendingBytes = resolveMaxPendingBytes(options.maxPendingBytes, DEFAULT_IPC_PENDING_BYTES);
    clusterLink().add(this);
  }

  subscribe(topic: string): Promise<void> {
    if (this.closing !== null || this.topics.has(topic)) return Promise.resolve();
    this.topics.add(topic);
    return clusterLink().subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (this.closing !== null || !this.topics.delete(topic)) return;
    clusterLink().unsubscribe(topic);
  }

  publish(topic: string, envelope: Buffer): void {
    if (this.closing === null) clusterLink().publish(this, topic, envelope);
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = Promise.resolve();
    const link = clusterLink();
    for (const topic of this.topics) link.unsubscribe(topic);
    this.topics.clear();
    link.remove(this);
    this.emit('close');
    return this.closing;
  }

  /** @internal */
  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** @internal */
  deliver(topic: string, envelope: Buffer): void {
    this.emit('message', topic, envelope);
  }

  /** @internal */
  linkReady(): void {
    if (this.closing === null) this.emit('ready');
  }

  /** @internal */
  linkError(error: Error): void {
    if (this.closing === null && this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** @internal */
  linkDrop(topic: string): void {
    this.emit('drop', topic, 1);
  }
}
