/**
 * The client side of RFC 8441: one WebSocket as an extended CONNECT stream on a pooled HTTP/2 session. The
 * HTTP/1.1 handshake (client-handshake.ts) has already checked the URL and options and built the headers; this
 * module turns them into the HTTP/2 request, waits for `:status`, checks the negotiation and hands the stream to
 * the WebSocket, or asks for the HTTP/1.1 path when the server cannot take WebSockets over HTTP/2.
 */
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { EMPTY_BUFFER, NOOP } from '../core/constants';
import { checkExtendedConnectResponse, formatExtendedConnectRequest } from '../core/http2-handshake';
import { PerMessageDeflate } from '../extensions/permessage-deflate';
import { destroyTransport } from './handshake-response';
import { resolveHttp2Windows, type Http2Windows } from './http2-server';
import { requestSession, type SessionOutcome, type SessionTarget } from './http2-session-pool';

/** What this module needs from the WebSocket it connects (a subset of the HTTP/1.1 handshake's `ClientOwner`). */
export interface Http2ClientOwner {
  readonly readyState: number;
  _req: unknown;
  _protocol: string;
  _extensions: Record<string, unknown>;
  _preState: 0 | 2 | 3;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  setSocket(socket: ClientHttp2Stream, head: Buffer, options: { generateMask?: (mask: Buffer) => void }): void;
  _abortHandshake(message: string | Error): void;
  _emitError(error: Error): void;
  _emitClose(): void;
}

/** The `http2` client option: `true` uses HTTP/2 where TLS ALPN picks it; `'prior-knowledge'` also for `ws:` (h2c). */
export type Http2ClientOption = boolean | 'prior-knowledge';

/** Options that decide what connection a session is, so sessions are shared only between equal values. */
const CONNECT_OPTION_NAMES = [
  'ca', 'cert', 'key', 'pfx', 'passphrase', 'crl', 'ciphers', 'ecdhCurve', 'minVersion', 'maxVersion', 'secureContext',
  'secureOptions', 'rejectUnauthorized', 'servername', 'checkServerIdentity', 'sigalgs', 'localAddress', 'family'
];

/** What the HTTP/1.1 handshake hands over. */
export interface Http2Plan {
  url: URL;
  secure: boolean;
  host: string;
  port: number;
  /** The request headers the HTTP/1.1 handshake built (negotiation headers and the app's own). */
  headers: Record<string, unknown>;
  /** `user:password` from the URL, sent as Basic credentials (RFC 7617). */
  auth?: string;
  protocols: string[];
  deflate: PerMessageDeflate | undefined;
  options: Record<string, unknown> & { handshakeTimeout?: number; generateMask?: (mask: Buffer) => void; http2Windows?: Http2Windows | false };
  /**
   * Start over on HTTP/1.1 (RFC 8441 §3: the server does not speak WebSockets over HTTP/2), on `socket` when given
   * (the TLS connection whose ALPN picked `http/1.1`), else on a new connection.
   */
  fallback: (socket?: TLSSocket) => void;
}

/**
 * Whether this connection attempt should try HTTP/2: `wss:` with `http2` set (ALPN decides), `ws:` only with
 * `'prior-knowledge'`; never for Unix sockets, WebSocket version 8, or a custom `createConnection`/`agent`.
 */
export function wantsHttp2(options: Record<string, unknown>, protocolVersion: unknown, secure: boolean, ipc: boolean): boolean {
  const mode = options.http2 as Http2ClientOption | undefined;
  if (!mode || ipc || protocolVersion !== 13 || options.agent || options.createConnection !== undefined) return false;
  return secure || mode === 'prior-knowledge';
}

/** The stand-in for the HTTP request while connecting, so that `close()`/`terminate()` can abort the handshake. */
class PendingStream {
  /** Read by the WebSocket's abort (there is no socket of our own to destroy). */
  readonly socket = null;
  _sockwireAborted = false;
  stream: ClientHttp2Stream | null = null;
  cancelSession: (() => void) | null = null;
  timer: NodeJS.Timeout | undefined;

  destroy(): void {
    clearTimeout(this.timer);
    this.cancelSession?.();
    this.cancelSession = null;
    if (this.stream !== null) destroyTransport(this.stream);
  }
}

/** Connect `websocket` over HTTP/2 as `plan` says. */
export function connectHttp2(websocket: Http2ClientOwner, plan: Http2Plan): void {
  const connectOptions: Record<string, unknown> = {};
  for (const name of CONNECT_OPTION_NAMES) if (plan.options[name] !== undefined) connectOptions[name] = plan.options[name];
  const target: SessionTarget = {
    secure: plan.secure,
    host: plan.host,
    port: plan.port,
    connectOptions,
    windows: resolveHttp2Windows(plan.options.http2Windows)
  };
  const pending = new PendingStream();
  websocket._req = pending;
  const timeout = plan.options.handshakeTimeout;
  if (timeout !== undefined && timeout > 0) {
    pending.timer = setTimeout(() => websocket._abortHandshake('Opening handshake has timed out'), timeout);
  }
  pending.cancelSession = requestSession(target, (outcome) => onSession(websocket, plan, pending, outcome));
}

function onSession(websocket: Http2ClientOwner, plan: Http2Plan, pending: PendingStream, outcome: SessionOutcome): void {
  pending.cancelSession = null;
  if (outcome.kind === 'fallback') {
    clearTimeout(pending.timer);
    websocket._req = null;
    plan.fallback(outcome.socket);
    return;
  }
  if (outcome.kind === 'error') {
    fail(websocket, pending, outcome.error);
    return;
  }
  let stream: ClientHttp2Stream;
  try {
    stream = openStream(outcome.session, plan);
  } catch (error) {
    outcome.release();
    fail(websocket, pending, error as Error);
    return;
  }
  pending.stream = stream;
  stream.once('close', outcome.release);
  const onError = (error: Error): void => {
    if (websocket._req === (pending as unknown)) fail(websocket, pending, error);
  };
  stream.on('error', onError);
  stream.once('response', (headers: IncomingHttpHeaders) => {
    // From here the WebSocket's connection (or the failure path) owns the stream's errors.
    stream.removeListener('error', onError);
    stream.on('error', NOOP);
    onResponse(websocket, plan, pending, stream, headers);
  });
}

/** RFC 8441 §5: the extended CONNECT. */
function openStream(session: ClientHttp2Session, plan: Http2Plan): ClientHttp2Stream {
  const headers: Record<string, unknown> = { ...plan.headers };
  if (plan.auth && headers.authorization === undefined && headers.Authorization === undefined) {
    headers.authorization = 'Basic ' + Buffer.from(plan.auth).toString('base64');
  }
  const request = formatExtendedConnectRequest({
    scheme: plan.secure ? 'https' : 'http',
    authority: plan.url.host,
    path: plan.url.pathname + plan.url.search,
    headers
  });
  return session.request(request, { endStream: false });
}

function onResponse(websocket: Http2ClientOwner, plan: Http2Plan, pending: PendingStream, stream: ClientHttp2Stream, headers: IncomingHttpHeaders): void {
  if (websocket._req !== (pending as unknown)) return;
  clearTimeout(pending.timer);
  const verdict = checkExtendedConnectResponse(headers, {
    protocols: plan.protocols,
    extensionsOffered: plan.deflate === undefined ? [] : [PerMessageDeflate.extensionName]
  });
  const response = { statusCode: Number(headers[':status']), headers, httpVersion: '2.0', stream };
  if (!verdict.ok && 'status' in verdict) {
    // As on HTTP/1.1 for a non-101: an 'unexpected-response' listener takes the answer over (and ends the
    // handshake with close() or terminate()); without one the handshake fails.
    if (!websocket.emit('unexpected-response', pending, response)) fail(websocket, pending, new Error(verdict.message));
    return;
  }
  if (verdict.ok) {
    websocket.emit('upgrade', response);
    // An 'upgrade' listener may have closed or terminated the socket.
    if (websocket.readyState !== 0) return;
  }
  websocket._req = null;
  if (!verdict.ok) {
    fail(websocket, pending, new Error(verdict.message));
    return;
  }
  if (verdict.protocol) websocket._protocol = verdict.protocol;
  if (verdict.extensions !== null && plan.deflate !== undefined) {
    try {
      plan.deflate.accept(verdict.extensions[PerMessageDeflate.extensionName]);
    } catch {
      fail(websocket, pending, new Error('Invalid Sec-WebSocket-Extensions header'));
      return;
    }
    websocket._extensions = { [PerMessageDeflate.extensionName]: plan.deflate };
  }
  websocket.setSocket(stream, EMPTY_BUFFER, { generateMask: plan.options.generateMask });
}

/** The handshake failed: reset our stream (CANCEL) if any, then 'error' and 'close' (1006). */
function fail(websocket: Http2ClientOwner, pending: PendingStream, error: Error): void {
  websocket._req = null;
  pending.destroy();
  websocket._preState = 2;
  websocket._emitError(error);
  websocket._emitClose();
}
