/** The module members ws 2.x exposed (`BufferUtil`, `Constants`, `ErrorCodes`, `Extensions`), kept for old code. */
import { concat } from '../core/binary-data';
import { BINARY_TYPES, EMPTY_BUFFER, GUID, NOOP } from '../core/constants';
import { CLOSE_CODE_DESCRIPTIONS, isValidCloseCode } from '../core/close-codes';
import { mask, unmask } from '../core/mask';
import { formatExtensionHeader, parseExtensionHeader } from '../core/extension-header';

/** Buffer helpers: `concat`, `mask`, `unmask`. */
export const BufferUtil = Object.freeze({ concat, mask, unmask });

/** Protocol constants. */
export const Constants = Object.freeze({ GUID, BINARY_TYPES, EMPTY_BUFFER, NOOP });

/** `isValidErrorCode(code)` plus the descriptions of 1000–1013. */
export const ErrorCodes: Readonly<Record<number, string>> & { isValidErrorCode(code: number): boolean } = Object.freeze({
  ...CLOSE_CODE_DESCRIPTIONS,
  isValidErrorCode: (code: number): boolean => isValidCloseCode(code)
});

/** `Sec-WebSocket-Extensions` grammar. */
export const Extensions = Object.freeze({ parse: parseExtensionHeader, format: formatExtensionHeader });
