/**
 * The primary's half of `ClusterPubSub`: a relay with no broker. It remembers which worker joined which topic and
 * forwards each envelope to the other workers on that topic, in the order it came. Per worker, at most
 * `maxPendingBytes` of envelopes wait in the IPC channel; past it they are dropped (the receiver reports the gap).
 */
import cluster, { type Worker } from 'node:cluster';
import { IPC_TAG, isIpcMessage, type IpcMessage, type PublishMessage } from './cluster-protocol';
import { resolveMaxPendingBytes } from './pending-queue';

/**
 * What may wait in one IPC channel by default (each worker's to the primary, the primary's to each worker): 8 MiB.
 * More than RedisPubSub's 1 MiB: the channel is local and a busy primary reads in bursts, and it fans every
 * worker's bursts out to every other worker at once.
 */
export const DEFAULT_IPC_PENDING_BYTES = 8 * 1024 * 1024;

/** Options of `ClusterPubSub.setupPrimary()`. */
export interface ClusterPrimaryOptions {
  /** Bytes of envelopes that may wait for one worker before more are dropped (default 8 MiB). */
  maxPendingBytes?: number;
}

/** What `ClusterPubSub.setupPrimary()` returns. */
export interface ClusterPrimary {
  /** Envelopes dropped because a worker fell behind. */
  readonly dropped: number;
  /** Stop relaying and remove the primary's listeners. */
  close(): void;
}

const PROBE = Buffer.from([0x73, 0x77]);

class Relay implements ClusterPrimary {
  dropped = 0;
  private readonly topics = new Map<string, Set<Worker>>();
  private readonly workerTopics = new Map<Worker, Set<string>>();
  private readonly pendingBytes = new Map<Worker, number>();
  private readonly onMessage = (worker: Worker, message: unknown): void => {
    if (isIpcMessage(message)) this.handle(worker, message);
  };
  private readonly onExit = (worker: Worker): void => this.forget(worker);

  constructor(private readonly maxPendingBytes: number) {
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
  }

  private handle(worker: Worker, message: IpcMessage): void {
    switch (message[IPC_TAG]) {
      case 'hello':
        worker.send({ [IPC_TAG]: 'welcome', probe: PROBE });
        return;
      case 'subscribe': {
        const topic = message.topic;
        let workers = this.topics.get(topic);
        if (workers === undefined) this.topics.set(topic, (workers = new Set()));
        workers.add(worker);
        let mine = this.workerTopics.get(worker);
        if (mine === undefined) this.workerTopics.set(worker, (mine = new Set()));
        mine.add(topic);
        worker.send({ [IPC_TAG]: 'subscribed', topic });
        return;
      }
      case 'unsubscribe':
        this.leave(worker, message.topic);
        return;
      case 'publish':
        this.forward(worker, message);
        return;
    }
  }

  private forward(from: Worker, message: PublishMessage): void {
    const workers = this.topics.get(message.topic);
    if (workers === undefined) return;
    const bytes = message.envelope.length;
    for (const worker of workers) {
      if (worker === from || !worker.isConnected()) continue;
      const pending = this.pendingBytes.get(worker) ?? 0;
      if (pending + bytes > this.maxPendingBytes) {
        this.dropped++;
        continue;
      }
      this.pendingBytes.set(worker, pending + bytes);
      worker.send(message, undefined, undefined, () => {
        const left = this.pendingBytes.get(worker);
        if (left !== undefined) this.pendingBytes.set(worker, left - bytes);
      });
    }
  }

  private leave(worker: Worker, topic: string): void {
    const workers = this.topics.get(topic);
    if (workers !== undefined) {
      workers.delete(worker);
      if (workers.size === 0) this.topics.delete(topic);
    }
    this.workerTopics.get(worker)?.delete(topic);
  }

  private forget(worker: Worker): void {
    for (const topic of this.workerTopics.get(worker) ?? []) this.leave(worker, topic);
    this.workerTopics.delete(worker);
    this.pendingBytes.delete(worker);
  }

  close(): void {
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
    this.topics.clear();
    this.workerTopics.clear();
    this.pendingBytes.clear();
    relay = null;
  }
}

let relay: Relay | null = null;

/**
 * Start relaying in the primary (once; later calls return the same relay). Call it before `cluster.fork()`: it
 * switches the workers' IPC to advanced serialization so that envelopes cross as binary.
 */
export function setupClusterPrimary(options: ClusterPrimaryOptions = {}): ClusterPrimary {
  if (!cluster.isPrimary) throw new Error('ClusterPubSub.setupPrimary() must be called in the cluster primary');
  const maxPendingBytes = resolveMaxPendingBytes(options.maxPendingBytes, DEFAULT_IPC_PENDING_BYTES);
  if (relay !== null) return relay;
  cluster.setupPrimary({ serialization: 'advanced' });
  relay = new Relay(maxPendingBytes);
  return relay;
}
