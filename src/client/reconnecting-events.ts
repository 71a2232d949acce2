/** Typed events of `ReconnectingWebSocket` (merged into the class by declaration merging). */
import type { BinaryMessage } from '../core/binary-data';
import type { ReconnectReason } from './reconnect-policy';

/** `ReconnectingWebSocket` events → listener arguments. */
export interface ReconnectingWebSocketEventMap {
  /** An attempt starts (1 for the first since the last stable connection). */
  connecting: [attempt: number];
  /** A socket opened and the `onOpen` hook finished; queued messages were flushed. */
  open: [];
  message: [data: BinaryMessage, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /** Any underlying socket's error, a failed handshake status, or a failing `onOpen` hook. */
  error: [error: Error];
  /** One underlying socket closed (every socket, also those that never opened). */
  close: [code: number, reason: Buffer];
  /** Attempt `attempt` will start in `delay` ms. */
  reconnect: [attempt: number, delay: number, reason: ReconnectReason];
  /** No further attempt will be made. */
  giveup: [reason: ReconnectReason];
}

/** A listener for event `E`. */
export type ReconnectingListener<E extends keyof ReconnectingWebSocketEventMap> = (...args: ReconnectingWebSocketEventMap[E]) => void;
