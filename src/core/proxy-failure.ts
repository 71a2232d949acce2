/**
 * Why a proxy did not open a tunnel, as a value: one kind per cause, each with its `WS_ERR_PROXY_*` code in the
 * error table (errors.ts). Messages are built by the caller from status lines and reply codes, never from URLs,
 * so no credential can reach them.
 */
import { fail, toError, type ErrorCode, type WebSocketError } from './errors';

/** The causes a tunnel can fail for. */
export type ProxyFailureKind = 'auth-required' | 'refused' | 'unreachable' | 'bad-response' | 'timeout';

/** Failure kind → error code. */
export const PROXY_ERROR_CODES: Readonly<Record<ProxyFailureKind, ErrorCode>> = {
  'auth-required': 'WS_ERR_PROXY_AUTH_REQUIRED',
  refused: 'WS_ERR_PROXY_REFUSED',
  unreachable: 'WS_ERR_PROXY_UNREACHABLE',
  'bad-response': 'WS_ERR_PROXY_BAD_RESPONSE',
  timeout: 'WS_ERR_PROXY_TIMEOUT'
};

/** A tunnel failure: its kind, message, and the proxy's status (HTTP) or reply code (SOCKS) when it sent one. */
export interface ProxyFailure {
  readonly kind: ProxyFailureKind;
  readonly message: string;
  readonly statusCode?: number;
  readonly socksReply?: number;
}

/** The error the client emits for a tunnel failure: `code`, `statusCode`/`socksReply` when known, and `cause`. */
export type ProxyError = WebSocketError & { statusCode?: number; socksReply?: number };

/** Turn a failure value into the emitted error; `cause` is the lower-level error (a refused TCP connect...). */
export function toProxyError(failure: ProxyFailure, cause?: Error): ProxyError {
  const error: ProxyError = toError(fail(PROXY_ERROR_CODES[failure.kind], failure.message, false));
  if (failure.statusCode !== undefined) error.statusCode = failure.statusCode;
  if (failure.socksReply !== undefined) error.socksReply = failure.socksReply;
  if (cause !== undefined) error.cause = cause;
  return error;
}
