/**
 * Back-pressure limit (sockwire, opt-in `maxBackpressure`): a socket never holds more than the limit plus one
 * message in memory. Sends past the limit are dropped (status `'dropped'`), or the slow reader is closed with 1008
 * (`closeOnBackpressureLimit`). `'drain'` fires once everything queued has been handed to the kernel.
 */
import type { Duplex } from 'node:stream';
import type { Connection } from '../io/connection';
import type { SocketFeatures, SendStatus } from './socket-features';

/** `err.code` passed to the callback of a dropped send. */
export const BACKPRESSURE_DROPPED_CODE = 'WS_ERR_BACKPRESSURE_LIMIT';

/** RFC 6455 §7.4.1: 1008, "a message that violates its policy" — here, not reading fast enough. */
const BACKPRESSURE_CLOSE_CODE = 1008;
const BACKPRESSURE_CLOSE_REASON = 'Back-pressure limit exceeded';

type WriteCallback = (error?: Error | null) => void;

/** What the limiter needs from a WebSocket. */
export interface BackpressureTarget {
  readonly _connection: Connection | null;
  readonly bufferedAmount: number;
  emit(event: 'drain'): boolean;
}

/**
 * Decide whether one more message may be queued. Returns `null` to go ahead, or `'dropped'` after handling the
 * refusal (callback error, or the 1008 close).
 */
export function admitSend(target: BackpressureTarget, features: SocketFeatures, callback: WriteCallback | undefined): SendStatus | null {
  if (target.bufferedAmount < features.maxBackpressure) return null;
  features.drainPending = true;
  if (features.counters !== null) features.counters.backpressureDrops++;
  if (features.closeOnBackpressureLimit) {
    const connection = target._connection;
    if (connection !== null && connection.state === 'open') {
      connection.close(BACKPRESSURE_CLOSE_CODE, BACKPRESSURE_CLOSE_REASON);
    }
  }
  if (callback !== undefined) {
    const error = new Error('Message dropped: the back-pressure limit is reached') as Error & { code: string };
    error.code = BACKPRESSURE_DROPPED_CODE;
    process.nextTick(callback, error);
  }
  return 'dropped';
}

/** A write callback that also emits `'drain'` when this write leaves the socket empty. */
export function drainWatcher(target: BackpressureTarget, features: SocketFeatures, callback: WriteCallback | undefined): WriteCallback {
  return (error) => {
    if (features.drainPending && target.bufferedAmount === 0) {
      features.drainPending = false;
      target.emit('drain');
    }
    if (callback !== undefined) callback(error);
  };
}

/** After a send was handed over: `'written'` when nothing waits in memory, else `'queued'` (and arm `'drain'`). */
export function statusAfterSend(connection: Connection, features: SocketFeatures): SendStatus {
  if ((connection.socket as Duplex).writableLength + connection.sender.pendingBytes === 0) return 'written';
  features.drainPending = true;
  return 'queued';
}
