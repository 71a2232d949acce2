/**
 * The request object a WebSocket extended CONNECT (RFC 8441) is handed to `verifyClient`, `handleProtocols`,
 * `authenticate`, `shouldHandle` and `'connection'` as: shaped like Node's `Http2ServerRequest` (and enough of an
 * `IncomingMessage` for code written against HTTP/1.1), without Node's compatibility layer behind it.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';

/**
 * Code written for HTTP/1.1 reads `req.headers.host`; HTTP/2 carries it as `:authority` (RFC 9113 §8.3.1). Copy it
 * into `host` when there is none (in place: also for Node's own `Http2ServerRequest` handed in by noServer apps).
 */
export function fillHostHeader(headers: IncomingHttpHeaders): void {
  const authority = headers[':authority'];
  if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
}

/** An HTTP/2 WebSocket handshake request. */
export class Http2UpgradeRequest {
  /** `'CONNECT'` (RFC 8441 §4). */
  readonly method: string;
  /** The `:path` pseudo-header: path and query. */
  readonly url: string;
  /** The request headers as Node gives them (pseudo-headers included), plus `host` copied from `:authority`. */
  readonly headers: IncomingHttpHeaders;
  /** Names and values in arrival order, as Node gives them. */
  readonly rawHeaders: string[];
  /** `:authority`. */
  readonly authority: string;
  /** `:scheme` (`https` or `http`). */
  readonly scheme: string;
  /** The stream this request arrived on. */
  readonly stream: ServerHttp2Stream;
  /** The session's socket (Node's guarded proxy), taken at arrival so it stays readable after the session ends. */
  readonly socket: Socket;
  /** `'2.0'`, as `Http2ServerRequest#httpVersion`. */
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[] | undefined) {
    this.stream = stream;
    this.method = String(headers[':method']);
    this.url = String(headers[':path'] ?? '');
    this.authority = String(headers[':authority'] ?? '');
    this.scheme = String(headers[':scheme'] ?? '');
    this.headers = { ...headers };
    fillHostHeader(this.headers);
    this.rawHeaders = rawHeaders ?? [];
    this.socket = stream.session?.socket as Socket;
  }

  /** Alias of {@link socket}, as on `IncomingMessage`. */
  get connection(): Socket {
    return this.socket;
  }
}
