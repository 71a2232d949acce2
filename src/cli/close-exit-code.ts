/**
 * The exit code of `sockwire connect` for a close code, so scripts can tell a clean end from a failure.
 *
 * | how it ended                                       | exit code            |
 * |----------------------------------------------------|----------------------|
 * | 1000 Normal Closure, 1005 No Status Received       | 0                    |
 * | could not connect / handshake refused              | 1                    |
 * | bad command line                                   | 2                    |
 * | 3000–3999 (registered application codes)           | 3                    |
 * | 4000–4999 (private application codes)              | 4                    |
 * | 1001–1015 (RFC 6455 §7.4.1 / IANA codes)           | 100 + (code − 1000)  |
 *
 * e.g. 1001 Going Away → 101, 1006 Abnormal Closure (connection lost) → 106, 1011 Internal Error → 111.
 */

/** Exit code for close code `code` (see the table above); anything unexpected maps to 1. */
export function exitCodeForClose(code: number): number {
  // RFC 6455 §7.4.1: 1000 is a normal closure; §7.1.5: 1005 means the peer sent no code, which is not an error.
  if (code === 1000 || code === 1005) return 0;
  if (code >= 1001 && code <= 1015) return 100 + (code - 1000);
  // RFC 6455 §7.4.2: 3000–3999 are registered with IANA, 4000–4999 are private use.
  if (code >= 3000 && code <= 3999) return 3;
  if (code >= 4000 && code <= 4999) return 4;
  return 1;
}
