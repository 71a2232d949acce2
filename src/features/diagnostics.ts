/**
 * `node:diagnostics_channel` events (sockwire, opt-in by subscribing). Every publisher checks `hasSubscribers` first,
 * so nothing is built, timed, kept or even read from the socket while nobody listens. Names follow undici's
 * `library:object:event` style; the client also publishes on undici's own WebSocket channels, with undici's payload
 * shapes, so tools written for Node's built-in WebSocket see sockwire's client too. Payloads are documented in
 * README "Observability".
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { ClosedBy } from '../io/connection';

/** The channel names, in one place. */
export const CHANNEL_NAMES = {
  serverUpgrade: 'sockwire:server:upgrade',
  open: 'sockwire:websocket:open',
  close: 'sockwire:websocket:close',
  error: 'sockwire:websocket:error',
  ping: 'sockwire:websocket:ping',
  pong: 'sockwire:websocket:pong',
  pubsubGap: 'sockwire:pubsub:gap',
  pubsubState: 'sockwire:pubsub:state',
  undiciOpen: 'undici:websocket:open',
  undiciClose: 'undici:websocket:close',
  undiciSocketError: 'undici:websocket:socket_error',
  undiciPing: 'undici:websocket:ping',
  undiciPong: 'undici:websocket:pong'
} as const;

// Module-level references keep the channels (and their subscriptions) alive for the life of the process.
export const upgradeChannel = diagnostics.channel(CHANNEL_NAMES.serverUpgrade);
export const openChannel = diagnostics.channel(CHANNEL_NAMES.open);
export const closeChannel = diagnostics.channel(CHANNEL_NAMES.close);
export const errorChannel = diagnostics.channel(CHANNEL_NAMES.error);
export const pingChannel = diagnostics.channel(CHANNEL_NAMES.ping);
export const pongChannel = diagnostics.channel(CHANNEL_NAMES.pong);
export const pubsubGapChannel = diagnostics.channel(CHANNEL_NAMES.pubsubGap);
export const pubsubStateChannel = diagnostics.channel(CHANNEL_NAMES.pubsubState);
export const undiciOpenChannel = diagnostics.channel(CHANNEL_NAMES.undiciOpen);
export const undiciCloseChannel = diagnostics.channel(CHANNEL_NAMES.undiciClose);
export const undiciSocketErrorChannel = diagnostics.channel(CHANNEL_NAMES.undiciSocketError);
export const undiciPingChannel = diagnostics.channel(CHANNEL_NAMES.undiciPing);
export const undiciPongChannel = diagnostics.channel(CHANNEL_NAMES.undiciPong);

/** `sockwire:server:upgrade`: one per upgrade request a server handled, accepted or refused. */
export interface UpgradeMessage<Socket = unknown, Server = unknown> {
  server: Server;
  /** Null when port mode refused the request head itself (malformed, too large, not finished in time). */
  request: IncomingMessage | null;
  accepted: boolean;
  /** 101 when accepted; the HTTP status of the refusal; 0 when the client went away before an answer. */
  status: number;
  /** The refusal's message ('' when accepted). */
  reason: string;
  /** The new socket when accepted, else null. */
  websocket: Socket | null;
  /**
   * Ms from `handleUpgrade()` to the answer (authentication included); undefined if nobody subscribed then, or
   * for a head port mode refused (`request` null).
   */
  duration: number | undefined;
}

/** `sockwire:websocket:open`, just before `'open'` (both sides). */
export interface OpenMessage<Socket = unknown> {
  websocket: Socket;
  isServer: boolean;
  /** The negotiated subprotocol ('' if none). */
  protocol: string;
  /** The negotiated extensions' names, comma-separated (`ws.extensions`). */
  extensions: string;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
}

/** `sockwire:websocket:close`, just before `'close'`, for sockets that opened. */
export interface CloseMessage<Socket = unknown> {
  websocket: Socket;
  isServer: boolean;
  /** The code `'close'` reports (1005 no code, 1006 no close frame). */
  code: number;
  reason: string;
  closedBy: ClosedBy;
  /** Both close frames were exchanged (WHATWG `CloseEvent.wasClean`). */
  wasClean: boolean;
  /** Ms the socket was open; undefined if nobody subscribed to this channel when it opened. */
  duration: number | undefined;
}

/** `sockwire:websocket:error`, for every error the socket reports (as `'error'`, or to `'connectionError'`). */
export interface ErrorMessage<Socket = unknown> {
  websocket: Socket;
  isServer: boolean;
  error: Error;
  /** `error.code` (`WS_ERR_*`, a zlib `Z_*` code, a Node `E*` code while connecting), or undefined. */
  code: string | undefined;
}

/** `sockwire:websocket:ping` / `sockwire:websocket:pong`: a ping or pong frame was received. */
export interface ControlFrameMessage<Socket = unknown> {
  websocket: Socket;
  isServer: boolean;
  payload: Buffer;
}

/** `undici:websocket:open` (undici's shape; client sockets only). */
export interface UndiciOpenMessage<Socket = unknown> {
  /** The local address of the connection (`socket.address()`). */
  address: AddressInfo | Record<string, never>;
  protocol: string;
  /** The `Sec-WebSocket-Extensions` response header ('' if none). */
  extensions: string;
  websocket: Socket;
  handshakeResponse: { status: number; statusText: string; headers: IncomingHttpHeaders };
}

/** `undici:websocket:close` (undici's shape; client sockets that opened). */
export interface UndiciCloseMessage<Socket = unknown> {
  websocket: Socket;
  code: number;
  reason: string;
}

/** `undici:websocket:ping` / `undici:websocket:pong` (undici's shape; client sockets only). */
export interface UndiciControlFrameMessage<Socket = unknown> {
  payload: Buffer;
  websocket: Socket;
}

/** What the publishers read from a WebSocket. */
export interface ObservedSocket {
  readonly _isServer: boolean;
  readonly _socket: Duplex | null;
  readonly protocol: string;
  readonly extensions: string;
}

/** Start times of handshakes and connections, kept only while someone subscribes to the channel that reports them. */
const startTimes = new WeakMap<object, number>();

/** `handleUpgrade()` began: remember when, if the upgrade channel is observed. */
export function markUpgradeStart(request: IncomingMessage): void {
  if (upgradeChannel.hasSubscribers) startTimes.set(request, performance.now());
}

function elapsedSince(key: object): number | undefined {
  const start = startTimes.get(key);
  if (start === undefined) return undefined;
  startTimes.delete(key);
  return performance.now() - start;
}

/** Publish the outcome of one upgrade (callers check `upgradeChannel.hasSubscribers`). */
export function publishUpgrade(
  server: unknown,
  request: IncomingMessage | null,
  status: number,
  reason: string,
  websocket: unknown
): void {
  const message: UpgradeMessage = {
    server,
    request,
    accepted: websocket !== null,
    status,
    reason,
    websocket,
    duration: request === null ? undefined : elapsedSince(request)
  };
  upgradeChannel.publish(message);
}

/** The socket opened: publish on the open channels that have subscribers; `response` is the client's 101. */
export function observeOpen(ws: ObservedSocket, response: IncomingMessage | undefined): void {
  if (closeChannel.hasSubscribers) startTimes.set(ws, performance.now());
  const own = openChannel.hasSubscribers;
  const undici = undiciOpenChannel.hasSubscribers && !ws._isServer;
  if (!own && !undici) return;
  const transport = ws._socket as Partial<Socket> | null;
  if (own) {
    const message: OpenMessage = {
      websocket: ws,
      isServer: ws._isServer,
      protocol: ws.protocol,
      extensions: ws.extensions,
      remoteAddress: transport?.remoteAddress,
      remotePort: transport?.remotePort
    };
    openChannel.publish(message);
  }
  if (undici) {
    const header = response?.headers['sec-websocket-extensions'];
    const message: UndiciOpenMessage = {
      address: typeof transport?.address === 'function' ? (transport.address() as AddressInfo) : {},
      protocol: ws.protocol,
      extensions: typeof header === 'string' ? header : '',
      websocket: ws,
      handshakeResponse: {
        status: response?.statusCode ?? 101,
        statusText: response?.statusMessage ?? 'Switching Protocols',
        headers: response?.headers ?? {}
      }
    };
    undiciOpenChannel.publish(message);
  }
}

/** A socket that had opened is closing: publish on the close channels that have subscribers. */
export function observeClose(ws: ObservedSocket, code: number, reason: Buffer, closedBy: ClosedBy, wasClean: boolean): void {
  const duration = elapsedSince(ws);
  if (closeChannel.hasSubscribers) {
    const message: CloseMessage = { websocket: ws, isServer: ws._isServer, code, reason: reason.toString(), closedBy, wasClean, duration };
    closeChannel.publish(message);
  }
  if (undiciCloseChannel.hasSubscribers && !ws._isServer) {
    const message: UndiciCloseMessage = { websocket: ws, code, reason: reason.toString() };
    undiciCloseChannel.publish(message);
  }
}

/** The socket reports an error. */
export function observeError(ws: ObservedSocket, error: Error): void {
  if (!errorChannel.hasSubscribers) return;
  const code = (error as { code?: unknown }).code;
  const message: ErrorMessage = { websocket: ws, isServer: ws._isServer, error, code: typeof code === 'string' ? code : undefined };
  errorChannel.publish(message);
}

/** The client's transport failed (undici publishes the error itself). */
export function observeTransportError(ws: ObservedSocket, error: Error): void {
  if (undiciSocketErrorChannel.hasSubscribers && !ws._isServer) undiciSocketErrorChannel.publish(error);
}

/** True when a received ping or pong must be published (checked before calling {@link publishControlFrame}). */
export function controlFramesObserved(kind: 'ping' | 'pong'): boolean {
  return kind === 'ping'
    ? pingChannel.hasSubscribers || undiciPingChannel.hasSubscribers
    : pongChannel.hasSubscribers || undiciPongChannel.hasSubscribers;
}

/** A ping or pong frame arrived. */
export function publishControlFrame(ws: ObservedSocket, kind: 'ping' | 'pong', payload: Buffer): void {
  const own = kind === 'ping' ? pingChannel : pongChannel;
  if (own.hasSubscribers) {
    const message: ControlFrameMessage = { websocket: ws, isServer: ws._isServer, payload };
    own.publish(message);
  }
  const undici = kind === 'ping' ? undiciPingChannel : undiciPongChannel;
  if (undici.hasSubscribers && !ws._isServer) {
    const message: UndiciControlFrameMessage = { payload, websocket: ws };
    undici.publish(message);
  }
}
