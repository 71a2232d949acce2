/**
 * Output formatting for `sockwire connect`: direction markers, hex for binary data, and ANSI colours that are only
 * used when the output is a terminal (so piped output and test assertions see plain text).
 */

/** Most bytes of a binary message shown as hex before the rest is summarised. */
export const HEX_LIMIT = 1024;

/** The ANSI colours the CLI uses, keyed by what they mark. */
const COLOURS = {
  received: '\x1b[32m', // green
  sent: '\x1b[36m', // cyan
  control: '\x1b[35m', // magenta: ping/pong
  info: '\x1b[2m', // dim
  error: '\x1b[31m' // red
} as const;
const RESET = '\x1b[0m';

/** What a printed line is about; picks its colour. */
export type LineKind = keyof typeof COLOURS;

/** Formats lines, colouring them only when `colour` is true. */
export class Painter {
  /** Whether ANSI colour codes are emitted. */
  readonly colour: boolean;

  constructor(colour: boolean) {
    this.colour = colour;
  }

  /** `text` wrapped in the colour of `kind` (unchanged without colour). */
  paint(kind: LineKind, text: string): string {
    return this.colour ? `${COLOURS[kind]}${text}${RESET}` : text;
  }
}

/**
 * Colour is on only for a TTY, and off whenever the user asked (`--no-color`) or set NO_COLOR (https://no-color.org).
 */
export function wantsColour(stream: { isTTY?: boolean }, noColourFlag: boolean, env: NodeJS.ProcessEnv): boolean {
  if (noColourFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** Bytes as lower-case hex pairs separated by spaces, e.g. `00 ff 10`; long data ends with `… (+N bytes)`. */
export function formatHex(data: Buffer, limit: number = HEX_LIMIT): string {
  const shown = data.subarray(0, Math.min(limit, data.length));
  const pairs: string[] = [];
  for (const byte of shown) pairs.push(byte.toString(16).padStart(2, '0'));
  const rest = data.length - shown.length;
  return rest > 0 ? `${pairs.join(' ')} … (+${rest} bytes)` : pairs.join(' ');
}

/** How a binary payload is printed: a size tag then the hex, e.g. `<binary 3 B> 01 02 03`. */
export function describeBinary(data: Buffer): string {
  return data.length === 0 ? '<binary 0 B>' : `<binary ${data.length} B> ${formatHex(data)}`;
}

/** Parse user-typed hex (`01 02 ff`, `0102ff`, `0x01,0x02`) into bytes; `undefined` if it is not hex. */
export function parseHex(text: string): Buffer | undefined {
  const digits = text.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(digits)) return undefined;
  return Buffer.from(digits, 'hex');
}

/** Any message payload as ws delivers it (Buffer, ArrayBuffer or fragments) as one Buffer. */
export function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (Array.isArray(data)) return Buffer.concat(data.filter((part): part is Buffer => Buffer.isBuffer(part)));
  return Buffer.from(String(data));
}
