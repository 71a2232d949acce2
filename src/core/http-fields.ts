/**
 * HTTP field syntax shared by the head parsers (RFC 9110 §5): which bytes make a field name and a field value.
 * The proxy-response reader (`http-connect.ts`) and the request-head parser (`http-request-head.ts`) both use it.
 */

/** RFC 9110 §5.6.2: `token = 1*tchar`, the syntax of field names (§5.1) and of the request method (§9.1). */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * RFC 9110 §5.5: a field value is VCHAR, SP, HTAB and obs-text (0x80–0xFF); every other control byte (NUL, CR, LF,
 * DEL, ...) makes the field invalid. Tested on the latin1 decoding of the bytes.
 */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** RFC 9110 §5.6.3: optional whitespace is SP and HTAB. */
export function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
