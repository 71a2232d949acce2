/**
 * Opening-handshake computations over plain header objects (RFC 6455 §4): keys, request validation, the raw
 * rejection response, the 101 header lines and the client's check of the server's answer. No sockets here: the io
 * layer feeds in Node's lower-cased header objects and writes out the strings produced.
 */
import { Buffer } from 'node:buffer';
import * as crypto from 'node:crypto';
import { GUID } from './constants';
import { parseExtensionHeader, type ExtensionOffers } from './extension-header';
import { parseSubprotocolHeader } from './subprotocol-header';

/** Header values as Node's `IncomingMessage#headers` holds them (names lower-cased). */
export type HeaderValues = Record<string, string | string[] | undefined>;

/** The part of an HTTP upgrade request the server-side checks read; a Node `IncomingMessage` fits. */
export interface UpgradeRequestLike {
  /** HTTP method; anything but `GET` is refused. */
  method?: string;
  /** Request headers, names lower-cased. */
  headers: Record<string, string | string[] | undefined>;
}

/** Why a handshake is refused, and the HTTP response to send for it. */
export interface HandshakeRejection {
  /** HTTP status code of the response. */
  status: number;
  /** Response body, and the message of the error given to `'wsClientError'`. */
  message: string;
  /** Extra response headers (e.g. `Sec-WebSocket-Version: 13, 8`). */
  headers?: Record<string, string>;
  /** True when ws routes the failure through `'wsClientError'` if the server listens for it. */
  clientError: boolean;
}

/** A successful client-side check of the server's 101 response. */
export interface ServerResponseAccepted {
  ok: true;
  /** The subprotocol the server picked, or `''`. */
  protocol: string;
  /** The parsed `Sec-WebSocket-Extensions` header, or `null` when the server sent none. */
  extensions: ExtensionOffers | null;
}

/** A failed client-side check: the message of the error the client emits. */
export interface ServerResponseRejected {
  ok: false;
  message: string;
}

/** What the client offered, to check the server's response against. */
export interface ClientOffer {
  /** The `Sec-WebSocket-Key` the client sent. */
  key: string;
  /** The subprotocols the client asked for (may be empty). */
  protocols: string[];
  /** Names of the extensions the client offered (may be empty). */
  extensionsOffered: string[];
}

// RFC 6455 §4.1: the key is 16 random bytes, base64-encoded, which is always 22 characters plus "==".
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;

/** The status texts Node's `http.STATUS_CODES` holds; the core may not import node:http. */
const STATUS_TEXTS: Readonly<Record<number, string>> = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked',
  424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates',
  507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended',
  511: 'Network Authentication Required'
};

/** The reason phrase for `status` as Node's `http.STATUS_CODES` has it, or `undefined` for an unknown code. */
export function statusText(status: number): string | undefined {
  return Object.prototype.hasOwnProperty.call(STATUS_TEXTS, status) ? STATUS_TEXTS[status] : undefined;
}

/** One header value as a string: Node joins repeated headers with ", ", so a list is joined the same way. */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

/** RFC 6455 §4.2.2 step 5.4 / §1.3: base64(SHA-1(key + GUID)), the `Sec-WebSocket-Accept` value for `key`. */
export function acceptKey(key: string): string {
  // Node ≥ 20.12 has a one-shot digest: no Hash object per handshake.
  if (oneShotHash !== undefined) return oneShotHash('sha1', key + GUID, 'base64');
  return crypto
    .createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** RFC 6455 §4.1: a fresh `Sec-WebSocket-Key`, 16 crypto-random bytes in base64. */
export function generateKey(): string {
  return crypto.randomBytes(16).toString('base64');
}

/**
 * Whether `key` is an acceptable `Sec-WebSocket-Key` (RFC 6455 §4.2.1 item 5): 22 base64 characters then "==",
 * i.e. the encoding of 16 bytes. The check is textual, like ws's (unused low bits of the last character are not
 * required to be zero). A one-element list is read as its element, as ws's check coerces it.
 */
export function isValidKey(key: unknown): boolean {
  const text = Array.isArray(key) ? key.join(',') : key;
  return typeof text === 'string' && KEY_PATTERN.test(text);
}

/**
 * The server's first checks of an upgrade request (RFC 6455 §4.2.1), in ws's order with ws's statuses and
 * messages: method, `Upgrade`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`. `Connection` is not checked (ws
 * leaves it to Node's HTTP parser, which only emits `'upgrade'` when it names the upgrade).
 *
 * @returns the first failure, or `null` when the request passes.
 */
export function checkUpgradeRequest(req: UpgradeRequestLike): HandshakeRejection | null {
  // RFC 6455 §4.2.1 item 1: the method of the request MUST be GET.
  if (req.method !== 'GET') return { status: 405, message: 'Invalid HTTP method', clientError: true };

  // RFC 6455 §4.2.1 item 3: Upgrade contains "websocket" (ASCII case-insensitive; ws requires the exact token).
  const upgrade = headerValue(req.headers.upgrade);
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    return { status: 400, message: 'Invalid Upgrade header', clientError: true };
  }

  // RFC 6455 §4.2.1 item 5.
  if (!isValidKey(headerValue(req.headers['sec-websocket-key']))) {
    return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header', clientError: true };
  }

  // RFC 6455 §4.2.1 item 6 asks for 13; ws also serves version 8 (hybi-08..12). The value is read as a JavaScript
  // number, like ws does, so "013" or "13.0" pass too. RFC 6455 §4.4: a refusal lists the versions we speak.
  const version = Number(headerValue(req.headers['sec-websocket-version']));
  if (version !== 13 && version !== 8) {
    return {
      status: 400,
      message: 'Missing or invalid Sec-WebSocket-Version header',
      headers: { 'Sec-WebSocket-Version': '13, 8' },
      clientError: true
    };
  }
  return null;
}

/** The answer for a request that offers no subprotocol, shared: an empty set is never handed to app code. */
const NO_PROTOCOLS = { protocols: new Set<string>() };

/**
 * Read the subprotocols a client offers (RFC 6455 §4.2.1 item 8, §11.3.4). A missing header means none; a header
 * that does not parse (including an empty one) refuses the handshake.
 */
export function checkRequestedProtocols(req: UpgradeRequestLike): { protocols: Set<string> } | HandshakeRejection {
  const header = headerValue(req.headers['sec-websocket-protocol']);
  if (header === undefined) return NO_PROTOCOLS;
  try {
    return { protocols: parseSubprotocolHeader(header) };
  } catch {
    return { status: 400, message: 'Invalid Sec-WebSocket-Protocol header', clientError: true };
  }
}

/**
 * The exact response ws writes before destroying the socket of a refused handshake: status line,
 * `Connection: close`, `Content-Type: text/html`, `Content-Length`, then `headers` (a header with the same,
 * case-sensitive name replaces a default in place), a blank line and the body.
 *
 * The body is `message`, or the status text when `message` is empty or absent. Write the result as UTF-8:
 * `Content-Length` counts UTF-8 bytes. An unknown status reads "undefined" in the status line, as in ws.
 */
export function formatHttpRejection(
  status: number,
  message?: string,
  headers?: Record<string, string | number>
): string {
  const text = statusText(status);
  const body = message || text || '';
  // Spread (not assignment) so a '__proto__' key in `headers` stays a plain own key.
  const all: Record<string, string | number> = {
    Connection: 'close',
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
    ...headers
  };
  let head = `HTTP/1.1 ${status} ${String(text)}\r\n`;
  for (const name of Object.keys(all)) head += `${name}: ${all[name]}\r\n`;
  return `${head}\r\n${body}`;
}

/**
 * The header lines of a successful handshake response (RFC 6455 §4.2.2 step 5), in the order and casing ws passes
 * to the server's `'headers'` event; the io layer joins them with CRLF and ends with a blank line.
 */
export function formatAcceptHeaders(key: string, protocol?: string, extensionsHeader?: string): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensionsHeader) lines.push(`Sec-WebSocket-Extensions: ${extensionsHeader}`);
  return lines;
}

function reject(message: string): ServerResponseRejected {
  return { ok: false, message };
}

/**
 * The client's check of a 101 response (RFC 6455 §4.1, "the client MUST validate the server's response"), in ws's
 * order with ws's messages: `Upgrade`, `Sec-WebSocket-Accept`, `Sec-WebSocket-Protocol`, then
 * `Sec-WebSocket-Extensions`. Extension parameters are not judged here: the caller hands `extensions` to the
 * extension (e.g. permessage-deflate), whose refusal ws also reports as "Invalid Sec-WebSocket-Extensions header".
 */
export function checkServerResponse(
  headers: HeaderValues,
  expected: ClientOffer
): ServerResponseAccepted | ServerResponseRejected {
  const upgrade = headerValue(headers.upgrade);
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') return reject('Invalid Upgrade header');

  // RFC 6455 §4.1 item 4 of the client's checks.
  if (headerValue(headers['sec-websocket-accept']) !== acceptKey(expected.key)) {
    return reject('Invalid Sec-WebSocket-Accept header');
  }
  return checkNegotiatedHeaders(headers, expected);
}

/**
 * The checks of a server's answer shared by HTTP/1.1 and HTTP/2 (RFC 8441 §5 keeps them): `Sec-WebSocket-Protocol`
 * then `Sec-WebSocket-Extensions`, with ws's messages.
 */
export function checkNegotiatedHeaders(
  headers: HeaderValues,
  expected: Pick<ClientOffer, 'protocols' | 'extensionsOffered'>
): ServerResponseAccepted | ServerResponseRejected {
  // RFC 6455 §4.1 item 6: the server may only pick one of the offered subprotocols (compared exactly).
  const protocol = headerValue(headers['sec-websocket-protocol']);
  if (protocol !== undefined) {
    if (expected.protocols.length === 0) return reject('Server sent a subprotocol but none was requested');
    if (!expected.protocols.includes(protocol)) return reject('Server sent an invalid subprotocol');
  } else if (expected.protocols.length > 0) {
    return reject('Server sent no subprotocol');
  }

  // RFC 6455 §4.1 item 5: only extensions the client offered may be in use.
  const extensionsHeader = headerValue(headers['sec-websocket-extensions']);
  let extensions: ExtensionOffers | null = null;
  if (extensionsHeader !== undefined) {
    if (expected.extensionsOffered.length === 0) {
      return reject('Server sent a Sec-WebSocket-Extensions header but no extension was requested');
    }
    try {
      extensions = parseExtensionHeader(extensionsHeader);
    } catch {
      return reject('Invalid Sec-WebSocket-Extensions header');
    }
    for (const name of Object.keys(extensions)) {
      if (!expected.extensionsOffered.includes(name)) {
        return reject('Server indicated an extension that was not requested');
      }
    }
  }
  return { ok: true, protocol: protocol ?? '', extensions };
}
