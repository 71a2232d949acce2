/**
 * Why a connection ended and whether that is worth another attempt. Terminal by default: close codes that say the
 * peer will refuse us again (RFC 6455 §7.4.1, the IANA registry's 3000/3003, application codes 4000–4999) and
 * handshake statuses 4xx other than 408 and 429 (RFC 9110 §15.5). Everything else (network errors, 5xx, 1006,
 * 1011–1014, server 1000/1001) is retried.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Why the last connection (or attempt) ended; given to `'reconnect'`, `'giveup'` and `shouldReconnect`. */
export type ReconnectReason =
  /** The connection opened and then closed; `uptime` is ms since `'open'` (0 if the `onOpen` hook had not finished). */
  | { type: 'close'; code: number; reason: string; wasClean: boolean; uptime: number; error?: Error }
  /** The server answered the handshake with a status other than 101. `retryAfter` is in ms (429/503 only). */
  | { type: 'unexpected-response'; status: number; headers: IncomingHttpHeaders; retryAfter?: number }
  /** The attempt failed before opening (network, TLS, handshake checks, or a URL/header function that threw). */
  | { type: 'error'; error: Error }
  /** The `onOpen` hook threw or rejected; the socket was closed with 1011. */
  | { type: 'open-hook'; error: Error }
  /** `WebSocket` refused the resolved URL, protocols or options (e.g. a SyntaxError): retrying cannot help. */
  | { type: 'invalid'; error: Error }
  /** `reconnect()` was called. */
  | { type: 'manual' }
  /** `'giveup'` only: `maxRetries` consecutive failures; `last` is the final one. */
  | { type: 'max-retries'; attempts: number; last: ReconnectReason };

/** What `shouldReconnect` sees: the reason, the attempt that just ended, and the default verdict. */
export type ReconnectEvent = ReconnectReason & { attempt: number; retryable: boolean };

/** Close codes after which reconnecting is pointless unless listed in `retryCodes` (plus 4000–4999). */
export const TERMINAL_CLOSE_CODES: readonly number[] = Object.freeze([1002, 1003, 1007, 1008, 1009, 1010, 3000, 3003]);

/** The settings the default verdict depends on. */
export interface PolicySettings {
  retryCodes: readonly number[];
  reconnectOnNormalClose: boolean;
}

/** Is a close code terminal under these settings? */
function isTerminalCloseCode(code: number, settings: PolicySettings): boolean {
  if (settings.retryCodes.includes(code)) return false;
  // RFC 6455 §7.4.1: 1000 normal, 1001 going away. A server ending a session on purpose is still worth rejoining.
  if (code === 1000 || code === 1001) return !settings.reconnectOnNormalClose;
  return TERMINAL_CLOSE_CODES.includes(code) || (code >= 4000 && code <= 4999);
}

/** The default verdict: should this end be followed by another attempt? */
export function isRetryable(reason: ReconnectReason, settings: PolicySettings): boolean {
  switch (reason.type) {
    case 'close':
      return !isTerminalCloseCode(reason.code, settings);
    case 'unexpected-response':
      // RFC 9110 §15.5.9 (408 Request Timeout) and RFC 6585 §4 (429 Too Many Requests) invite a retry.
      return !(reason.status >= 400 && reason.status < 500) || reason.status === 408 || reason.status === 429;
    case 'invalid':
    case 'max-retries':
      return false;
    default:
      return true;
  }
}
