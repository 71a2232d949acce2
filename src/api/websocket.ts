/**
 * The ws-compatible `WebSocket`: an EventEmitter over one connection, usable as a client (`new WebSocket(url)`) or,
 * through `WebSocketServer`, as the server side of an accepted upgrade.
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BINARY_TYPES, EMPTY_BUFFER, type BinaryType } from '../core/constants';
import { setPrototypeDefaults } from '../core/prototype-defaults';
import type { BinaryMessage } from '../core/binary-data';
import type { Inflater } from '../core/message-reader';
import { toError, type ProtocolFailure } from '../core/errors';
import { readyStateOf, type Session } from '../core/session';
import { Connection, type ClosedBy, type ConnectionOwner } from '../io/connection';
import { connectionSetup, sharedServerSetup, type SetupOptions } from './connection-setup';
import { byteLengthOf, type SendData } from '../io/data';
import type { ExtensionMap, FrameSender, SendOptions } from '../io/sender';
import { connectClient, type ClientOwner, type HandshakeOptions } from '../io/client-handshake';
import { isHttp2Stream } from '../io/handshake-response';
import { LIMIT_DEFAULTS, resolveLimits, type ClientOptions, type ConnectionLimits } from './options';
import { addEventListener, removeEventListener, defineEventHandlerAttributes, kWasClean } from './event-target';
import { SocketFeatures, resolveFeatureOptions, type SendStatus } from '../features/socket-features';
import { admitSend, drainWatcher, statusAfterSend } from '../features/backpressure';
import { subscribe, unsubscribe } from '../features/topics';
import type { ServerHub } from '../features/server-hub';
import { controlFramesObserved, observeClose, observeError, observeOpen, observeTransportError, publishControlFrame } from '../features/diagnostics';
import { installEmitters } from './emit-events';
import { installWsInternals, type ReceiverInternals } from './ws-internals';
import { useCompactListenerTable } from './listener-table';
import { SEND_BINARY, SEND_COMPRESS, SEND_FIN, SEND_MASK, sendFlags } from './send-options';
import type { AnyListener, EventListener, WebSocketEventMap } from './websocket-events';
import { MessageIterator, type WebSocketMessage } from './message-iterator';
import { pingRTT } from './ping-rtt';

const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;
const NO_EXTENSIONS: ExtensionMap = Object.freeze({});

/** Options `setSocket` takes (what the server or the client handshake resolved). */
export interface SocketOptions extends SetupOptions {
  /** Client: the 101 response (for the `undici:websocket:open` payload). */
  response?: IncomingMessage;
}

type SendCallback = (error?: Error | null) => void;

/** A WebSocket connection (RFC 6455), API-compatible with ws 8. */
// Typed event overloads (declaration merging with the class below).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface WebSocket {
  on<E extends keyof WebSocketEventMap>(event: E, listener: EventListener<WebSocketEventMap, E, WebSocket>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof WebSocketEventMap>(event: E, listener: EventListener<WebSocketEventMap, E, WebSocket>): this;
  once(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof WebSocketEventMap>(event: E, listener: EventListener<WebSocketEventMap, E, WebSocket>): this;
  off(event: string | symbol, listener: AnyListener): this;
  addListener<E extends keyof WebSocketEventMap>(event: E, listener: EventListener<WebSocketEventMap, E, WebSocket>): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  removeListener<E extends keyof WebSocketEventMap>(event: E, listener: EventListener<WebSocketEventMap, E, WebSocket>): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
  prependListener<E extends keyof WebSocketEventMap>(event: E, listener: EventListener<WebSocketEventMap, E, WebSocket>): this;
  prependListener(event: string | symbol, listener: AnyListener): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class WebSocket extends EventEmitter implements ConnectionOwner, ClientOwner {
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /** @internal */ _connection: Connection | null = null;
  /** @internal */ _socket: Duplex | null = null;
  /**
   * @internal Client only: the request while connecting, then null. A server-side socket reads undefined, as in ws
   * (the prototype default).
   */
  declare _req: ClientRequest | null;
  /** @internal */ _isServer: boolean;
  /** @internal The negotiated subprotocol (prototype default ''). */
  declare _protocol: string;
  /** @internal Negotiated extensions (prototype default: a shared empty object). */
  declare _extensions: ExtensionMap;
  /** @internal Client only; undefined on the server side, as in ws (a prototype default). */
  declare _url: string;
  /** @internal Client only (prototype default 0). */
  declare _redirects: number;
  /** @internal Prototype default false. */
  declare _paused: boolean;
  /** @internal Ready state before a connection exists (connecting, or aborted while connecting); default 0. */
  declare _preState: 0 | 2 | 3;
  /** @internal Prototype default false. */
  declare _errorEmitted: boolean;
  /** @internal sockwire features: the accepting server's shared state (server side only; default null). */
  declare _hub: ServerHub | null;
  /** @internal sockwire features: this socket's opt-in state; null (the default) while it uses none. */
  declare _features: SocketFeatures | null;
  /** ws internal (see ws-internals.ts): the frame writer, null before the connection opened. */
  declare readonly _sender: FrameSender | null;
  /** ws internal: the live payload limit as `_receiver._maxPayload`, null before the connection opened. */
  declare readonly _receiver: ReceiverInternals | null;
  /** ws internal: the code `'close'` reports (1006 until a close frame arrived). */
  declare readonly _closeCode: number;
  /** ws internal: the reason `'close'` reports. */
  declare readonly _closeMessage: Buffer;
  /** Prototype default 'nodebuffer'. */
  declare private _binaryType: BinaryType;
  /** Rarely written (sends before a socket or after close): a prototype default of 0, no slot per socket. */
  declare private _bufferedAmountWithoutSocket: number;
  /** Prototype default false. */
  declare private _closeEmitted: boolean;
  /**
   * The limits this socket was created with: on the server side a reference to the server's options (one object per
   * server); on the client side only the limits, copied, so that the socket never holds the caller's other options
   * (a `proxy` URL with its password would show in `util.inspect(ws)` and in every diagnostics message).
   */
  private _options: ConnectionLimits;

  /** Client: connect to `address`. Server side: `new WebSocket(null, undefined, options)` then `setSocket`. */
  constructor(address: string | URL | null, protocols?: string | string[] | ClientOptions, options?: ClientOptions) {
    super();
    useCompactListenerTable(this);
    if (address === null) {
      this._isServer = true;
      this._options = (options ?? LIMIT_DEFAULTS) as ConnectionLimits;
      return;
    }
    this._isServer = false;
    // ws spreads `options` into its defaults, so a non-object (null, a number, a string) means "no options".
    if (typeof options !== 'object' || options === null) options = undefined;
    let protocolList: string[];
    if (protocols === undefined) protocolList = [];
    else if (Array.isArray(protocols)) protocolList = protocols;
    else if (typeof protocols === 'object' && protocols !== null) {
      options = protocols;
      protocolList = [];
    } else protocolList = [protocols];
    this._options = options === undefined ? LIMIT_DEFAULTS : resolveLimits(options, LIMIT_DEFAULTS);
    if (options !== undefined) {
      const features = resolveFeatureOptions(options);
      if (features !== null) this._features = new SocketFeatures().configure(features, null);
    }
    connectClient(this, address, protocolList, (options ?? {}) as HandshakeOptions);
  }

  /** How binary messages are delivered; unknown values are ignored (as browsers do). */
  get binaryType(): BinaryType {
    return this._binaryType;
  }
  set binaryType(type: BinaryType) {
    if (!(BINARY_TYPES as readonly string[]).includes(type)) return;
    this._binaryType = type;
    if (this._connection !== null) this._connection.binaryType = type;
  }

  /** Bytes queued by `send()` but not yet handed to the kernel. */
  get bufferedAmount(): number {
    const connection = this._connection;
    if (connection === null) return this._bufferedAmountWithoutSocket;
    return (connection.socket as Duplex).writableLength + connection.sender._bufferedBytes + this._bufferedAmountWithoutSocket;
  }

  /** The negotiated extensions, as a comma-separated list of names. */
  get extensions(): string {
    return Object.keys(this._extensions).join();
  }

  /** True after `pause()`, until `resume()`. */
  get isPaused(): boolean {
    return this._paused;
  }

  /**
   * sockwire: the HTTP version the handshake used, as Node's `req.httpVersion`: `'2.0'` for a WebSocket over an
   * HTTP/2 stream (RFC 8441), `'1.1'` otherwise, `''` while a client is still connecting.
   */
  get httpVersion(): string {
    const socket = this._socket;
    return socket === null ? '' : isHttp2Stream(socket) ? '2.0' : '1.1';
  }

  /** The subprotocol the server selected ('' if none). */
  get protocol(): string {
    return this._protocol;
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): number {
    const connection = this._connection;
    return connection === null ? this._preState : readyStateOf(connection.state);
  }

  /** The URL this client connected to (undefined on the server side, as in ws, though typed as a string there too). */
  get url(): string {
    return this._url;
  }

  /** @internal WHATWG `CloseEvent.wasClean`. */
  get [kWasClean](): boolean {
    return this._connection !== null && this._connection.wasClean;
  }

  /**
   * Take over an upgraded socket (called by the server and by the client handshake).
   * @internal
   */
  setSocket(socket: Duplex, head: Buffer, options: SocketOptions): void {
    // A server passes the options the socket was made with: its connections share one setup.
    const ownOptions = options === this._options;
    const { config, maxPayload } =
      ownOptions && this._isServer
        ? sharedServerSetup(options)
        : connectionSetup(this._isServer, options, ownOptions ? LIMIT_DEFAULTS : this._resolvedLimits);
    this._socket = socket;
    const extensions = this._extensions;
    const inflater = extensions['permessage-deflate'] as Inflater | undefined;
    this._connection = new Connection(socket, head, { config, binaryType: this._binaryType, maxPayload, extensions, inflater }, this);
    if (this._paused) this._connection.pause();
    if (this._features !== null) this._features.open(this);
    observeOpen(this, options.response);
    this.emit('open');
  }

  /** Start the closing handshake (RFC 6455 §7.1.2). */
  close(code?: number, data?: string | Buffer): void {
    this._sessionToClose()?.close(code, data);
  }

  /** Stop reading from the socket. */
  pause(): void {
    const state = this.readyState;
    if (state === 0 || state === 3) return;
    this._paused = true;
    this._connection?.pause();
  }

  /** Restart reading after `pause()`. */
  resume(): void {
    const state = this.readyState;
    if (state === 0 || state === 3) return;
    this._paused = false;
    this._connection?.resume();
  }

  /** Send a ping (RFC 6455 §5.5.2); `data` ≤ 125 bytes. */
  ping(data?: SendData | number | SendCallback, mask?: boolean | SendCallback, cb?: SendCallback): void {
    this._control('ping', data, mask, cb);
  }

  /** Send an unsolicited pong (RFC 6455 §5.5.3). */
  pong(data?: SendData | number | SendCallback, mask?: boolean | SendCallback, cb?: SendCallback): void {
    this._control('pong', data, mask, cb);
  }

  /**
   * Send a message (or a fragment of one with `{ fin: false }`). Returns `undefined` as ws does, unless
   * `maxBackpressure` is set: then `'written'` (handed to the kernel), `'queued'` (held in memory, `'drain'` follows)
   * or `'dropped'` (over the limit, or not open; `cb` gets an error).
   */
  send(data: SendData | number, options?: SendOptions | SendCallback, cb?: SendCallback): SendStatus | undefined {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    const state = this.readyState;
    if (state === 0) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof data === 'number') data = data.toString();
    const features = this._features;
    const limited = features !== null && features.maxBackpressure > 0;
    if (state !== 1) {
      this._sendAfterClose(data, cb);
      return limited ? 'dropped' : undefined;
    }
    // ws spreads `options` over these defaults; sendFlags gives the same result without an object.
    const defaults = (typeof data !== 'string' ? SEND_BINARY : 0) | (this._isServer ? 0 : SEND_MASK) | SEND_FIN | SEND_COMPRESS;
    const flags = sendFlags(options, defaults);
    const connection = this._connection as Connection;
    const binary = (flags & SEND_BINARY) !== 0;
    const mask = (flags & SEND_MASK) !== 0;
    const fin = (flags & SEND_FIN) !== 0;
    const compress = this._extensions['permessage-deflate'] !== undefined && (flags & SEND_COMPRESS) !== 0;
    if (limited) {
      const refused = admitSend(this, features, cb);
      if (refused !== null) return refused;
      connection.sender.sendData(data || EMPTY_BUFFER, binary, compress, fin, mask, drainWatcher(this, features, cb));
      return statusAfterSend(connection, features);
    }
    connection.sender.sendData(data || EMPTY_BUFFER, binary, compress, fin, mask, cb);
    return undefined;
  }

  /** sockwire: subscribe to a topic of the accepting server (`wss.publish`); true if newly subscribed. */
  subscribe(topic: string): boolean {
    if (this._hub === null) throw new Error('subscribe() is only available on sockets accepted by a WebSocketServer');
    if (this.readyState !== 1) return false;
    return subscribe(this, this._hub.topics, topic, this._hub.topicWatcher);
  }

  /** sockwire: leave a topic; true if the socket was subscribed. */
  unsubscribe(topic: string): boolean {
    if (this._hub === null) return false;
    return unsubscribe(this, this._hub.topics, topic, this._hub.topicWatcher);
  }

  /** sockwire: the topics this socket is subscribed to (a copy). */
  get topics(): string[] {
    const topics = this._features?.topics;
    return topics === undefined || topics === null ? [] : [...topics];
  }

  /** sockwire: what the server's `authenticate` resolved to (settable by the app). */
  get data(): unknown {
    return this._features === null ? undefined : this._features.data;
  }
  set data(value: unknown) {
    (this._features ??= new SocketFeatures()).data = value;
  }

  /**
   * sockwire: `for await (const { data, isBinary } of ws)` yields messages until `'close'` (rethrowing the socket's
   * error, if any, at the end). A loop that falls behind pauses the socket; leaving the loop closes nothing.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    return new MessageIterator(this);
  }

  /** sockwire: ping and resolve with the round-trip time in ms when the matching pong arrives (see ping-rtt.ts). */
  pingRTT(data?: string | Buffer | ArrayBuffer | ArrayBufferView): Promise<number> {
    return pingRTT(this, data);
  }

  /** Destroy the connection now, without a closing handshake. */
  terminate(): void {
    this._sessionToClose()?.terminate();
  }

  /** close()/terminate() share this: abort a pending handshake, or return the session if there is one to end. */
  private _sessionToClose(): Session | null {
    const state = this.readyState;
    if (state === 3) return null;
    if (state === 0) {
      this._abortHandshake('WebSocket was closed before the connection was established');
      return null;
    }
    // Aborted while connecting: nothing left to close.
    return this._connection;
  }

  // ---- ConnectionOwner ------------------------------------------------------------------------------------
  /** @internal */
  declare onMessage: (data: BinaryMessage, isBinary: boolean) => void;
  /** @internal A ping arrived (the auto-pong is already queued). */
  onPing(data: Buffer): void {
    if (controlFramesObserved('ping')) publishControlFrame(this, 'ping', data);
    this.emit('ping', data);
  }
  /** @internal */
  onPong(data: Buffer): void {
    if (controlFramesObserved('pong')) publishControlFrame(this, 'pong', data);
    this.emit('pong', data);
  }
  /** @internal Observed only (diagnostics); the close that follows reports it as 1006. */
  onTransportError(error: Error): void {
    observeTransportError(this, error);
  }
  /** @internal */
  onFailure(failure: ProtocolFailure): void {
    this._emitError(toError(failure));
  }
  /** @internal ws's `senderOnError`: the socket is already ending; report the error once. */
  onSendError(error: Error): void {
    if (!this._errorEmitted) this._emitError(error);
  }
  /** @internal */
  onClosed(closedBy: ClosedBy): void {
    this._emitClose(closedBy);
  }
  /** @internal Automatic pongs go through a `pong()` the app replaced (ws calls `websocket.pong()` itself). */
  replyToPing(data: Buffer, mask: boolean, onWritten: () => void): boolean {
    if (this.pong === WebSocket.prototype.pong) return false;
    this.pong(data, mask, onWritten);
    return true;
  }

  // ---- ClientOwner ----------------------------------------------------------------------------------------
  /** @internal Abort while connecting: error, then close (1006). */
  _abortHandshake(message: string | Error): void {
    const error = typeof message === 'string' ? new Error(message) : message;
    this._preState = 2;
    // Undefined on a server-side socket (no request to abort).
    const req = this._req as ClientRequest | null | undefined;
    if (req !== null && req !== undefined) {
      this._req = null;
      (req as ClientRequest & { _sockwireAborted?: boolean })._sockwireAborted = true;
      req.destroy();
      const socket = req.socket;
      if (socket && !socket.destroyed) socket.destroy();
    }
    process.nextTick(emitErrorAndClose, this, error);
  }

  /** @internal Emit 'error' once a listener exists; a peer-caused error never throws (README: differences). */
  _emitError(error: Error): void {
    this._errorEmitted = true;
    const hub = this._hub;
    if (hub !== null) hub.counters.countError(error);
    observeError(this, error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else if (hub !== null) hub.reportError(error, this);
  }

  /** @internal `closedBy` is known once a connection existed. */
  _emitClose(closedBy: ClosedBy = 'transport'): void {
    if (this._closeEmitted) return;
    this._closeEmitted = true;
    this._preState = 3;
    const connection = this._connection;
    const code = connection === null ? 1006 : connection.closeCode;
    const reason = connection === null ? EMPTY_BUFFER : connection.closeReason;
    if (this._features !== null) this._features.dispose();
    if (this._hub !== null) this._hub.detach(this);
    if (connection !== null) observeClose(this, code, reason, closedBy, connection.wasClean);
    this.emit('close', code, reason);
  }

  /** @internal Limits resolved for this socket (used by the client handshake). */
  get _resolvedLimits(): Required<ConnectionLimits> {
    return resolveLimits(this._options, LIMIT_DEFAULTS);
  }

  private _sendAfterClose(data: SendData | number, cb?: SendCallback): void {
    if (data) {
      const length = byteLengthOf(data as SendData);
      if (this._connection !== null) this._connection.sender._bufferedBytes += length;
      else this._bufferedAmountWithoutSocket += length;
    }
    if (cb) {
      const state = this.readyState;
      const error = new Error(`WebSocket is not open: readyState ${state} (${READY_STATE_NAMES[state]})`);
      process.nextTick(cb, error);
    }
  }

  private _control(
    kind: 'ping' | 'pong',
    data: SendData | number | SendCallback | undefined,
    mask: boolean | SendCallback | undefined,
    cb: SendCallback | undefined
  ): void {
    if (typeof data === 'function') {
      cb = data;
      data = mask = undefined;
    } else if (typeof mask === 'function') {
      cb = mask;
      mask = undefined;
    }
    const state = this.readyState;
    if (state === 0) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (typeof data === 'number') data = data.toString();
    if (state !== 1) {
      this._sendAfterClose(data as SendData, cb);
      return;
    }
    const useMask = mask === undefined ? !this._isServer : mask;
    const sender = (this._connection as Connection).sender;
    if (kind === 'ping') sender.ping((data as SendData) || EMPTY_BUFFER, useMask, cb);
    else sender.pong((data as SendData) || EMPTY_BUFFER, useMask, cb);
  }

  declare addEventListener: typeof addEventListener;
  declare removeEventListener: typeof removeEventListener;

  declare onopen: ((event: unknown) => void) | null;
  declare onmessage: ((event: unknown) => void) | null;
  declare onerror: ((event: unknown) => void) | null;
  declare onclose: ((event: unknown) => void) | null;
}

function emitErrorAndClose(websocket: WebSocket, error: Error): void {
  websocket._preState = 2;
  websocket._emitError(error);
  websocket._emitClose();
}

// RFC 6455 / WHATWG ready-state constants: static and on the prototype, read-only and enumerable (as ws).
READY_STATE_NAMES.forEach((name, value) => {
  const descriptor = { enumerable: true, writable: false, configurable: false, value };
  Object.defineProperty(WebSocket, name, descriptor);
  Object.defineProperty(WebSocket.prototype, name, descriptor);
});
for (const property of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
  const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, property) as PropertyDescriptor;
  Object.defineProperty(WebSocket.prototype, property, { ...descriptor, enumerable: true });
}
defineEventHandlerAttributes(WebSocket.prototype);
// Defaults of the fields only some sockets ever write (client handshake state, bytes counted without a socket,
// a negotiated subprotocol or extension, pause, features, the end of the socket's life): a socket gets an own
// property only when it writes one. An idle accepted WebSocket then holds EventEmitter's fields, its connection,
// socket, side, hub and options: 104 bytes (heap snapshot), where every field as its own slot made 200.
setPrototypeDefaults(WebSocket.prototype, {
  _req: undefined,
  _url: undefined,
  _redirects: 0,
  _bufferedAmountWithoutSocket: 0,
  _protocol: '',
  _extensions: NO_EXTENSIONS,
  _paused: false,
  _preState: 0,
  _errorEmitted: false,
  _hub: null,
  _features: null,
  _binaryType: 'nodebuffer',
  _closeEmitted: false
});
WebSocket.prototype.addEventListener = addEventListener;
WebSocket.prototype.removeEventListener = removeEventListener;

export type { IncomingMessage };

installEmitters(WebSocket.prototype, ['onMessage']);
installWsInternals(WebSocket.prototype);
