/**
 * One Redis connection that the adapter owns, kept up by the adapter rather than by the client library: each
 * attempt is a fresh client with the library's offline queue and reconnect loop off, so that nothing is queued or
 * resubscribed behind the adapter's back. On loss it retries with a capped backoff (timer cleared by `close()`),
 * and reports the first failure of each outage.
 */
import type { RedisClientLike } from './redis-client';
import { pubsubError } from './pubsub-errors';

/** Backoff of reconnect attempts: 50 ms, doubling, at most this (so a restarted broker is seen within a second). */
const MAX_RETRY_DELAY_MS = 1000;
const FIRST_RETRY_DELAY_MS = 50;

/** What the connection reports to its owner. */
export interface ConnectionEvents {
  /** `client` is connected and ready. */
  up(client: RedisClientLike): void;
  /** The ready client was lost (a new attempt is already scheduled). */
  down(): void;
  error(error: Error): void;
}

function ignore(): void {
  // An owned client that was discarded may still emit errors while its socket winds down.
}

/** Destroy a client whatever state it is in (an already closed one may throw in some versions). */
export function discard(client: RedisClientLike): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

/** A self-reconnecting owned connection. */
export class RedisConnection {
  /** The ready client, or null while (re)connecting. */
  client: RedisClientLike | null = null;
  private attempt: RedisClientLike | null = null;
  private retries = 0;
  private timer: NodeJS.Timeout | null = null;
  private reported = false;
  private closed = false;

  constructor(
    private readonly role: string,
    private readonly create: () => RedisClientLike,
    private readonly events: ConnectionEvents
  ) {}

  start(): void {
    if (this.closed) return;
    this.timer = null;
    let client: RedisClientLike;
    try {
      client = this.create();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.attempt = client;
    client.on('error', ignore);
    const onError = (error: Error): void => {
      // The library has given up on this socket (no reconnect of its own): replace the client.
      if (!client.isOpen) this.lost(client, error);
    };
    client.on('error', onError);
    client.connect().then(
      () => {
        if (this.closed || this.attempt !== client) {
          discard(client);
          return;
        }
        this.attempt = null;
        this.client = client;
        this.retries = 0;
        this.reported = false;
        this.events.up(client);
      },
      (error: unknown) => this.lost(client, error)
    );
  }

  private lost(client: RedisClientLike, error: unknown): void {
    const wasUp = this.client === client;
    if (!wasUp && this.attempt !== client) return;
    if (wasUp) this.client = null;
    else this.attempt = null;
    discard(client);
    if (this.closed) return;
    this.fail(error);
    if (wasUp) this.events.down();
  }

  private fail(error: unknown): void {
    if (!this.reported) {
      this.reported = true;
      const cause = error instanceof Error ? error : new Error(String(error));
      this.events.error(pubsubError('WS_ERR_PUBSUB_BROKER', `Redis ${this.role} connection: ${cause.message}`, cause));
    }
    const delay = Math.min(FIRST_RETRY_DELAY_MS * 2 ** this.retries++, MAX_RETRY_DELAY_MS);
    this.timer = setTimeout(() => this.start(), delay);
  }

  /** Drop the connection and stop retrying. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const client of [this.client, this.attempt]) if (client !== null) discard(client);
    this.client = null;
    this.attempt = null;
  }
}
