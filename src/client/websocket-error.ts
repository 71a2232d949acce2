/**
 * `WebSocketError` (WHATWG WebSockets, WebSocketStream section): a `DOMException` named `'WebSocketError'` that
 * carries a close code and reason. Apps construct one to pass a code to `readable.cancel()` / `writer.abort()`;
 * `WebSocketStream` rejects `opened`/`closed` with one when the connection fails or closes uncleanly.
 */

/** Close code and reason, as `close()` takes them and `closed` resolves with them. */
export interface WebSocketCloseInfo {
  /** 1000 or 3000–4999 when given by the app (RFC 6455 §7.4.2: others are reserved for the protocol). */
  closeCode?: number;
  /** At most 123 bytes of UTF-8 (RFC 6455 §5.5: a control frame payload is at most 125 bytes, 2 for the code). */
  reason?: string;
}

/**
 * Check an app-given close code and reason the WHATWG way: `InvalidAccessError` for a code other than 1000 or
 * 3000–4999, `SyntaxError` for a reason over 123 bytes. A reason without a code means 1000. Returns the code to send.
 */
export function validateCloseInfo(info: WebSocketCloseInfo): number | undefined {
  let code = info.closeCode;
  if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
    throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
  }
  const reason = info.reason ?? '';
  if (Buffer.byteLength(reason) > 123) throw new DOMException('The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError');
  if (code === undefined && reason !== '') code = 1000;
  return code;
}

const kCloseCode = Symbol('closeCode');
const kReason = Symbol('reason');

/** A WebSocket failure or unclean close; `closeCode` is null when the connection never had one. */
export class WebSocketError extends DOMException {
  /** @internal */ [kCloseCode]: number | null;
  /** @internal */ [kReason]: string;

  /**
   * @param message - what happened
   * @param init - a close code (1000 or 3000–4999) and reason, validated as `WebSocketStream.close()` does
   */
  constructor(message: string = '', init: WebSocketCloseInfo = {}) {
    const code = validateCloseInfo(init);
    super(message, 'WebSocketError');
    this[kCloseCode] = code ?? null;
    this[kReason] = init.reason ?? '';
  }

  /** The close code (null if none). */
  get closeCode(): number | null {
    return this[kCloseCode];
  }

  /** The close reason ('' if none). */
  get reason(): string {
    return this[kReason];
  }
}

/** An error describing a close the protocol produced (any code, e.g. 1006), bypassing the app-code validation. */
export function closeError(message: string, closeCode: number | null, reason: string): WebSocketError {
  const error = new WebSocketError(message);
  error[kCloseCode] = closeCode;
  error[kReason] = reason;
  return error;
}
