/**
 * The narrow view of a server-side socket that the features work over. `WebSocket` satisfies it structurally; no
 * feature imports the `WebSocket` class, so the facade can depend on the features and not the other way round.
 */
import type { ExtensionMap } from '../io/sender';
import type { BackpressureTarget } from './backpressure';
import type { HeartbeatTarget } from './heartbeat';
import type { SendStatus, SocketFeatures } from './socket-features';

/** What broadcast, topics, shutdown and the hub need from one socket. */
export interface FeatureSocket extends BackpressureTarget, HeartbeatTarget {
  /** Per-socket feature state; created on demand (topics, `data`). */
  _features: SocketFeatures | null;
  /** Negotiated extensions (permessage-deflate parameters decide whether a broadcast frame can be shared). */
  readonly _extensions: ExtensionMap;
  /** ws's ready state, 0–3. */
  readonly readyState: number;
  /** The socket's own send, for the cases where a shared frame cannot be used. */
  send(data: string | Buffer, options: { binary: boolean; compress: boolean }): SendStatus | undefined;
  /** Destroy the transport at once. */
  terminate(): void;
}
