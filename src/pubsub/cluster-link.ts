/**
 * The worker's one IPC link to the `ClusterPubSub` relay in the primary, shared by every `ClusterPubSub` of the
 * process: it joins a topic at the primary while any of them subscribes to it, hands envelopes between the
 * instances of this process directly, and bounds what waits in the IPC channel. Outside a cluster worker there is
 * no primary, and the instances of this one process still reach each other.
 */
import cluster from 'node:cluster';
import { IPC_TAG, isIpcMessage, type IpcMessage } from './cluster-protocol';
import { pubsubError } from './pubsub-errors';

/** How long a worker waits for the primary's welcome before reporting that `setupPrimary()` is missing. */
const WELCOME_TIMEOUT_MS = 2000;

/** What the link needs from one `ClusterPubSub`. */
export interface LinkMember {
  readonly maxPendingBytes: number;
  /** Whether this member subscribes to `topic`. */
  hasTopic(topic: string): boolean;
  deliver(topic: string, envelope: Buffer): void;
  linkReady(): void;
  linkError(error: Error): void;
  linkDrop(topic: string): void;
}

class ClusterLink {
  private readonly members = new Set<LinkMember>();
  private readonly topicCounts = new Map<string, number>();
  private readonly confirmations = new Map<string, Array<() => void>>();
  private readonly ipc = cluster.isWorker && typeof process.send === 'function';
  private welcomed = false;
  private welcomeTimer: NodeJS.Timeout | null = null;
  private pendingBytes = 0;
  private readonly onMessage = (message: unknown): void => {
    if (isIpcMessage(message)) this.handle(message);
  };

  add(member: LinkMember): void {
    this.members.add(member);
    if (this.members.size === 1 && this.ipc) {
      process.on('message', this.onMessage);
      this.send({ [IPC_TAG]: 'hello' });
      this.welcomeTimer = setTimeout(() => {
        this.welcomeTimer = null;
        this.fail('No answer from the cluster primary: call ClusterPubSub.setupPrimary() there before cluster.fork()');
      }, WELCOME_TIMEOUT_MS);
      this.welcomeTimer.unref();
    } else if (this.welcomed || !this.ipc) {
      process.nextTick(() => {
        if (this.members.has(member)) member.linkReady();
      });
    }
  }

  remove(member: LinkMember): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    if (this.welcomeTimer !== null) clearTimeout(this.welcomeTimer);
    this.welcomeTimer = null;
    if (this.ipc) process.off('message', this.onMessage);
    for (const waiters of this.confirmations.values()) for (const resolve of waiters) resolve();
    this.confirmations.clear();
    this.topicCounts.clear();
    this.welcomed = false;
    link = null;
  }

  /** One member joins `topic`; resolves once the primary relays it to this worker. */
  subscribe(topic: string): Promise<void> {
    const count = this.topicCounts.get(topic) ?? 0;
    this.topicCounts.set(topic, count + 1);
    const waiters = this.confirmations.get(topic);
    if (!this.ipc || (count > 0 && waiters === undefined)) return Promise.resolve();
    return new Promise((resolve) => {
      if (waiters !== undefined) waiters.push(resolve);
      else this.confirmations.set(topic, [resolve]);
      if (count === 0) this.send({ [IPC_TAG]: 'subscribe', topic });
    });
  }

  unsubscribe(topic: string): void {
    const count = (this.topicCounts.get(topic) ?? 0) - 1;
    if (count > 0) {
      this.topicCounts.set(topic, count);
      return;
    }
    this.topicCounts.delete(topic);
    if (this.ipc) this.send({ [IPC_TAG]: 'unsubscribe', topic });
  }

  publish(from: LinkMember, topic: string, envelope: Buffer): void {
    for (const member of this.members) if (member !== from && member.hasTopic(topic)) member.deliver(topic, envelope);
    if (!this.ipc) return;
    const bytes = envelope.length;
    if (this.pendingBytes + bytes > from.maxPendingBytes) {
      from.linkDrop(topic);
      return;
    }
    this.pendingBytes += bytes;
    const sent = this.send({ [IPC_TAG]: 'publish', topic, envelope }, (error) => {
      this.pendingBytes -= bytes;
      if (error !== null) from.linkDrop(topic);
    });
    if (!sent) from.linkError(pubsubError('WS_ERR_PUBSUB_BROKER', 'The IPC channel to the cluster primary is closed'));
  }

  private handle(message: IpcMessage): void {
    switch (message[IPC_TAG]) {
      case 'welcome':
        if (this.welcomeTimer !== null) clearTimeout(this.welcomeTimer);
        this.welcomeTimer = null;
        if (!Buffer.isBuffer(message.probe)) {
          this.fail('The worker was forked before ClusterPubSub.setupPrimary(): its IPC cannot carry binary envelopes');
          return;
        }
        this.welcomed = true;
        for (const member of this.members) member.linkReady();
        return;
      case 'subscribed': {
        const waiters = this.confirmations.get(message.topic);
        this.confirmations.delete(message.topic);
        if (waiters !== undefined) for (const resolve of waiters) resolve();
        return;
      }
      case 'publish': {
        const envelope = message.envelope;
        for (const member of this.members) if (member.hasTopic(message.topic)) member.deliver(message.topic, envelope);
        return;
      }
    }
  }

  private fail(text: string): void {
    const error = pubsubError('WS_ERR_PUBSUB_SETUP', text);
    for (const member of this.members) member.linkError(error);
  }

  /** Send over IPC; false when the channel is gone (the callback then runs with the error). */
  private send(message: IpcMessage, callback?: (error: Error | null) => void): boolean {
    if (!process.connected) {
      if (callback !== undefined) process.nextTick(callback, new Error('IPC channel closed'));
      return false;
    }
    (process.send as NonNullable<typeof process.send>)(message, undefined, undefined, callback ?? ignoreError);
    return true;
  }
}

function ignoreError(): void {
  // A lost control message means the primary is gone; the worker is about to be disconnected anyway.
}

let link: ClusterLink | null = null;

/** This process's link (created with its first member). */
export function clusterLink(): ClusterLink {
  link ??= new ClusterLink();
  return link;
}
