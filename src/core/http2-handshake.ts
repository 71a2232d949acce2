/**
 * The RFC 8441 handshake (WebSockets over HTTP/2) as computations over plain header objects: the server's checks
 * of an extended CONNECT (§4, §5), the header block of its answer, the client's request headers and its check of
 * the response. HTTP/2 header names are lower-case and the request line lives in pseudo-headers (`:method`,
 * `:protocol`, `:path`, `:authority`, `:scheme`). There is no `Sec-WebSocket-Key`/`Accept` and no `Upgrade` or
 * `Connection` header (RFC 8441 §5): the stream itself is the tunnel. No I/O here: the io layer hands in the header
 * objects Node gives it and sends what comes out.
 */
import type { HandshakeRejection, HeaderValues, ServerResponseAccepted, ServerResponseRejected } from './handshake';
import { checkNegotiatedHeaders } from './handshake';

/** RFC 8441 §5: the `:protocol` pseudo-header value of a WebSocket extended CONNECT. */
export const WEBSOCKET_PROTOCOL = 'websocket';

/** RFC 8441 §5 / RFC 6455 §4.1: the only WebSocket version spoken over HTTP/2. */
export const HTTP2_WEBSOCKET_VERSION = '13';

/** The status line that starts the header lines passed to the server's `'headers'` event for an HTTP/2 stream. */
export const HTTP2_ACCEPT_STATUS_LINE = 'HTTP/2 200';

/**
 * RFC 9113 §8.2.2: connection-specific header fields must not appear in HTTP/2; a line the app adds with one of
 * these names in `'headers'` is dropped instead of making the stream malformed.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/** Whether a stream's request headers are an extended CONNECT (RFC 8441 §4): a `:protocol` beside `CONNECT`. */
export function isExtendedConnect(headers: HeaderValues): boolean {
  return headers[':method'] === 'CONNECT' && headers[':protocol'] !== undefined;
}

/**
 * The server's checks of an extended CONNECT (RFC 8441 §4 and §5), each failure with its status: `:method` must be
 * `CONNECT` (405), `:protocol` must be `websocket` (400; HTTP upgrade tokens compare case-insensitively, RFC 9110
 * §7.8), `:path`, `:scheme` and `:authority` must be present (400, RFC 8441 §4 "MUST") and
 * `sec-websocket-version` must be 13 (400 with the version we speak, RFC 6455 §4.4).
 *
 * @returns the first failure, or `null` when the request passes.
 */
export function checkExtendedConnect(headers: HeaderValues): HandshakeRejection | null {
  if (headers[':method'] !== 'CONNECT') return { status: 405, message: 'Invalid HTTP method', clientError: true };
  const protocol = headers[':protocol'];
  if (typeof protocol !== 'string' || protocol.toLowerCase() !== WEBSOCKET_PROTOCOL) {
    return { status: 400, message: 'Invalid :protocol pseudo-header', clientError: true };
  }
  for (const name of [':path', ':scheme', ':authority']) {
    const value = headers[name];
    if (typeof value !== 'string' || value.length === 0) {
      return { status: 400, message: `Missing ${name} pseudo-header`, clientError: true };
    }
  }
  if (headers['sec-websocket-version'] !== HTTP2_WEBSOCKET_VERSION) {
    return {
      status: 400,
      message: 'Missing or invalid Sec-WebSocket-Version header',
      headers: { 'Sec-WebSocket-Version': HTTP2_WEBSOCKET_VERSION },
      clientError: true
    };
  }
  return null;
}

/**
 * The header lines of a successful answer (RFC 8441 §5: `:status` 200, plus the negotiated subprotocol and
 * extensions as on HTTP/1.1), in the same form the HTTP/1.1 path passes to `'headers'`: a status line first, then
 * `Name: value` lines the app may add to.
 */
export function formatExtendedConnectAccept(protocol?: string, extensionsHeader?: string): string[] {
  const lines = [HTTP2_ACCEPT_STATUS_LINE];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensionsHeader) lines.push(`Sec-WebSocket-Extensions: ${extensionsHeader}`);
  return lines;
}

/**
 * Turn `Name: value` header lines (the status line, if any, first) into an HTTP/2 header object: names
 * lower-cased (RFC 9113 §8.2.1), repeated names collected into a list, connection-specific names dropped
 * (§8.2.2), `:status` taken from the status line. Lines without a colon are ignored.
 */
export function headerLinesToObject(lines: readonly string[], status: number): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = Object.create(null) as Record<string, string | string[] | number>;
  out[':status'] = status;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    // A status line ("HTTP/2 200") has no colon; a pseudo-header line from the app starts with one: both skipped.
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name.length === 0 || CONNECTION_SPECIFIC.has(name)) continue;
    const value = line.slice(colon + 1).trim();
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else out[name] = Array.isArray(previous) ? [...previous, value] : [String(previous), value];
  }
  return out;
}

/** What a client puts in its extended CONNECT. */
export interface ExtendedConnectRequest {
  /** `:scheme`: `https` for `wss:`, `http` for `ws:` (RFC 8441 §5). */
  scheme: 'https' | 'http';
  /** `:authority`: host and port as in the URL (a `host` header given by the app replaces it). */
  authority: string;
  /** `:path`: path and query of the URL. */
  path: string;
  /**
   * Every other header, in any case, as the HTTP/1.1 handshake would send them (`Sec-WebSocket-Protocol`,
   * `Sec-WebSocket-Extensions`, `Origin`, `Authorization`, the app's own). Connection-specific ones and
   * `Sec-WebSocket-Key` are dropped; `Sec-WebSocket-Version` is always 13.
   */
  headers: Record<string, unknown>;
}

/**
 * The request header block of a WebSocket extended CONNECT (RFC 8441 §5): the pseudo-headers, version 13 and the
 * same negotiation headers as on HTTP/1.1, names lower-cased (RFC 9113 §8.2.1); `Sec-WebSocket-Key`, `Upgrade` and
 * `Connection` never appear.
 */
export function formatExtendedConnectRequest(request: ExtendedConnectRequest): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let authority = request.authority;
  for (const [rawName, value] of Object.entries(request.headers)) {
    if (value === undefined || value === null) continue;
    const name = rawName.toLowerCase();
    if (name === 'host') {
      authority = String(value);
      continue;
    }
    if (name.startsWith(':') || CONNECTION_SPECIFIC.has(name) || name === 'sec-websocket-key') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  out[':method'] = 'CONNECT';
  out[':protocol'] = WEBSOCKET_PROTOCOL;
  out[':scheme'] = request.scheme;
  out[':authority'] = authority;
  out[':path'] = request.path;
  out['sec-websocket-version'] = HTTP2_WEBSOCKET_VERSION;
  return out;
}

/** The client's verdict on a status other than 200: the handshake failed before any negotiation was checked. */
export interface UnexpectedStatus extends ServerResponseRejected {
  /** The `:status` the server sent (`NaN` when it is not a number). */
  status: number;
}

/**
 * The client's check of the server's answer to its extended CONNECT (RFC 8441 §5): `:status` 200 is the only
 * success (RFC 8441 §5 "a 200 response", not any 2xx), any other status fails with ws's message for a non-101
 * answer; then the subprotocol and extension checks of RFC 6455 §4.1, with ws's messages.
 */
export function checkExtendedConnectResponse(
  headers: HeaderValues & { ':status'?: unknown },
  expected: { protocols: string[]; extensionsOffered: string[] }
): ServerResponseAccepted | ServerResponseRejected | UnexpectedStatus {
  const status = Number(headers[':status']);
  if (status !== 200) return { ok: false, status, message: `Unexpected server response: ${String(headers[':status'])}` };
  return checkNegotiatedHeaders(headers, expected);
}
