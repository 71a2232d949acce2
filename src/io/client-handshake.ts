/**
 * The client side of the opening handshake (RFC 6455 §4.1): URL checks, the HTTP request, redirects, and the
 * response checks before the socket is handed to the WebSocket. Through a proxy, the request goes over a tunnel
 * (proxy-tunnel.ts) and is otherwise the same.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { unescape } from 'node:querystring';
import type { Duplex } from 'node:stream';
import { generateKey, checkServerResponse } from '../core/handshake';
import { formatExtensionHeader, isTokenChar, type FormattableExtensions } from '../core/extension-header';
import { PerMessageDeflate } from '../extensions/permessage-deflate';
import type { ExtensionMap } from './sender';
import { planProxy, type ProxyPlan } from './proxy-plan';
import { ProxyTunnel, tunnelledRequest, type TunnelTarget } from './proxy-tunnel';
import { connectHttp2, wantsHttp2 } from './http2-client';

/** What the handshake needs from the WebSocket it connects. */
export interface ClientOwner {
  readonly readyState: number;
  _url: string;
  _req: http.ClientRequest | null;
  _redirects: number;
  _protocol: string;
  _extensions: ExtensionMap;
  _preState: 0 | 2 | 3;
  readonly _resolvedLimits: { maxPayload: number };
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
  setSocket(socket: Duplex, head: Buffer, options: { generateMask?: (mask: Buffer) => void; response?: http.IncomingMessage }): void;
  _abortHandshake(message: string | Error): void;
  _emitError(error: Error): void;
  _emitClose(): void;
}

/** Client options the handshake reads (the rest goes to `http.request`). */
export interface HandshakeOptions {
  protocolVersion?: number;
  perMessageDeflate?: boolean | Record<string, unknown>;
  followRedirects?: boolean;
  maxRedirects?: number;
  handshakeTimeout?: number;
  origin?: string;
  headers?: Record<string, unknown>;
  finishRequest?: (request: http.ClientRequest, websocket: unknown) => void;
  createConnection?: (options: Record<string, unknown>, callback?: () => void) => Duplex;
  generateMask?: (mask: Buffer) => void;
  [option: string]: unknown;
}

const SUPPORTED_VERSIONS = [8, 13];

/** State kept across redirects so that credentials never leak to another host. */
interface RedirectOrigin {
  ipc: boolean;
  secure: boolean;
  hostOrSocketPath: string | undefined;
}
const redirectOrigins = new WeakMap<ClientOwner, RedirectOrigin>();

/**
 * Validate the URL and options, then send the upgrade request. Throws for bad arguments on the first attempt.
 * `connection`, from an HTTP/2 attempt whose TLS ALPN picked `http/1.1`, is the connected socket to send it on.
 */
export function connectClient(
  websocket: ClientOwner,
  address: string | URL,
  protocols: string[],
  options: HandshakeOptions,
  connection?: Duplex
): void {
  const opts: Record<string, unknown> & HandshakeOptions = {
    protocolVersion: 13,
    perMessageDeflate: true,
    followRedirects: false,
    maxRedirects: 10,
    ...options,
    // Read from `options` by planProxy; kept out of what reaches http.request and net/tls.connect (whose sockets
    // keep their options), so the proxy's credentials are never part of the target's socket.
    proxy: undefined,
    socketPath: undefined,
    hostname: undefined,
    protocol: undefined,
    timeout: undefined,
    method: 'GET',
    host: undefined,
    path: undefined,
    port: undefined
  };
  if (!SUPPORTED_VERSIONS.includes(opts.protocolVersion as number)) {
    throw new RangeError(
      `Unsupported protocol version: ${String(opts.protocolVersion)} (supported versions: ${SUPPORTED_VERSIONS.join(', ')})`
    );
  }

  let url: URL;
  if (address instanceof URL) url = address;
  else {
    try {
      url = new URL(address);
    } catch {
      throw new SyntaxError(`Invalid URL: ${address}`);
    }
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  websocket._url = url.href;
  const secure = url.protocol === 'wss:';
  const ipc = url.protocol === 'ws+unix:';
  let invalid: string | undefined;
  if (url.protocol !== 'ws:' && !secure && !ipc) {
    invalid = 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';
  } else if (ipc && !url.pathname) invalid = "The URL's pathname is empty";
  else if (url.hash) invalid = 'The URL contains a fragment identifier';
  if (invalid !== undefined) {
    const error = new SyntaxError(invalid);
    if (websocket._redirects === 0) throw error;
    failLater(websocket, error);
    return;
  }

  const key = generateKey();
  const protocolSet = new Set<string>();
  let deflate: PerMessageDeflate | undefined;

  opts.defaultPort = opts.defaultPort ?? (secure ? 443 : 80);
  opts.port = url.port || (secure ? 443 : 80);
  opts.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // Each attempt (redirect hops included) decides on its own proxy, so no_proxy applies to every hop's host.
  let proxy: ProxyPlan | null;
  try {
    proxy = planProxy(options, { secure, ipc, host: opts.host as string, port: Number(opts.port) });
  } catch (error) {
    if (websocket._redirects === 0) throw error;
    failLater(websocket, error as Error);
    return;
  }
  let request: (options: http.RequestOptions) => http.ClientRequest = secure ? https.request : http.request;
  if (proxy !== null) {
    const tunnel = new ProxyTunnel(proxy, proxyTarget(opts, secure), (response) => websocket.emit('unexpected-response', websocket._req, response));
    request = tunnelledRequest(tunnel, secure);
  } else if (connection !== undefined) opts.createConnection = () => connection;
  else opts.createConnection = opts.createConnection ?? (secure ? tlsConnect : netConnect);
  const headers: Record<string, unknown> = {
    ...opts.headers,
    'Sec-WebSocket-Version': opts.protocolVersion,
    'Sec-WebSocket-Key': key,
    Connection: 'Upgrade',
    Upgrade: 'websocket'
  };
  opts.headers = headers;
  opts.path = url.pathname + url.search;
  opts.timeout = opts.handshakeTimeout;

  if (opts.perMessageDeflate) {
    deflate = new PerMessageDeflate(
      opts.perMessageDeflate === true ? {} : opts.perMessageDeflate,
      false,
      websocket._resolvedLimits.maxPayload
    );
    headers['Sec-WebSocket-Extensions'] = formatExtensionHeader({ [PerMessageDeflate.extensionName]: deflate.offer() } as unknown as FormattableExtensions);
  }
  if (protocols.length > 0) {
    for (const protocol of protocols) {
      if (typeof protocol !== 'string' || !isToken(protocol) || protocolSet.has(protocol)) {
        throw new SyntaxError('An invalid or duplicated subprotocol was specified');
      }
      protocolSet.add(protocol);
    }
    headers['Sec-WebSocket-Protocol'] = protocols.join(',');
  }
  if (opts.origin) {
    // RFC 6455 §4.1 (version 13) vs draft hybi-08's header name.
    if ((opts.protocolVersion as number) < 13) headers['Sec-WebSocket-Origin'] = opts.origin;
    else headers.Origin = opts.origin;
  }
  // The URL keeps credentials percent-encoded; HTTP Basic wants the plain text (RFC 7617).
  if (url.username || url.password) opts.auth = `${unescape(url.username)}:${unescape(url.password)}`;
  if (ipc) {
    const parts = (opts.path as string).split(':');
    opts.socketPath = parts[0];
    opts.path = parts[1];
  }

  // RFC 8441: over a pooled HTTP/2 session when asked for and possible (not through a proxy: HTTP/1.1 tunnels only);
  // it falls back here on HTTP/1.1.
  if (proxy === null && wantsHttp2(options, opts.protocolVersion, secure, ipc)) {
    const fallback = (socket?: Duplex): void => connectClient(websocket, address, protocols, { ...options, http2: false }, socket);
    const target = { url, secure, host: opts.host as string, port: Number(opts.port), auth: opts.auth as string | undefined };
    connectHttp2(websocket, { ...target, headers, protocols: [...protocolSet], deflate, options: opts, fallback });
    return;
  }

  let req: http.ClientRequest;
  if (opts.followRedirects) {
    if (websocket._redirects === 0) {
      redirectOrigins.set(websocket, {
        ipc,
        secure,
        hostOrSocketPath: ipc ? (opts.socketPath as string) : url.host
      });
      // Later hops compare header names case-insensitively, so keep the user's headers lower-cased.
      const lowered: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(options.headers ?? {})) lowered[name.toLowerCase()] = value;
      options = { ...options, headers: lowered };
    } else if (websocket.listenerCount('redirect') === 0) {
      const origin = redirectOrigins.get(websocket) as RedirectOrigin;
      const sameHost = ipc
        ? origin.ipc && opts.socketPath === origin.hostOrSocketPath
        : !origin.ipc && url.host === origin.hostOrSocketPath;
      if (!sameHost || (origin.secure && !secure)) {
        // Never forward credentials to another host, or from https to http.
        delete headers.authorization;
        delete headers.cookie;
        if (!sameHost) delete headers.host;
        opts.auth = undefined;
      }
    }
    const userHeaders = options.headers as Record<string, unknown>;
    if (opts.auth && !userHeaders.authorization) {
      userHeaders.authorization = 'Basic ' + Buffer.from(opts.auth as string).toString('base64');
    }
    req = request(opts as http.RequestOptions);
    websocket._req = req;
    if (websocket._redirects > 0) websocket.emit('redirect', websocket._url, req);
  } else {
    req = request(opts as http.RequestOptions);
    websocket._req = req;
  }

  if (opts.timeout) {
    req.on('timeout', () => websocket._abortHandshake('Opening handshake has timed out'));
  }
  req.on('error', (error: Error) => {
    if (websocket._req !== req || (req as { _sockwireAborted?: boolean })._sockwireAborted) return;
    websocket._req = null;
    failLater(websocket, error, false);
  });
  req.on('response', (res: http.IncomingMessage) => {
    const location = res.headers.location;
    const status = res.statusCode ?? 0;
    if (location && opts.followRedirects && status >= 300 && status < 400) {
      if (++websocket._redirects > (opts.maxRedirects as number)) {
        websocket._abortHandshake('Maximum redirects exceeded');
        return;
      }
      req.destroy();
      let next: URL;
      try {
        next = new URL(location, address);
      } catch {
        failLater(websocket, new SyntaxError(`Invalid URL: ${location}`), false);
        return;
      }
      connectClient(websocket, next, protocols, options);
    } else if (!websocket.emit('unexpected-response', req, res)) {
      websocket._abortHandshake(`Unexpected server response: ${status}`);
    }
  });
  req.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    websocket.emit('upgrade', res);
    // An 'upgrade' listener may have closed or terminated the socket.
    if (websocket.readyState !== 0) return;
    websocket._req = null;
    const verdict = checkServerResponse(res.headers, {
      key,
      protocols: [...protocolSet],
      extensionsOffered: deflate === undefined ? [] : [PerMessageDeflate.extensionName]
    });
    if (!verdict.ok) {
      abortUpgradedSocket(websocket, socket, verdict.message);
      return;
    }
    if (verdict.protocol) websocket._protocol = verdict.protocol;
    if (verdict.extensions !== null && deflate !== undefined) {
      try {
        deflate.accept(verdict.extensions[PerMessageDeflate.extensionName]);
      } catch {
        abortUpgradedSocket(websocket, socket, 'Invalid Sec-WebSocket-Extensions header');
        return;
      }
      websocket._extensions = { [PerMessageDeflate.extensionName]: deflate };
    }
    websocket.setSocket(socket, head, { generateMask: opts.generateMask, response: res });
  });

  if (opts.finishRequest) opts.finishRequest(req, websocket);
  else req.end();
}

/** Fail after the response arrived: destroy the socket, then 'error' and 'close'. */
function abortUpgradedSocket(websocket: ClientOwner, socket: Duplex, message: string): void {
  websocket._preState = 2;
  const error = new Error(message);
  socket.once('error', (err: Error) => websocket._emitError(err));
  socket.once('close', () => websocket._emitClose());
  socket.destroy(error);
}

function failLater(websocket: ClientOwner, error: Error, nextTick = true): void {
  const run = (): void => {
    websocket._preState = 2;
    websocket._emitError(error);
    websocket._emitClose();
  };
  if (nextTick) process.nextTick(run);
  else run();
}

/** The tunnel's view of this attempt: the target, its TLS (as {@link tlsConnect}, over the tunnel), and timeouts. */
function proxyTarget(opts: Record<string, unknown>, secure: boolean): TunnelTarget {
  return {
    host: opts.host as string,
    port: Number(opts.port),
    secureSocket: secure ? (socket) => tlsConnect({ ...opts, socket, timeout: undefined }) : undefined,
    idleTimeout: opts.handshakeTimeout as number | undefined,
    localAddress: opts.localAddress as string | undefined,
    family: opts.family as number | undefined,
    lookup: opts.lookup as TunnelTarget['lookup']
  };
}

function netConnect(options: Record<string, unknown>): Duplex {
  const connectOptions = { ...options, path: options.socketPath } as net.NetConnectOpts;
  return net.connect(connectOptions);
}

function tlsConnect(options: Record<string, unknown>): tls.TLSSocket {
  const connectOptions = { ...options, path: undefined } as tls.ConnectionOptions & { servername?: string };
  if (!options.servername && options.servername !== '') {
    connectOptions.servername = net.isIP(options.host as string) ? '' : (options.host as string);
  }
  return tls.connect(connectOptions);
}

/** RFC 6455 §4.1: each subprotocol is an RFC 7230 token. */
function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTokenChar(value.charCodeAt(i))) return false;
  return true;
}
