/**
 * The one table of receive-side failures: `WS_ERR_*` code → error class, close code and message.
 * The core returns failures as {@link ProtocolFailure} values; the facade turns them into errors with {@link toError}.
 * The `WS_ERR_PROXY_*` rows are opening-handshake failures (see proxy-failure.ts): their close code is the 1006
 * that `'close'` reports, never one sent on the wire.
 */

/** Every `WS_ERR_*` code a receiver can raise (see SPEC.md §6), and the proxy tunnel failures. */
export type ErrorCode =
  | 'WS_ERR_UNEXPECTED_RSV_2_3'
  | 'WS_ERR_UNEXPECTED_RSV_1'
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_EXPECTED_FIN'
  | 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
  | 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
  | 'WS_ERR_TOO_MANY_BUFFERED_PARTS'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_PROXY_AUTH_REQUIRED'
  | 'WS_ERR_PROXY_REFUSED'
  | 'WS_ERR_PROXY_UNREACHABLE'
  | 'WS_ERR_PROXY_BAD_RESPONSE'
  | 'WS_ERR_PROXY_TIMEOUT';

interface ErrorRow {
  readonly kind: 'RangeError' | 'Error';
  readonly closeCode: number;
}

const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorRow>> = {
  WS_ERR_UNEXPECTED_RSV_2_3: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_UNEXPECTED_RSV_1: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_INVALID_OPCODE: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_EXPECTED_FIN: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_EXPECTED_MASK: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_UNEXPECTED_MASK: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: { kind: 'RangeError', closeCode: 1009 },
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: { kind: 'RangeError', closeCode: 1009 },
  WS_ERR_TOO_MANY_BUFFERED_PARTS: { kind: 'RangeError', closeCode: 1008 },
  WS_ERR_INVALID_UTF8: { kind: 'Error', closeCode: 1007 },
  WS_ERR_INVALID_CLOSE_CODE: { kind: 'RangeError', closeCode: 1002 },
  WS_ERR_PROXY_AUTH_REQUIRED: { kind: 'Error', closeCode: 1006 },
  WS_ERR_PROXY_REFUSED: { kind: 'Error', closeCode: 1006 },
  WS_ERR_PROXY_UNREACHABLE: { kind: 'Error', closeCode: 1006 },
  WS_ERR_PROXY_BAD_RESPONSE: { kind: 'Error', closeCode: 1006 },
  WS_ERR_PROXY_TIMEOUT: { kind: 'Error', closeCode: 1006 }
};

/** A failure found by the core: a value, not a thrown error. */
export interface ProtocolFailure {
  readonly code: ErrorCode;
  /** Human-readable message, already prefixed with "Invalid WebSocket frame: " for frame violations. */
  readonly message: string;
  /** The status code to send in our close frame. */
  readonly closeCode: number;
  /** An error raised below the core (e.g. zlib's), passed through as is. */
  readonly cause?: Error;
}

/** Build a failure value for `code`; `prefixed` adds "Invalid WebSocket frame: " (protocol violations). */
export function fail(code: ErrorCode, detail: string, prefixed = true): ProtocolFailure {
  return {
    code,
    message: prefixed ? `Invalid WebSocket frame: ${detail}` : detail,
    closeCode: ERROR_TABLE[code].closeCode
  };
}

/** An `Error`/`RangeError` carrying `.code` and the `[kStatusCode]`-like `closeCode` the ws way. */
export type WebSocketError = (Error | RangeError) & { code: ErrorCode; closeCode: number };

/**
 * Wrap an error from an extension (zlib, the inflate size guard). Its own `code` is kept; the close code is the one
 * it carries, else 1007 (RFC 7692 §8: data that fails to inflate is invalid payload data).
 */
export function failFromError(error: Error): ProtocolFailure {
  const fields = error as Error & { code?: unknown; closeCode?: unknown };
  return {
    code: (typeof fields.code === 'string' ? fields.code : 'WS_ERR_INVALID_UTF8') as ErrorCode,
    message: error.message,
    closeCode: typeof fields.closeCode === 'number' ? fields.closeCode : 1007,
    cause: error
  };
}

/** Turn a failure value into the error object the API emits. */
export function toError(failure: ProtocolFailure): WebSocketError {
  if (failure.cause !== undefined) {
    const error = failure.cause as WebSocketError;
    error.closeCode = failure.closeCode;
    return error;
  }
  const Ctor = ERROR_TABLE[failure.code].kind === 'RangeError' ? RangeError : Error;
  const error = new Ctor(failure.message) as WebSocketError;
  error.code = failure.code;
  error.closeCode = failure.closeCode;
  return error;
}
