/**
 * Options of the sockwire server features (not in ws). The facade's option table (`api/options.ts`) re-exports them.
 */
import type { IncomingMessage } from 'node:http';

/** Heartbeat settings (sockwire): ping a quiet peer, terminate it when no answer comes in time. */
export interface HeartbeatOptions {
  /** Ms without any input before a ping is sent. */
  interval: number;
  /** Ms to wait for any input (normally the pong) after that ping before terminating (`'close'` 1006). */
  timeout: number;
}

/** Opt-in per-socket features (sockwire, not in ws), accepted by both the client and the server. */
export interface SocketFeatureOptions {
  /** Ping quiet peers and terminate dead ones; the error has code `WS_ERR_HEARTBEAT_TIMEOUT`. Off by default. */
  heartbeat?: HeartbeatOptions;
  /** Most bytes one socket may hold in memory; past it `send()` drops (returns `'dropped'`). 0/absent: no limit. */
  maxBackpressure?: number;
  /** With `maxBackpressure`: close a slow reader with 1008 instead of dropping its messages. */
  closeOnBackpressureLimit?: boolean;
}

/**
 * What `authenticate` may resolve to: any value accepts the connection and becomes `ws.data`; `false`, `null` or
 * `undefined` refuse with 401; an integer 400–599 refuses with that status (wrap numeric identities in an object).
 */
export type AuthenticateResult = unknown;

/** Opt-in server features (sockwire, not in ws). */
export interface ServerFeatureOptions {
  /** Runs before the upgrade completes; see {@link AuthenticateResult}. A throw or rejection answers 500. */
  authenticate?: (request: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;
  /** Exact `Origin` values (e.g. `'https://example.com'`) to accept; others, and requests without one, get 403. */
  allowedOrigins?: readonly string[];
  /** Most open connections (plus handshakes being authenticated); past it upgrades get 503. */
  maxConnections?: number;
}
