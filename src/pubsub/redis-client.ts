/**
 * What `RedisPubSub` uses of a node-redis (`redis` ≥ 5) client or cluster client, as a structural type, so that
 * the core package's types never name the optional peer dependency. Loading the library happens here too, and only
 * when `RedisPubSub` is given a `url` (with a `client`, the app has loaded it already).
 */

/**
 * The adapter's pub/sub listener. It subscribes in buffer mode, so Buffers arrive; the type also admits strings so
 * that it fits node-redis' own listener types in every method that takes one.
 */
export type RedisBufferListener = (message: Buffer | string, channel: Buffer | string) => unknown;

/** The subset of node-redis' `RedisClientType` / `RedisClusterType` that the adapter calls. */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
  publish(channel: string, message: Buffer): Promise<unknown>;
  sPublish(channel: string, message: Buffer): Promise<unknown>;
  subscribe(channels: string | string[], listener: RedisBufferListener, bufferMode: true): Promise<unknown>;
  unsubscribe(channels: string | string[], listener: RedisBufferListener, bufferMode: true): Promise<unknown>;
  sSubscribe(channels: string | string[], listener: RedisBufferListener, bufferMode: true): Promise<unknown>;
  sUnsubscribe(channels: string | string[], listener: RedisBufferListener, bufferMode: true): Promise<unknown>;
  duplicate(overrides?: Record<string, unknown>): RedisClientLike;
}

/** A node-redis cluster client (`createCluster()`): it routes sharded channels to their shard by itself. */
export function isClusterClient(client: RedisClientLike): boolean {
  const candidate = client as unknown as { masters?: unknown; nodeClient?: unknown };
  return typeof candidate.nodeClient === 'function' && Array.isArray(candidate.masters);
}

/** Socket options of a client, to copy into the clients the adapter makes from it. */
export function socketOptionsOf(client: RedisClientLike): Record<string, unknown> {
  const options = (client as unknown as { options?: { socket?: Record<string, unknown> } }).options;
  return options?.socket ?? {};
}

/** Options for the clients the adapter owns: no offline queue and no reconnect loop of the library's own. */
export function ownedClientOptions(socket: Record<string, unknown>): Record<string, unknown> {
  return { disableOfflineQueue: true, socket: { ...socket, reconnectStrategy: false } };
}

type CreateClient = (options: Record<string, unknown>) => RedisClientLike;

/** `redis.createClient`, loaded on first use. */
export function loadCreateClient(): CreateClient {
  try {
    // Loaded lazily and only here: `require('sockwire')` must never load the optional peer dependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('redis') as { createClient: CreateClient }).createClient;
  } catch (error) {
    throw new Error("RedisPubSub needs the 'redis' package (node-redis 5 or later): npm install redis", { cause: error });
  }
}

/** Run a client call that may throw synchronously (a closed client, say) as a promise that rejects instead. */
export function call(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}
