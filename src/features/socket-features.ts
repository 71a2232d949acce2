/**
 * Per-socket state of the opt-in features (heartbeat, back-pressure limit, topics, auth data). A socket that uses
 * none of them has no such object at all (`_features === null`), so the default path costs one null check.
 */
import type { TimerWheel } from '../io/timer-wheel';
import { HeartbeatEntry, sharedHeartbeatWheel, validateHeartbeat, type HeartbeatTarget } from './heartbeat';
import type { HeartbeatOptions, SocketFeatureOptions } from './feature-options';
import type { ServerCounters } from './counters';

/** What `send()` did with a message (returned only when `maxBackpressure` is set). */
export type SendStatus = 'written' | 'queued' | 'dropped';

/** Feature settings resolved once (per server, or per client socket). */
export interface ResolvedFeatureOptions {
  heartbeat: HeartbeatOptions | null;
  maxBackpressure: number;
  closeOnBackpressureLimit: boolean;
}

/** Validate and resolve the feature options; `null` when none is set (the ws-identical default). */
export function resolveFeatureOptions(options: SocketFeatureOptions): ResolvedFeatureOptions | null {
  const heartbeat = options.heartbeat === undefined ? null : validateHeartbeat(options.heartbeat);
  const limit = options.maxBackpressure;
  if (limit !== undefined && (typeof limit !== 'number' || !(limit >= 0))) {
    throw new TypeError('The "maxBackpressure" option must be a non-negative number of bytes');
  }
  const maxBackpressure = limit ?? 0;
  if (heartbeat === null && maxBackpressure === 0) return null;
  return { heartbeat, maxBackpressure, closeOnBackpressureLimit: options.closeOnBackpressureLimit === true };
}

/** One socket's feature state. */
export class SocketFeatures {
  maxBackpressure = 0;
  closeOnBackpressureLimit = false;
  /** A send was queued or dropped: emit `'drain'` once everything is flushed. */
  drainPending = false;
  heartbeat: HeartbeatEntry | null = null;
  /** Heartbeat settings waiting for the socket to open (clients). */
  heartbeatOptions: HeartbeatOptions | null = null;
  heartbeatWheel: TimerWheel | null = null;
  topics: Set<string> | null = null;
  /** What `authenticate` resolved to (`ws.data`). */
  data: unknown = undefined;
  /** The accepting server's counters (back-pressure drops); null on clients. */
  counters: ServerCounters | null = null;

  /** Apply resolved options; `wheel` and `counters` are the server's (clients share a process-wide wheel). */
  configure(options: ResolvedFeatureOptions, wheel: TimerWheel | null, counters: ServerCounters | null = null): this {
    this.counters = counters;
    this.maxBackpressure = options.maxBackpressure;
    this.closeOnBackpressureLimit = options.closeOnBackpressureLimit;
    if (options.heartbeat !== null) {
      this.heartbeatOptions = options.heartbeat;
      this.heartbeatWheel = wheel ?? sharedHeartbeatWheel(options.heartbeat);
    }
    return this;
  }

  /** The socket is open: start the heartbeat if configured. */
  open(target: HeartbeatTarget): void {
    const options = this.heartbeatOptions;
    if (options === null || this.heartbeatWheel === null) return;
    this.heartbeat = new HeartbeatEntry(target, this.heartbeatWheel, options.interval, options.timeout);
    this.heartbeat.start();
  }

  /** The socket closed: release the wheel slot. */
  dispose(): void {
    if (this.heartbeat !== null) {
      this.heartbeat.stop();
      this.heartbeat = null;
    }
  }
}
