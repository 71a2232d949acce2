/** Protocol constants shared by every layer. */

/** RFC 6455 §1.3: appended to Sec-WebSocket-Key before hashing. */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The accepted values of `binaryType`, in ws order. */
export const BINARY_TYPES = ['nodebuffer', 'arraybuffer', 'fragments', 'blob'] as const;
export type BinaryType = (typeof BINARY_TYPES)[number];

/** A shared zero-length Buffer. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** A function that does nothing (shared instead of fresh closures). */
export function NOOP(): void {
  // intentionally empty
}

/** RFC 6455 §5.2 opcodes. */
export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** RFC 6455 §5.5: control frame payloads are at most 125 bytes. */
export const MAX_CONTROL_PAYLOAD = 125;
