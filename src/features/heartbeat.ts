/**
 * Heartbeat (sockwire, opt-in): ping a peer that has been quiet for `interval` ms and terminate it when nothing
 * arrives within `timeout` ms after the ping. Deadlines live on a {@link TimerWheel}: one per server, one shared per
 * tick size for clients — never a Node timer per socket.
 */
import { EMPTY_BUFFER } from '../core/constants';
import type { Connection } from '../io/connection';
import { TimerWheel, advanceClock, type WheelEntry } from '../io/timer-wheel';
import type { HeartbeatOptions } from './feature-options';

/** `err.code` of the error a heartbeat timeout reports (then `'close'` fires with 1006). */
export const HEARTBEAT_TIMEOUT_CODE = 'WS_ERR_HEARTBEAT_TIMEOUT';

/** What the heartbeat needs from a WebSocket. */
export interface HeartbeatTarget {
  readonly _connection: Connection | null;
  readonly _isServer: boolean;
  _emitError(error: Error): void;
}

/** Throw a TypeError unless `options` is `{ interval, timeout }` with positive finite numbers. */
export function validateHeartbeat(options: unknown): HeartbeatOptions {
  const value = options as Partial<HeartbeatOptions> | null;
  if (typeof value !== 'object' || value === null) throw new TypeError('The "heartbeat" option must be an object');
  for (const name of ['interval', 'timeout'] as const) {
    const n = value[name];
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      throw new TypeError(`The "heartbeat.${name}" option must be a positive number of milliseconds`);
    }
  }
  return { interval: value.interval as number, timeout: value.timeout as number };
}

/** Tick size: a tenth of the shorter period keeps detection within ~10% of `interval + timeout`. */
function tickFor(options: HeartbeatOptions): number {
  return Math.min(1000, Math.max(5, Math.floor(Math.min(options.interval, options.timeout) / 10)));
}

/** A wheel sized for these heartbeat settings (servers own one each). */
export function createHeartbeatWheel(options: HeartbeatOptions): TimerWheel {
  return new TimerWheel(tickFor(options), Math.max(options.interval, options.timeout));
}

const clientWheels = new Map<number, TimerWheel>();

/** The process-wide wheel clients with this tick size share. */
export function sharedHeartbeatWheel(options: HeartbeatOptions): TimerWheel {
  const tick = tickFor(options);
  let wheel = clientWheels.get(tick);
  if (wheel === undefined) {
    wheel = new TimerWheel(tick, Math.max(options.interval, options.timeout));
    clientWheels.set(tick, wheel);
  }
  return wheel;
}

/** One socket's heartbeat state: at most one wheel slot and one number. */
export class HeartbeatEntry implements WheelEntry {
  wheelSlot = -1;
  wheelRounds = 0;
  /** Clock time the outstanding ping was sent at (0: none outstanding). */
  private pingAt = 0;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly wheel: TimerWheel,
    private readonly interval: number,
    private readonly timeout: number
  ) {}

  /** Begin watching (the socket just opened: it counts as input). */
  start(): void {
    const connection = this.target._connection;
    if (connection === null) return;
    connection.lastInputAt = advanceClock();
    this.wheel.schedule(this, this.interval);
  }

  /** Stop watching (the socket is closing or closed). */
  stop(): void {
    this.wheel.cancel(this);
  }

  /** @internal */
  onWheelTimer(now: number): void {
    const connection = this.target._connection;
    if (connection === null || connection.state !== 'open') return;
    const lastInput = connection.lastInputAt;
    if (this.pingAt !== 0) {
      // Any input after the ping (the pong, or data ahead of it) proves the peer alive.
      if (lastInput >= this.pingAt) {
        this.pingAt = 0;
        this.wheel.schedule(this, lastInput + this.interval - now);
        return;
      }
      this.expire();
      return;
    }
    const quiet = now - lastInput;
    // A busy peer is never pinged; a paused socket cannot read the pong, so it is not judged either.
    if (quiet < this.interval || connection.userPaused) {
      this.wheel.schedule(this, connection.userPaused ? this.interval : this.interval - quiet);
      return;
    }
    this.pingAt = now;
    // RFC 6455 §5.5.2: the peer must answer with a pong; clients mask (§5.3).
    connection.sender.ping(EMPTY_BUFFER, !this.target._isServer);
    this.wheel.schedule(this, this.timeout);
  }

  private expire(): void {
    const connection = this.target._connection as Connection;
    const error = new Error(`Heartbeat timeout: no data within ${this.timeout} ms of a ping`) as Error & { code: string };
    error.code = HEARTBEAT_TIMEOUT_CODE;
    this.target._emitError(error);
    // No close handshake: the peer is presumed dead, so 'close' reports 1006.
    connection.terminate();
  }
}
