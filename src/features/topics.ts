/**
 * Topics (sockwire): which server-side sockets subscribed to which topic, kept both ways (the server's index and
 * each socket's own set) so that publishing is one map lookup and a closing socket leaves no entry behind.
 */
import type { FeatureSocket } from './feature-socket';
import { SocketFeatures } from './socket-features';

/** The per-server topic index: topic → its subscribers. */
export type TopicIndex = Map<string, Set<FeatureSocket>>;

/**
 * Told when a topic gains its first local subscriber or loses its last one. Cross-process pub/sub (`src/pubsub`)
 * implements it to join a broker channel only while this server hosts the topic.
 */
export interface TopicWatcher {
  topicActive(topic: string): void;
  topicIdle(topic: string): void;
}

/** Subscribe `ws` to `topic`; true if it was not subscribed yet. */
export function subscribe(ws: FeatureSocket, index: TopicIndex, topic: string, watcher: TopicWatcher | null = null): boolean {
  if (typeof topic !== 'string') throw new TypeError('The topic must be a string');
  const features = (ws._features ??= new SocketFeatures());
  const topics = (features.topics ??= new Set());
  if (topics.has(topic)) return false;
  topics.add(topic);
  let subscribers = index.get(topic);
  if (subscribers === undefined) {
    subscribers = new Set();
    index.set(topic, subscribers);
  }
  subscribers.add(ws);
  if (watcher !== null && subscribers.size === 1) watcher.topicActive(topic);
  return true;
}

/** Unsubscribe `ws` from `topic`; true if it was subscribed. */
export function unsubscribe(ws: FeatureSocket, index: TopicIndex, topic: string, watcher: TopicWatcher | null = null): boolean {
  const topics = ws._features?.topics;
  if (topics === undefined || topics === null || !topics.delete(topic)) return false;
  const subscribers = index.get(topic);
  if (subscribers !== undefined) {
    subscribers.delete(ws);
    if (subscribers.size === 0) {
      index.delete(topic);
      if (watcher !== null) watcher.topicIdle(topic);
    }
  }
  return true;
}

/** Drop every subscription of a closed socket. */
export function unsubscribeAll(ws: FeatureSocket, index: TopicIndex, watcher: TopicWatcher | null = null): void {
  const topics = ws._features?.topics;
  if (topics === undefined || topics === null) return;
  for (const topic of [...topics]) unsubscribe(ws, index, topic, watcher);
}
