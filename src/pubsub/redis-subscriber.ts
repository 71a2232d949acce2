/**
 * The subscribing side of `RedisPubSub`. On a single Redis it is an owned connection (a fresh client per
 * connection, see `redis-connection.ts`): after every (re)connect it subscribes to all current topics in one
 * command and only then reports ready, so subscriptions never depend on the library's automatic resubscription.
 * On a cluster client, which keeps one connection per shard itself, each topic is (s)subscribed on it.
 */
import { call, type RedisBufferListener, type RedisClientLike } from './redis-client';
import { RedisConnection } from './redis-connection';
import { pubsubError } from './pubsub-errors';

/** What the subscriber needs from its adapter. */
export interface SubscriberOptions {
  prefix: string;
  sharded: boolean;
  /** Makes a fresh owned client (single Redis); null with a cluster client. */
  make: (() => RedisClientLike) | null;
  cluster: RedisClientLike | null;
  message(topic: string, envelope: Buffer): void;
  ready(): void;
  /** The owned connection that was ready is lost (a new attempt is already scheduled). */
  down(): void;
  error(error: Error): void;
}

/** Subscriptions of one adapter. */
export class RedisSubscriber {
  private readonly topics = new Set<string>();
  /** Callers of `subscribe()` waiting for the next (re)subscription of everything. */
  private waiting: Array<() => void> = [];
  private readonly connection: RedisConnection | null;
  /** The client subscriptions go to right now (null while reconnecting). */
  private live: RedisClientLike | null = null;
  private closed = false;
  private readonly listener: RedisBufferListener = (message, channel) => {
    // Buffer mode: anything else would have been decoded as text already, which an envelope must never be.
    if (Buffer.isBuffer(message)) this.options.message(channel.toString().slice(this.options.prefix.length), message);
  };

  constructor(private readonly options: SubscriberOptions) {
    this.connection =
      options.make === null
        ? null
        : new RedisConnection('subscriber', options.make, {
            up: (client) => this.resubscribe(client),
            down: () => {
              this.live = null;
              options.down();
            },
            error: options.error
          });
  }

  start(): void {
    if (this.connection !== null) this.connection.start();
    else process.nextTick(() => this.resubscribe(this.options.cluster as RedisClientLike));
  }

  private channel(topic: string): string {
    return this.options.prefix + topic;
  }

  /** Subscribe `client` to every current topic, then report ready and release the waiting callers. */
  private resubscribe(client: RedisClientLike): void {
    if (this.closed) return;
    this.live = client;
    const channels = [...this.topics].map((topic) => this.channel(topic));
    const waiting = this.waiting;
    this.waiting = [];
    const done = (): void => {
      for (const resolve of waiting) resolve();
      if (!this.closed && this.live === client) this.options.ready();
    };
    if (channels.length === 0) {
      done();
      return;
    }
    Promise.all(this.isCluster ? channels.map((channel) => this.command(client, 'subscribe', channel)) : [this.command(client, 'subscribe', channels)]).then(done);
  }

  private get isCluster(): boolean {
    return this.connection === null;
  }

  /** Run one (un)subscribe command; a failure is reported (the connection's loss handling resubscribes). */
  private command(client: RedisClientLike, kind: 'subscribe' | 'unsubscribe', channels: string | string[]): Promise<void> {
    const sharded = this.options.sharded;
    const run = call(() =>
      kind === 'subscribe'
        ? sharded
          ? client.sSubscribe(channels, this.listener, true)
          : client.subscribe(channels, this.listener, true)
        : sharded
          ? client.sUnsubscribe(channels, this.listener, true)
          : client.unsubscribe(channels, this.listener, true)
    );
    return run.then(
      () => undefined,
      (error: unknown) => {
        if (this.closed) return;
        const cause = error instanceof Error ? error : new Error(String(error));
        this.options.error(pubsubError('WS_ERR_PUBSUB_BROKER', `Redis ${kind} failed: ${cause.message}`, cause));
      }
    );
  }

  subscribe(topic: string): Promise<void> {
    if (this.closed || this.topics.has(topic)) return Promise.resolve();
    this.topics.add(topic);
    if (this.live !== null) return this.command(this.live, 'subscribe', this.channel(topic));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  unsubscribe(topic: string): void {
    if (this.closed || !this.topics.delete(topic) || this.live === null) return;
    void this.command(this.live, 'unsubscribe', this.channel(topic));
  }

  /** Drop the owned connection (or, on a cluster client, our subscriptions) and release the waiting callers. */
  close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.waiting) resolve();
    this.waiting = [];
    const live = this.live;
    this.live = null;
    if (this.connection !== null) {
      this.connection.close();
      return Promise.resolve();
    }
    const channels = [...this.topics].map((topic) => this.channel(topic));
    this.topics.clear();
    if (live === null || channels.length === 0) return Promise.resolve();
    return Promise.all(channels.map((channel) => this.command(live, 'unsubscribe', channel))).then(() => undefined);
  }
}
