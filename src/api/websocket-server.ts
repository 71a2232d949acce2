/**
 * The ws-compatible `WebSocketServer`: validates upgrade requests (RFC 6455 §4.2), negotiates subprotocols and
 * extensions, and hands accepted sockets to `WebSocket` instances.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { SecureServerOptions as Http2SecureServerOptions, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { checkUpgradeRequest, checkRequestedProtocols, formatAcceptHeaders } from '../core/handshake';
import { parseExtensionHeader, formatExtensionHeader, type ExtensionOffers, type FormattableExtensions } from '../core/extension-header';
import { PerMessageDeflate } from '../extensions/permessage-deflate';
import type { ExtensionMap } from '../io/sender';
import { armHandshakeTimers, clearHandshakeTimer } from '../io/handshake-timer';
import { isHttp2Stream, writeAccept } from '../io/handshake-response';
import { PortServer } from '../io/port-server';
import { isBound } from '../io/connection';
import { checkExtendedConnect, formatExtendedConnectAccept } from '../core/http2-handshake';
import { EMPTY_BUFFER } from '../core/constants';
import {
  Http2Attachment,
  createHttp2Server,
  isHttp2Server,
  resolveHttp2Windows,
  type AnyHttp2Server,
  type Http2Windows
} from '../io/http2-server';
import { fillHostHeader, type Http2UpgradeRequest } from '../io/http2-request';
import { LIMIT_DEFAULTS, type ConnectionLimits, type PerMessageDeflateOptions, type VerifyClientInfo } from './options';
import { WebSocket } from './websocket';
import type { SocketFeatureOptions, ServerFeatureOptions } from './options';
import type { SendData } from '../io/data';
import { ServerHub } from '../features/server-hub';
import { admitRequest, hasCapacity, runAuthenticate } from '../features/auth';
import { deliver, prepareMessage, type BroadcastOptions, type BroadcastResult } from '../features/broadcast';
import { shutdownClients, type ShutdownOptions, type ShutdownResult } from '../features/shutdown';
import { abandonUpgrade, noteAccepted, noteRefusal, refuseUpgrade } from '../features/handshake-outcome';
import { markUpgradeStart } from '../features/diagnostics';
import type { ServerStats } from '../features/counters';
import type { AnyListener, EventListener, WebSocketServerEventMap } from './websocket-events';
import { isPubSubAdapter, type PubSubAdapter } from '../pubsub/adapter';
import { TopicBridge } from '../pubsub/topic-bridge';

/** Synchronous `verifyClient`. */
export type VerifyClientCallbackSync<Request extends IncomingMessage = IncomingMessage> = (info: {
  origin: string;
  secure: boolean;
  req: Request;
}) => boolean;

/** Asynchronous `verifyClient`. */
export type VerifyClientCallbackAsync<Request extends IncomingMessage = IncomingMessage> = (
  info: { origin: string; secure: boolean; req: Request },
  callback: (result: boolean, code?: number, message?: string, headers?: http.OutgoingHttpHeaders) => void
) => void;

/** Options of `new WebSocketServer(options)` (ws's). */
export interface ServerOptions<WS extends typeof WebSocket = typeof WebSocket>
  extends ConnectionLimits,
    SocketFeatureOptions,
    ServerFeatureOptions {
  host?: string;
  port?: number;
  backlog?: number;
  /** An `http`/`https` server, or an `http2` one (`createSecureServer()`, `createServer()` for h2c): RFC 8441. */
  server?: HttpServer | HttpsServer | AnyHttp2Server;
  /**
   * sockwire, port mode: serve over HTTP/2 (RFC 8441). `true` is cleartext h2c (prior knowledge); options with a
   * `key`/`cert` (or `pfx`) make a TLS server offering `h2` and, unless `allowHTTP1: false`, `http/1.1`.
   */
  http2?: true | Http2SecureServerOptions;
  /** sockwire: HTTP/2 flow-control windows (default 1 MiB per stream, 8 MiB per session); `false` keeps Node's. */
  http2Windows?: Http2Windows | false;
  verifyClient?: VerifyClientCallbackAsync | VerifyClientCallbackSync;
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  path?: string;
  noServer?: boolean;
  /** Port mode only: ms a connection may take to complete its upgrade (default 30000; 0 = no limit). Not in ws. */
  handshakeTimeout?: number;
  clientTracking?: boolean;
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  WebSocket?: WS;
  /** sockwire: carry `publish()` to the servers sharing this adapter's broker (`RedisPubSub`, `ClusterPubSub`). */
  pubsub?: PubSubAdapter;
}

/** `handleUpgrade`'s callback; `data` (what `authenticate` resolved to) is passed only when that option is set. */
type UpgradeCallback<T> = (websocket: T, request: IncomingMessage, data?: unknown) => void;

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** Port mode: a connection must finish its upgrade within this many ms (not in ws; a slowloris guard). */
const DEFAULT_HANDSHAKE_TIMEOUT = 30000;

/** A WebSocket server (ws 8 API). */
// Typed event overloads (declaration merging with the class below).
export interface WebSocketServer<WS extends typeof WebSocket = typeof WebSocket> {
  on<E extends keyof WebSocketServerEventMap<InstanceType<WS>>>(event: E, listener: EventListener<WebSocketServerEventMap<InstanceType<WS>>, E, WebSocketServer<WS>>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof WebSocketServerEventMap<InstanceType<WS>>>(event: E, listener: EventListener<WebSocketServerEventMap<InstanceType<WS>>, E, WebSocketServer<WS>>): this;
  once(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof WebSocketServerEventMap<InstanceType<WS>>>(event: E, listener: EventListener<WebSocketServerEventMap<InstanceType<WS>>, E, WebSocketServer<WS>>): this;
  off(event: string | symbol, listener: AnyListener): this;
  addListener<E extends keyof WebSocketServerEventMap<InstanceType<WS>>>(event: E, listener: EventListener<WebSocketServerEventMap<InstanceType<WS>>, E, WebSocketServer<WS>>): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  removeListener<E extends keyof WebSocketServerEventMap<InstanceType<WS>>>(event: E, listener: EventListener<WebSocketServerEventMap<InstanceType<WS>>, E, WebSocketServer<WS>>): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
  prependListener<E extends keyof WebSocketServerEventMap<InstanceType<WS>>>(event: E, listener: EventListener<WebSocketServerEventMap<InstanceType<WS>>, E, WebSocketServer<WS>>): this;
  prependListener(event: string | symbol, listener: AnyListener): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class WebSocketServer<WS extends typeof WebSocket = typeof WebSocket> extends EventEmitter {
  /** The resolved options (ws exposes them). */
  options: Required<Pick<ServerOptions<WS>, 'clientTracking' | 'noServer'>> & ServerOptions<WS> & Record<string, unknown>;
  /** Connected clients, when `clientTracking` is on. */
  clients: Set<InstanceType<WS>>;
  private _server: HttpServer | HttpsServer | AnyHttp2Server | PortServer | null = null;
  private _http2: Http2Attachment | null = null;
  private _removeListeners: (() => void) | null = null;
  private _state = RUNNING;
  private _shouldEmitClose = false;
  /** @internal sockwire features shared with this server's sockets. */
  _hub!: ServerHub;
  private _shutdown: Promise<ShutdownResult> | null = null;
  /** @internal Cross-process pub/sub, with the `pubsub` option. */
  _pubsub: TopicBridge | null = null;

  constructor(options: ServerOptions<WS>, callback?: () => void) {
    super();
    const resolved = {
      ...LIMIT_DEFAULTS,
      perMessageDeflate: false as boolean | PerMessageDeflateOptions,
      handleProtocols: null,
      clientTracking: true,
      verifyClient: null,
      noServer: false,
      backlog: null,
      server: null,
      host: null,
      path: null,
      port: null,
      WebSocket: WebSocket as unknown as WS,
      ...options
    } as WebSocketServer<WS>['options'];
    const hasPort = resolved.port != null;
    if ((!hasPort && !resolved.server && !resolved.noServer) || (hasPort && (resolved.server || resolved.noServer)) || (resolved.server && resolved.noServer)) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    const windows = resolveHttp2Windows(resolved.http2Windows);
    if (hasPort) {
      const upgradeRequired = (_req: unknown, res: http.ServerResponse | import('node:http2').Http2ServerResponse): void => {
        const body = http.STATUS_CODES[426] as string;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      };
      const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
      // HTTP/1.1 port mode reads upgrade heads itself, without Node's HTTP parser (README "Port mode").
      const server = resolved.http2 ? createHttp2Server(resolved.http2, upgradeRequired, windows, timeout) : new PortServer(upgradeRequired, timeout, (status, reason) => noteRefusal(this._hub, null, status, reason));
      armHandshakeTimers(server, timeout, 'setSecureContext' in server ? 'secureConnection' : 'connection');
      server.listen(resolved.port, resolved.host ?? undefined, resolved.backlog ?? undefined, callback);
      this._server = server;
    } else if (resolved.server) {
      this._server = resolved.server;
    }
    if (this._server !== null) {
      const server = this._server;
      const onListening = (): boolean => this.emit('listening');
      const onError = (error: Error): boolean => this.emit('error', error);
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
        this.handleUpgrade(req, socket, head, (ws, _request, data) => {
          if (this._hub.authenticate !== undefined) this.emit('connection', ws, req, data);
          else this.emit('connection', ws, req);
        });
      };
      server.on('listening', onListening);
      server.on('error', onError);
      server.on('upgrade', onUpgrade);
      // RFC 8441: extended CONNECT streams of an HTTP/2 server take the same path as HTTP/1.1 upgrades.
      if (isHttp2Server(server)) {
        const onStream = (req: Http2UpgradeRequest, stream: ServerHttp2Stream): void =>
          onUpgrade(req as unknown as IncomingMessage, stream, EMPTY_BUFFER);
        this._http2 = new Http2Attachment(server, windows, hasPort, onStream);
      }
      this._removeListeners = () => {
        server.removeListener('listening', onListening);
        server.removeListener('error', onError);
        server.removeListener('upgrade', onUpgrade);
        this._http2?.detach();
      };
    }
    if (resolved.perMessageDeflate === true) resolved.perMessageDeflate = {};
    this._hub = new ServerHub(this, resolved);
    if (options.pubsub !== undefined) {
      if (!isPubSubAdapter(options.pubsub)) throw new TypeError('The "pubsub" option must be a PubSubAdapter');
      this._pubsub = new TopicBridge(options.pubsub, this._hub, this);
      this._hub.topicWatcher = this._pubsub;
    }
    this.clients = new Set();
    if (!resolved.clientTracking) (this as { clients?: unknown }).clients = undefined;
    this.options = resolved;
  }

  /** The internal server's address (throws in noServer mode). */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    if (this._server === null) return null;
    return this._server.address();
  }

  /** Stop accepting connections; existing clients stay open. `'close'` follows. */
  close(callback?: (error?: Error) => void): void {
    if (this._state === CLOSED) {
      if (callback) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(emitClose, this);
      return;
    }
    if (callback) this.once('close', callback);
    if (this._state === CLOSING) return;
    this._state = CLOSING;
    if (this.options.noServer || this.options.server) {
      if (this._server !== null) {
        (this._removeListeners as () => void)();
        this._removeListeners = null;
        this._server = null;
      }
      if (this.clients !== undefined && this.clients.size > 0) this._shouldEmitClose = true;
      else process.nextTick(emitClose, this);
    } else {
      const server = this._server as HttpServer | PortServer;
      (this._removeListeners as () => void)();
      this._removeListeners = null;
      this._server = null;
      // An HTTP/2 server's close() waits for its sessions: end them with GOAWAY (open streams still finish).
      this._http2?.closeSessions(true);
      server.close(() => emitClose(this));
    }
  }

  /** Whether this server handles `req` (checks `path`); override to route differently. */
  shouldHandle(req: IncomingMessage): boolean {
    const path = this.options.path;
    if (path) {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      if ((query === -1 ? url : url.slice(0, query)) !== path) return false;
    }
    return true;
  }

  /** Complete (or refuse) an HTTP upgrade; `callback(ws, req)` on success. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, callback: UpgradeCallback<InstanceType<WS>>): void {
    socket.on('error', socketOnError);
    markUpgradeStart(req);
    // RFC 8441 §5 on an HTTP/2 stream (noServer users pass the stream of an extended CONNECT, and Node's own
    // Http2ServerRequest, whose headers lack `host`), else RFC 6455 §4.2.1.
    const http2 = isHttp2Stream(socket);
    if (http2) fillHostHeader(req.headers);
    const rejection = http2 ? checkExtendedConnect(req.headers) : checkUpgradeRequest(req);
    if (rejection !== null) {
      this.refuse(req, socket, rejection.status, rejection.message, rejection.headers, rejection.clientError);
      return;
    }
    if (!this.shouldHandle(req)) {
      refuseUpgrade(this._hub, req, socket, 400);
      return;
    }
    const requested = checkRequestedProtocols(req);
    if (!('protocols' in requested)) {
      this.refuse(req, socket, requested.status, requested.message, requested.headers, requested.clientError);
      return;
    }
    const extensions: ExtensionMap = {};
    const offered = req.headers['sec-websocket-extensions'];
    if (this.options.perMessageDeflate && offered !== undefined) {
      const deflate = new PerMessageDeflate(this.options.perMessageDeflate as Record<string, unknown>, true, this.options.maxPayload);
      try {
        const offers: ExtensionOffers = parseExtensionHeader(offered);
        const deflateOffers = offers[PerMessageDeflate.extensionName];
        if (deflateOffers) {
          deflate.accept(deflateOffers);
          extensions[PerMessageDeflate.extensionName] = deflate;
        }
      } catch {
        this.refuse(req, socket, 400, 'Invalid or unacceptable Sec-WebSocket-Extensions header', undefined, true);
        return;
      }
    }
    if (!admitRequest(this._hub, req, socket)) return;
    const key = req.headers['sec-websocket-key'] as string;
    const verifyClient = this.options.verifyClient;
    if (verifyClient) {
      const version = Number(req.headers['sec-websocket-version']);
      const info: VerifyClientInfo = {
        origin: req.headers[version === 8 ? 'sec-websocket-origin' : 'origin'] as string,
        secure: Boolean((req.socket as { authorized?: boolean; encrypted?: boolean }).authorized || (req.socket as { encrypted?: boolean }).encrypted),
        req
      };
      if (verifyClient.length === 2) {
        (verifyClient as VerifyClientCallbackAsync)(info, (verified, code, message, headers) => {
          if (!verified) {
            refuseUpgrade(this._hub, req, socket, code || 401, message, headers as Record<string, string> | undefined);
            return;
          }
          this.completeUpgrade(extensions, key, requested.protocols, req, socket, head, callback);
        });
        return;
      }
      if (!(verifyClient as VerifyClientCallbackSync)(info)) {
        refuseUpgrade(this._hub, req, socket, 401);
        return;
      }
    }
    this.completeUpgrade(extensions, key, requested.protocols, req, socket, head, callback);
  }

  // The closures below live in their own small functions on purpose: a closure created inside completeUpgrade would
  // share its scope, and the per-socket 'close' listener would then keep the request, head and callback alive.
  private authenticateThenUpgrade(
    extensions: ExtensionMap,
    key: string,
    protocols: Set<string>,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: UpgradeCallback<InstanceType<WS>>
  ): void {
    runAuthenticate(this._hub, req, socket, (data) =>
      this.completeUpgrade(extensions, key, protocols, req, socket, head, callback, { data })
    );
  }

  private trackClient(ws: InstanceType<WS>): void {
    this.clients.add(ws);
    ws.on('close', WebSocketServer.untrackClient);
  }

  /** The `'close'` listener every tracked client shares (`this` is the socket): no closure per connection. */
  private static untrackClient(this: WebSocket): void {
    const server = (this._hub as ServerHub).server as WebSocketServer;
    const clients = server.clients;
    clients.delete(this);
    if (server._shouldEmitClose && clients.size === 0) process.nextTick(emitClose, server);
  }

  private completeUpgrade(
    extensions: ExtensionMap,
    key: string,
    protocols: Set<string>,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: UpgradeCallback<InstanceType<WS>>,
    auth?: { data: unknown }
  ): void {
    if (auth === undefined && this._hub.authenticate !== undefined && socket.readable && socket.writable) {
      this.authenticateThenUpgrade(extensions, key, protocols, req, socket, head, callback);
      return;
    }
    if (!socket.readable || !socket.writable) {
      abandonUpgrade(this._hub, req, socket);
      return;
    }
    if (isBound(socket)) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration'
      );
    }
    if (this._state > RUNNING || !hasCapacity(this._hub)) {
      refuseUpgrade(this._hub, req, socket, 503);
      return;
    }
    const WebSocketClass = this.options.WebSocket as WS;
    const ws = new WebSocketClass(null, undefined, this.options as never) as InstanceType<WS>;
    let protocol: string | false | undefined;
    if (protocols.size > 0) {
      const handleProtocols = this.options.handleProtocols;
      protocol = handleProtocols ? handleProtocols(protocols, req) : protocols.values().next().value;
      if (protocol) ws._protocol = protocol;
    }
    let extensionsHeader: string | undefined;
    const deflate = extensions[PerMessageDeflate.extensionName] as PerMessageDeflate | undefined;
    if (deflate !== undefined) {
      extensionsHeader = formatExtensionHeader({ [PerMessageDeflate.extensionName]: [deflate.params] } as unknown as FormattableExtensions);
      ws._extensions = extensions;
    }
    const headers = isHttp2Stream(socket)
      ? formatExtendedConnectAccept(protocol || undefined, extensionsHeader)
      : formatAcceptHeaders(key, protocol || undefined, extensionsHeader);
    this.emit('headers', headers, req);
    clearHandshakeTimer(socket);
    writeAccept(socket, headers);
    socket.removeListener('error', socketOnError);
    ws.setSocket(socket, head, this.options);
    ws._hub = this._hub;
    this._hub.attach(ws, auth?.data, auth !== undefined);
    noteAccepted(this._hub, req, ws);
    if (this.clients !== undefined) this.trackClient(ws);
    if (auth !== undefined) callback(ws, req, auth.data);
    else callback(ws, req);
  }

  /**
   * sockwire: send one message to every open client (needs `clientTracking`), framed once. Returns how many
   * recipients got it written at once, queued, or dropped by `maxBackpressure`.
   */
  broadcast(data: SendData | number, options: BroadcastOptions<InstanceType<WS>> = {}): BroadcastResult {
    if (this.clients === undefined) throw new Error('broadcast() needs clientTracking (the default) to find the clients');
    const message = prepareMessage(data, options, this._hub.zlibOptions);
    return deliver(this.clients, message, options);
  }

  /**
   * sockwire: send one message to the subscribers of `topic` (`ws.subscribe(topic)`), framed once, and with
   * `pubsub` to the subscribers on every other server (asynchronously; `except`/`filter` apply here only).
   * Returns the local counts.
   */
  publish(topic: string, data: SendData | number, options: BroadcastOptions<InstanceType<WS>> = {}): BroadcastResult {
    const subscribers = this._hub.topics.get(topic) as Set<InstanceType<WS>> | undefined;
    const pubsub = this._pubsub;
    if (subscribers === undefined && pubsub === null) return { written: 0, queued: 0, dropped: 0 };
    const message = prepareMessage(data, options, this._hub.zlibOptions);
    const result = subscribers === undefined ? { written: 0, queued: 0, dropped: 0 } : deliver(subscribers, message, options);
    if (pubsub !== null) pubsub.publish(topic, message);
    return result;
  }

  /** sockwire: this server's id in pub/sub envelopes and `'pubsubGap'` events (12 hex digits); null without `pubsub`. */
  get nodeId(): string | null {
    return this._pubsub === null ? null : this._pubsub.node;
  }

  /**
   * sockwire: stop accepting (as `close()`), close every client with `code` (1001), wait for their close frames,
   * terminate the rest after `timeout` ms, and resolve with the counts. Calling it again returns the same promise.
   */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
    if (this._shutdown !== null) return this._shutdown;
    let promise: Promise<ShutdownResult>;
    try {
      promise = shutdownClients(this._hub, this.clients as Set<WebSocket> | undefined, options, () => {
        // HTTP/2: GOAWAY first, so no new stream starts on a session whose WebSockets are closing.
        this._http2?.closeSessions(false);
        if (this._state === RUNNING) this.close();
      });
    } catch (error) {
      return Promise.reject(error);
    }
    const pubsub = this._pubsub;
    if (pubsub !== null) promise = promise.then((result) => pubsub.close().then(() => result));
    this._shutdown = promise;
    return promise;
  }

  /**
   * sockwire: counters since the server was created and gauges of this moment, as a plain object (README
   * "Observability"). Cheap enough to call on every metrics scrape.
   */
  stats(): ServerStats {
    return this._hub.stats();
  }

  /** Refuse with an HTTP error, or hand the decision to a `'wsClientError'` listener for the marked cases. */
  private refuse(
    req: IncomingMessage,
    socket: Duplex,
    status: number,
    message: string,
    headers: Record<string, string> | undefined,
    clientError: boolean
  ): void {
    if (clientError && this.listenerCount('wsClientError') > 0) {
      noteRefusal(this._hub, req, status, message);
      const error = new Error(message);
      this.emit('wsClientError', error, socket, req);
      return;
    }
    refuseUpgrade(this._hub, req, socket, status, message, headers);
  }
}

function emitClose(server: WebSocketServer): void {
  (server as unknown as { _state: number })._state = CLOSED;
  server.emit('close');
}

function socketOnError(this: Duplex): void {
  this.destroy();
}

