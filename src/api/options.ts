/**
 * Every option default of the facade, in one place, each with the reason it has that value. Values match ws 8.
 */
import type { IncomingMessage } from 'node:http';
import type { ClientRequestArgs, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import type { ProxyOption } from '../io/proxy-plan';
import type { Http2Windows } from '../io/http2-server';

/** permessage-deflate settings (RFC 7692 §7.1), ws's names. */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  zlibDeflateOptions?: Record<string, unknown>;
  zlibInflateOptions?: Record<string, unknown>;
  threshold?: number;
  concurrencyLimit?: number;
  /** sockwire only: close a zlib stream idle this many ms, keeping its window (default 10 s; see `PerMessageDeflateOptions`). */
  zlibIdleTimeout?: number;
}

/** Limits and behaviour shared by both roles. */
export interface ConnectionLimits {
  maxPayload?: number;
  maxFragments?: number;
  maxBufferedChunks?: number;
  maxPendingAutoPongs?: number;
  autoPong?: boolean;
  allowSynchronousEvents?: boolean;
  skipUTF8Validation?: boolean;
  closeTimeout?: number;
}

export type { HeartbeatOptions, SocketFeatureOptions, AuthenticateResult, ServerFeatureOptions } from '../features/feature-options';
import type { SocketFeatureOptions } from '../features/feature-options';


/** Options of `new WebSocket(address, protocols, options)`; anything else goes to `http.request`. */
export interface ClientOptions extends ConnectionLimits, SocketFeatureOptions, SecureContextOptions, Omit<ClientRequestArgs, 'createConnection'> {
  protocol?: string;
  followRedirects?: boolean;
  generateMask?(mask: Buffer): void;
  handshakeTimeout?: number;
  maxRedirects?: number;
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  localAddress?: string;
  protocolVersion?: number;
  headers?: OutgoingHttpHeaders;
  origin?: string;
  agent?: ClientRequestArgs['agent'];
  host?: string;
  family?: number;
  checkServerIdentity?(servername: string, cert: unknown): boolean | Error | undefined;
  rejectUnauthorized?: boolean;
  finishRequest?(request: import('node:http').ClientRequest, websocket: unknown): void;
  createConnection?(options: Record<string, unknown>, callback?: () => void): Duplex;
  /** sockwire: connect through a proxy (README "Proxies"); default `false`, or `'env'` under `NODE_USE_ENV_PROXY=1`. */
  proxy?: ProxyOption;
  /**
   * sockwire: WebSockets over HTTP/2 (RFC 8441) on a session shared per origin. `true`: for `wss:`, offer ALPN `h2`
   * and `http/1.1` and use HTTP/2 when the server picks it and allows extended CONNECT, else HTTP/1.1;
   * `'prior-knowledge'` also speaks h2c to `ws:` URLs. Ignored with `agent`, `createConnection`, a proxy or version 8.
   */
  http2?: boolean | 'prior-knowledge';
  /** sockwire: HTTP/2 flow-control windows of the client's sessions (default 1 MiB per stream, 8 MiB per session). */
  http2Windows?: Http2Windows | false;
}

/** `verifyClient`'s `info` argument. */
export interface VerifyClientInfo {
  origin: string;
  secure: boolean;
  req: IncomingMessage;
}

/** Default limits: generous for applications, finite against abuse. */
export const LIMIT_DEFAULTS = {
  /** 100 MiB: ws's default; bigger messages are refused with 1009 before being buffered. */
  maxPayload: 100 * 1024 * 1024,
  /**
   * Frames one message may have. Not ws's 16384: a partial message is bounded by its bytes (small frames are
   * packed), so the count only has to end an endless message; 2^18 lets 4 MiB arrive in 16-byte fragments
   * (Autobahn 9.3/9.4 use 64 and 256) while 1,000,000 empty fragments still end with 1008 (README: differences).
   */
  maxFragments: 256 * 1024,
  /** ws 8.23's server default: bounds how many socket chunks one partial frame can pin. */
  maxBufferedChunks: 256 * 1024,
  /** A peer pinging faster than we can write pongs is terminated. */
  maxPendingAutoPongs: 60,
  /** RFC 6455 §5.5.2 says pongs are sent "as soon as practical". */
  autoPong: true,
  /** Several messages per tick is the fast path; false gives one event per macrotask like browsers. */
  allowSynchronousEvents: true,
  /** RFC 6455 §8.1 requires validation. */
  skipUTF8Validation: false,
  /** 30 s to finish the close handshake before dropping the socket (ws). */
  closeTimeout: 30000
} as const;

const isOwnEnumerable = Object.prototype.propertyIsEnumerable;

/** Resolve limits against defaults, keeping explicit values (including 0). */
export function resolveLimits(options: ConnectionLimits, defaults: Required<ConnectionLimits>): Required<ConnectionLimits> {
  return {
    maxPayload: options.maxPayload ?? defaults.maxPayload,
    // As in ws, a `maxFragments` the caller set (even to undefined or null) replaces the default, coerced with `| 0`.
    maxFragments: isOwnEnumerable.call(options, 'maxFragments') ? (options.maxFragments as number) | 0 : defaults.maxFragments,
    maxBufferedChunks: options.maxBufferedChunks ?? defaults.maxBufferedChunks,
    maxPendingAutoPongs: options.maxPendingAutoPongs ?? defaults.maxPendingAutoPongs,
    autoPong: options.autoPong ?? defaults.autoPong,
    allowSynchronousEvents: options.allowSynchronousEvents ?? defaults.allowSynchronousEvents,
    skipUTF8Validation: options.skipUTF8Validation ?? defaults.skipUTF8Validation,
    closeTimeout: options.closeTimeout ?? defaults.closeTimeout
  };
}

const LIMIT_KEYS = Object.keys(LIMIT_DEFAULTS) as Array<keyof ConnectionLimits>;

/**
 * What {@link resolveLimits} reads from `options`, as a snapshot: two snapshots are equal exactly when the limits
 * resolve alike (against the same defaults), which is cheaper to check than resolving again.
 */
export function limitInputs(options: ConnectionLimits): unknown[] {
  const inputs: unknown[] = LIMIT_KEYS.map((key) => options[key]);
  inputs.push(isOwnEnumerable.call(options, 'maxFragments'));
  return inputs;
}

/** Whether `options` still read as `inputs` (a {@link limitInputs} snapshot); allocates nothing. */
export function sameLimitInputs(options: ConnectionLimits, inputs: readonly unknown[]): boolean {
  const count = LIMIT_KEYS.length;
  for (let i = 0; i < count; i++) if (!Object.is(options[LIMIT_KEYS[i]], inputs[i])) return false;
  return inputs[count] === isOwnEnumerable.call(options, 'maxFragments');
}
