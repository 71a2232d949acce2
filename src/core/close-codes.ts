/** Close status codes (RFC 6455 §7.4). */

/**
 * RFC 6455 §7.4.1/§7.4.2: codes a peer may put in a close frame. 1004–1006 and 1015 are reserved for local use;
 * 1012–1014 are IANA-registered and accepted, as ws does.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** Codes an application may pass to `close()` (ws: 1000 or 3000–4999). */
export function isValidApplicationCloseCode(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}

/** The seed's `ErrorCodes` descriptions (ws 2.x): 1000–1013. */
export const CLOSE_CODE_DESCRIPTIONS: Readonly<Record<number, string>> = {
  1000: 'normal',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1004: 'reserved',
  1005: 'reserved for extensions: no status received',
  1006: 'reserved for extensions: abnormal closure',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension missing',
  1011: 'internal server error',
  1012: 'service restart',
  1013: 'try again later'
};
