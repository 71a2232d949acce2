/**
 * The state one `WebSocketServer` shares with its sockets for the sockwire features: topic index, heartbeat wheel,
 * feature settings, connection count, and where socket errors nobody listens to are reported. One per server;
 * every server-side socket holds a pointer to it (the facade sets `ws._hub`), nothing more unless a feature needs it.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { ZlibOptions } from 'node:zlib';
import type { TimerWheel } from '../io/timer-wheel';
import { unsubscribeAll, type TopicIndex, type TopicWatcher } from './topics';
import { createHeartbeatWheel } from './heartbeat';
import type { ServerFeatureOptions, SocketFeatureOptions } from './feature-options';
import { SocketFeatures, resolveFeatureOptions, type ResolvedFeatureOptions } from './socket-features';
import type { FeatureSocket } from './feature-socket';
import { ServerCounters, type ServerStats } from './counters';

/** Name of the server event that receives socket errors when the socket itself has no `'error'` listener. */
export const CONNECTION_ERROR_EVENT = 'connectionError';

/** Per-server shared feature state. */
export class ServerHub {
  readonly topics: TopicIndex = new Map();
  /** Cross-process pub/sub, when the server has a `pubsub` adapter: follows which topics have local subscribers. */
  topicWatcher: TopicWatcher | null = null;
  readonly features: ResolvedFeatureOptions | null;
  readonly wheel: TimerWheel | null;
  readonly authenticate: ServerFeatureOptions['authenticate'];
  readonly allowedOrigins: ReadonlySet<string> | null;
  readonly maxConnections: number;
  readonly zlibOptions: ZlibOptions;
  /** Open connections accepted by this server. */
  connections = 0;
  /** Handshakes waiting for `authenticate` (they count against `maxConnections`). */
  authenticating = 0;
  /** Sockets being shut down: resolved from `detach`. */
  shutdownWatch: ((ws: FeatureSocket) => void) | null = null;
  /** `wss.stats()` counters; every accepted connection counts its traffic into them. */
  readonly counters = new ServerCounters();

  constructor(
    /** The server these features belong to (named in diagnostics payloads and error events). */
    readonly server: EventEmitter,
    options: SocketFeatureOptions & ServerFeatureOptions & { perMessageDeflate?: unknown }
  ) {
    this.features = resolveFeatureOptions(options);
    this.wheel = this.features?.heartbeat ? createHeartbeatWheel(this.features.heartbeat) : null;
    if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
      throw new TypeError('The "authenticate" option must be a function');
    }
    this.authenticate = options.authenticate;
    const origins = options.allowedOrigins;
    if (origins !== undefined && !Array.isArray(origins)) throw new TypeError('The "allowedOrigins" option must be an array of strings');
    this.allowedOrigins = origins === undefined ? null : new Set(origins);
    const max = options.maxConnections;
    if (max !== undefined && (typeof max !== 'number' || !(max >= 0))) {
      throw new TypeError('The "maxConnections" option must be a non-negative number');
    }
    this.maxConnections = max ?? Infinity;
    const deflate = options.perMessageDeflate;
    const zlib = typeof deflate === 'object' && deflate !== null ? (deflate as { zlibDeflateOptions?: ZlibOptions }).zlibDeflateOptions : undefined;
    this.zlibOptions = zlib ?? {};
  }

  /** A socket was accepted (its socket is already set). */
  attach(ws: FeatureSocket, data: unknown, hasData: boolean): void {
    this.connections++;
    const counters = this.counters;
    counters.accepted++;
    const connection = ws._connection;
    if (connection !== null) connection.sender.traffic = counters;
    if (this.features !== null || hasData) {
      const features = new SocketFeatures();
      if (this.features !== null) features.configure(this.features, this.wheel, counters);
      features.data = data;
      ws._features = features;
      features.open(ws);
    }
  }

  /** A socket closed: release its count, topics and heartbeat slot. */
  detach(ws: FeatureSocket): void {
    this.connections--;
    const connection = ws._connection;
    // The code 'close' reports: RFC 6455 §7.1.5, the code of the close frame received, 1006 when there was none.
    this.counters.countClose(connection === null ? 1006 : connection.closeCode);
    unsubscribeAll(ws, this.topics, this.topicWatcher);
    if (this.shutdownWatch !== null) this.shutdownWatch(ws);
  }

  /** The counters as a plain object, with the gauges of this moment. */
  stats(): ServerStats {
    return this.counters.snapshot({ open: this.connections, pending: this.authenticating, topics: this.topics.size });
  }

  /** Report a peer-caused socket error nobody listens to on the socket (never throws). */
  reportError(error: Error, ws: FeatureSocket | null, request?: IncomingMessage): void {
    this.server.emit(CONNECTION_ERROR_EVENT, error, ws, request);
  }
}
