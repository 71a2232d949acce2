/**
 * Typed `on`/`once`/`off`/`addListener`/`removeListener` overloads for `WebSocket` and `WebSocketServer` events,
 * with the argument types @types/ws users already write. Merged into the classes by interface declaration merging.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BinaryMessage } from '../core/binary-data';
import type { PubSubGap } from '../pubsub/pubsub-events';

/** `WebSocket` events → listener arguments. */
export interface WebSocketEventMap {
  open: [];
  message: [data: BinaryMessage, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  error: [error: Error];
  close: [code: number, reason: Buffer];
  upgrade: [response: IncomingMessage];
  redirect: [url: string, request: ClientRequest];
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  /** sockwire: the send buffer emptied after a `'queued'` send (with `maxBackpressure`). */
  drain: [];
}

/** `WebSocketServer` events → listener arguments (`Socket` is the class of accepted sockets). */
export interface WebSocketServerEventMap<Socket> {
  /** `data` is the `authenticate` result when that option is set. */
  connection: [socket: Socket, request: IncomingMessage, data?: unknown];
  headers: [headers: string[], request: IncomingMessage];
  listening: [];
  error: [error: Error];
  close: [];
  wsClientError: [error: Error, socket: Duplex, request: IncomingMessage];
  /** sockwire: a socket without an `'error'` listener failed (`socket` is null for a failed `authenticate`). */
  connectionError: [error: Error, socket: Socket | null, request?: IncomingMessage];
  /** sockwire (`pubsub`): the broker failed; `error.code` is a `WS_ERR_PUBSUB_*` code. Never thrown. */
  pubsubError: [error: Error & { code?: string }];
  /** sockwire (`pubsub`): messages published on another server never arrived. */
  pubsubGap: [gap: PubSubGap];
  /** sockwire (`pubsub`): connected and subscribed to every current topic (first connection, and each reconnect). */
  pubsubReady: [];
}

/** A listener for event `E` of an event map. */
export type EventListener<Events extends object, E extends keyof Events, This> = (
  this: This,
  ...args: Events[E] extends unknown[] ? Events[E] : never
) => void;

/**
 * EventEmitter's own listener type, kept as the fallback overload so the classes stay assignable to EventEmitter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyListener = (...args: any[]) => void;
