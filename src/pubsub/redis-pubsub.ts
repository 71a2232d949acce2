/**
 * `RedisPubSub`: topics across processes and machines over Redis pub/sub (`PUBLISH`/`SUBSCRIBE`, or
 * `SPUBLISH`/`SSUBSCRIBE` on Redis Cluster), with node-redis (`redis` ≥ 5, an optional peer dependency loaded
 * only by `sockwire/redis`). Each topic is the channel `channelPrefix + topic`; envelopes cross as binary.
 *
 * The adapter owns its connections' lifecycle: a publisher and a subscriber connection (made from `url`, or the
 * publisher is the app's `client` and the subscriber its duplicate), no library offline queue, its own reconnect
 * and resubscription, and at most `maxPendingBytes` of envelopes waiting or in flight.
 */
import { EventEmitter } from 'node:events';
import type { PubSubAdapter } from './adapter';
import { PendingQueue, resolveMaxPendingBytes } from './pending-queue';
import { pubsubError } from './pubsub-errors';
import { call, isClusterClient, loadCreateClient, ownedClientOptions, socketOptionsOf, type RedisClientLike } from './redis-client';
import { RedisConnection } from './redis-connection';
import { RedisSubscriber } from './redis-subscriber';

/** Options of `new RedisPubSub()`: exactly one of `url` and `client`. */
export interface RedisPubSubOptions {
  /** `redis://[[user]:password@]host[:port][/db]` (or `rediss://`): the adapter makes and owns its connections. */
  url?: string;
  /**
   * A node-redis client or cluster client the app made (and connects, and closes): the adapter publishes through
   * it and subscribes on a duplicate of it that it owns (a cluster client routes its own shard connections).
   */
  client?: RedisClientLike;
  /** `SSUBSCRIBE`/`SPUBLISH` (Redis 7 sharded pub/sub); `'auto'` (default): on when `client` is a cluster client. */
  sharded?: boolean | 'auto';
  /** Prefix of every channel name (default `'sockwire:'`). */
  channelPrefix?: string;
  /**
   * Bytes of envelopes that may wait while the broker is down (1 MiB); past it they are dropped and counted. While
   * it is up, 8 times this may be in flight (sent, not yet acknowledged).
   */
  maxPendingBytes?: number;
}

const DEFAULT_CHANNEL_PREFIX = 'sockwire:';

/** The Redis adapter (see the module comment); give one to each server. */
export class RedisPubSub extends EventEmitter implements PubSubAdapter {
  /** Whether channels are sharded (`SSUBSCRIBE`/`SPUBLISH`). */
  readonly sharded: boolean;
  /** Prefix of every channel name. */
  readonly channelPrefix: string;
  private readonly pending: PendingQueue;
  private readonly external: RedisClientLike | null;
  private readonly owned: RedisConnection | null;
  private readonly subscriber: RedisSubscriber;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** The subscriber is connected and subscribed to every current topic. */
  private subscribed = false;
  /** An owned connection was lost since the last `'ready'`: `'reconnecting'` was emitted, further errors wait. */
  private outage = false;
  private externalReported = false;
  private readonly onExternalReady = (): void => {
    this.externalReported = false;
    this.flush();
  };
  private readonly onExternalError = (error: Error): void => {
    if (this.externalReported) return;
    this.externalReported = true;
    this.report(pubsubError('WS_ERR_PUBSUB_BROKER', `Redis publisher connection: ${error.message}`, error));
  };

  constructor(options: RedisPubSubOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError('RedisPubSub needs an options object');
    const { url, client } = options;
    if ((url === undefined) === (client === undefined)) throw new TypeError('RedisPubSub needs exactly one of the "url" and "client" options');
    if (url !== undefined && typeof url !== 'string') throw new TypeError('The "url" option must be a string');
    if (client !== undefined && (typeof client !== 'object' || client === null || typeof client.publish !== 'function')) {
      throw new TypeError('The "client" option must be a node-redis client or cluster client');
    }
    const sharded = options.sharded ?? 'auto';
    if (sharded !== 'auto' && typeof sharded !== 'boolean') throw new TypeError('The "sharded" option must be true, false or "auto"');
    const prefix = options.channelPrefix ?? DEFAULT_CHANNEL_PREFIX;
    if (typeof prefix !== 'string') throw new TypeError('The "channelPrefix" option must be a string');
    this.channelPrefix = prefix;
    this.pending = new PendingQueue(resolveMaxPendingBytes(options.maxPendingBytes));
    const cluster = client !== undefined && isClusterClient(client);
    this.sharded = sharded === 'auto' ? cluster : sharded;

    let makeSubscriber: (() => RedisClientLike) | null;
    if (url !== undefined) {
      const createClient = loadCreateClient();
      const make = (): RedisClientLike => createClient({ url, ...ownedClientOptions({}) });
      makeSubscriber = make;
      this.external = null;
      this.owned = new RedisConnection('publisher', make, {
        up: () => {
          this.flush();
          this.connectionUp();
        },
        down: () => this.connectionLost(),
        error: (error) => this.report(error)
      });
    } else {
      const app = client as RedisClientLike;
      this.external = app;
      this.owned = null;
      app.on('ready', this.onExternalReady);
      app.on('error', this.onExternalError);
      makeSubscriber = cluster ? null : () => app.duplicate(ownedClientOptions(socketOptionsOf(app)));
    }
    this.subscriber = new RedisSubscriber({
      prefix,
      sharded: this.sharded,
      make: makeSubscriber,
      cluster: cluster ? (client as RedisClientLike) : null,
      message: (topic, envelope) => this.emit('message', topic, envelope),
      ready: () => {
        this.subscribed = true;
        this.connectionUp();
      },
      down: () => {
        this.subscribed = false;
        this.connectionLost();
      },
      error: (error) => this.report(error)
    });
    this.owned?.start();
    this.subscriber.start();
  }

  subscribe(topic: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.subscriber.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (!this.closed) this.subscriber.unsubscribe(topic);
  }

  publish(topic: string, envelope: Buffer): void {
    if (this.closed) return;
    const pending = this.pending;
    const client = this.readyPublisher();
    if (client !== null && pending.length === 0) {
      if (pending.fitsInFlight(envelope.length)) this.send(client, topic, envelope);
      else this.emit('drop', topic, 1);
    } else if (pending.fitsWaiting(envelope.length)) pending.push({ topic, envelope });
    else this.emit('drop', topic, 1);
  }

  private readyPublisher(): RedisClientLike | null {
    if (this.owned !== null) return this.owned.client;
    const client = this.external as RedisClientLike;
    return client.isReady ? client : null;
  }

  private send(client: RedisClientLike, topic: string, envelope: Buffer): void {
    const bytes = envelope.length;
    const pending = this.pending;
    pending.inFlightBytes += bytes;
    const channel = this.channelPrefix + topic;
    const sent = call(() => (this.sharded ? client.sPublish(channel, envelope) : client.publish(channel, envelope)));
    sent.then(
      () => {
        pending.inFlightBytes -= bytes;
      },
      () => {
        // Lost with the connection (the connection's own error says why); the receivers will report the gap.
        pending.inFlightBytes -= bytes;
        if (!this.closed) this.emit('drop', topic, 1);
      }
    );
  }

  /** The publisher is (again) ready: send what waited, in order. */
  private flush(): void {
    const client = this.readyPublisher();
    if (client === null || this.closed) return;
    for (const item of this.pending.takeAll()) this.send(client, item.topic, item.envelope);
  }

  /**
   * A connection is (again) up: `'ready'` once the subscriber is subscribed and the owned publisher (if any) is
   * connected; an app's `client` reconnects on its own schedule, and the pending queue waits for it.
   */
  private connectionUp(): void {
    if (this.closed || !this.subscribed || this.owned?.client === null) return;
    this.outage = false;
    this.emit('ready');
  }

  /** An owned connection that was ready is lost (its error is reported already): one `'reconnecting'` per outage. */
  private connectionLost(): void {
    if (this.closed || this.outage) return;
    this.outage = true;
    this.emit('reconnecting');
  }

  /** Errors during an outage are its other connection's loss or failed retries: the first report stands for them. */
  private report(error: Error): void {
    if (!this.closed && !this.outage && this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Close the adapter's own connections (never the app's `client`), stop retrying, detach every listener. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    const dropped = this.pending.takeAll();
    if (dropped.length > 0) this.emit('drop', dropped[0].topic, dropped.length);
    this.closed = true;
    this.owned?.close();
    if (this.external !== null) {
      this.external.off('ready', this.onExternalReady);
      this.external.off('error', this.onExternalError);
    }
    this.closing = this.subscriber.close();
    this.emit('close');
    return this.closing;
  }
}
