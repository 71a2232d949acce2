/**
 * The `sockwire/redis` entry: `RedisPubSub`, the Redis adapter for cross-process topics. Only this entry loads the
 * Redis client library (node-redis, `redis` ≥ 5, an optional peer dependency); `require('sockwire')` never does.
 */
export { RedisPubSub } from './pubsub/redis-pubsub';
export type { RedisPubSubOptions } from './pubsub/redis-pubsub';
export type { RedisClientLike, RedisBufferListener } from './pubsub/redis-client';
export type { PubSubAdapter, PubSubAdapterEvents } from './pubsub/adapter';
