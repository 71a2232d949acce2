/**
 * A strict, bounded, sans-I/O reader of HTTP/1.1 request heads (RFC 9112 §2–5; field syntax RFC 9110 §5), for
 * servers that own their listening socket. It reads bytes as they arrive, one state per byte, so a head split at any
 * byte parses the same as in one piece and a bad byte is refused as soon as it is seen. Limits follow Node's HTTP
 * parser, so a request gets the answer Node's `http.Server` would give it:
 * - size: Node counts the bytes of the request-target, the field names and the field values (leading whitespace of
 *   a value excluded, trailing included) and refuses with 431 once they reach `maxHeaderSize`; the raw head
 *   (whitespace, line ends, blank lines) is also bounded, at twice that plus 4 KiB, so memory stays bounded however it is padded;
 * - count: Node keeps the fields it reads in batches of 31 while it holds fewer than `maxHeaderEntries` names and
 *   values, and builds `headers` from the first `maxHeaderEntries` entries; the rest are dropped, not refused.
 * Stricter than Node where RFC 9112 says MUST: only `HTTP/1.1` and `HTTP/1.0`, a single SP between the parts of
 * the request line (§3), and one `Host` field at most (§3.2).
 */
import { Buffer } from 'node:buffer';

/** Node's default `maxHeaderSize` (`--max-http-header-size`): 16 KiB. */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
/** Node's default limit on header entries (names and values counted apart, so 1,000 fields). */
export const DEFAULT_MAX_HEADER_ENTRIES = 2000;
/** Node's HTTP parser hands fields to JavaScript in batches of this many. */
const FIELD_BATCH = 31;
/** Raw bytes allowed beyond twice `maxHeaderSize`, so small limits still leave room for line ends and spaces. */
const RAW_ALLOWANCE = 4096;

/** Limits and the method list of a {@link RequestHeadReader}. */
export interface RequestHeadOptions {
  /** 431 once the counted bytes of target, names and values reach this (default 16 KiB). */
  maxHeaderSize?: number;
  /** Names and values kept for `headers` (default 2,000; 0 keeps all). */
  maxHeaderEntries?: number;
  /** The methods accepted (Node's `http.METHODS`); any token when omitted. */
  methods?: ReadonlySet<string>;
}

/** A parsed request head, in the terms of Node's `IncomingMessage`. */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Names and values in arrival order, as `IncomingMessage#rawHeaders`. */
  readonly rawHeaders: string[];
  /** How many entries of `rawHeaders` the `headers` object is built from. */
  readonly headerEntries: number;
  /** RFC 9110 §7.8: an `Upgrade` field and a `Connection` field naming `upgrade` (CONNECT is not an upgrade here). */
  readonly upgrade: boolean;
}

/** What the reader knows after a chunk. `rest` holds the bytes after the head. */
export type RequestHeadState =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly head: RequestHead; readonly rest: Buffer }
  | { readonly state: 'invalid'; readonly status: 400 | 431; readonly reason: string };

const INCOMPLETE: RequestHeadState = { state: 'incomplete' };

// Byte classes: RFC 9110 §5.6.2 tchar, and field-value bytes (§5.5: VCHAR, SP, HTAB, obs-text).
const TCHAR = new Uint8Array(256);
const FIELD_BYTE = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = TCHAR[c + 0x20] = 1;
FIELD_BYTE[0x09] = 1;
for (let c = 0x20; c <= 0xff; c++) FIELD_BYTE[c] = c === 0x7f ? 0 : 1;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const VERSION_PREFIX = 'HTTP/1.';
const MAX_CONTENT_LENGTH = '18446744073709551615';

const enum State {
  Leading, LeadingLf, Method, Target, Version, VersionLf, FieldStart, Name, ValueOws, Value, ValueLf, EndLf, Done
}

/** Reads one request head from socket chunks. Once `complete` or `invalid` is returned, the reader is done. */
export class RequestHeadReader {
  private readonly maxHeaderSize: number;
  private readonly maxRaw: number;
  private readonly maxEntries: number;
  private readonly keepFields: number;
  private readonly methods: ReadonlySet<string> | undefined;
  private state = State.Leading;
  private final: RequestHeadState = INCOMPLETE;
  /** Pieces of the current line from earlier chunks, and their length. */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private counted = 0;
  private rawBytes = 0;
  /** Offsets in the current line: end of the method or name, start and end of the target or value. */
  private nameEnd = 0;
  /** Where the current line starts in the buffer {@link line} returned (a line within one chunk is not copied). */
  private lineOffset = 0;
  private valueStart = 0;
  private valueEnd = 0;
  private versionAt = 0;
  private versionMinor = 0;
  private method = '';
  private url = '';
  private fields = 0;
  private readonly rawHeaders: string[] = [];
  private connectionUpgrade = false;
  private hasUpgrade = false;
  private hasHost = false;
  private hasLength = false;
  private hasTransferCoding = false;

  constructor(options: RequestHeadOptions = {}) {
    this.maxHeaderSize = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE;
    this.maxRaw = 2 * this.maxHeaderSize + RAW_ALLOWANCE;
    this.maxEntries = options.maxHeaderEntries ?? DEFAULT_MAX_HEADER_ENTRIES;
    this.keepFields = this.maxEntries > 0 ? FIELD_BATCH * Math.ceil(this.maxEntries / (2 * FIELD_BATCH)) : Infinity;
    this.methods = options.methods;
  }

  /** Whether a request has begun (a byte beyond the empty lines that may precede it). */
  get begun(): boolean {
    return this.state > State.LeadingLf;
  }

  /** Feed the next chunk. */
  push(chunk: Buffer): RequestHeadState {
    if (this.state === State.Done) return this.final;
    let lineStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      // Offset of this byte in the current line.
      const at = this.pieceBytes + i - lineStart;
      switch (this.state) {
        case State.Leading:
          // RFC 9112 §2.2: empty lines before the request line are ignored.
          if (c === CR) this.state = State.LeadingLf;
          else if (TCHAR[c] === 1) this.state = State.Method;
          else return this.fail(400, c === LF ? 'bare LF' : 'a byte that cannot start a request');
          break;
        case State.LeadingLf:
          if (c !== LF) return this.fail(400, 'CR without LF');
          this.state = State.Leading;
          this.rawBytes += this.pieceBytes + i + 1 - lineStart;
          this.pieces = [];
          this.pieceBytes = 0;
          lineStart = i + 1;
          break;
        case State.Method:
          if (c === SP) {
            this.nameEnd = at;
            this.valueStart = at + 1;
            this.state = State.Target;
          } else if (TCHAR[c] !== 1) return this.fail(400, 'a bad byte in the method');
          break;
        case State.Target:
          // RFC 9112 §3.2: the request-target is printable ASCII; one SP then the version.
          if (c === SP && at > this.valueStart) {
            this.valueEnd = at;
            this.versionAt = 0;
            this.state = State.Version;
          } else if (c > SP && c < 0x7f) {
            if (++this.counted >= this.maxHeaderSize) return this.fail(431, 'the head is too large');
          } else return this.fail(400, 'a bad byte in the request-target');
          break;
        case State.Version:
          if (this.versionAt < VERSION_PREFIX.length) {
            if (c !== VERSION_PREFIX.charCodeAt(this.versionAt++)) return this.fail(400, 'not HTTP/1.1 or HTTP/1.0');
          } else if (this.versionAt === VERSION_PREFIX.length && (c === 0x30 || c === 0x31)) {
            this.versionMinor = c - 0x30;
            this.versionAt++;
          } else if (this.versionAt > VERSION_PREFIX.length && c === CR) this.state = State.VersionLf;
          else return this.fail(400, c === LF ? 'bare LF' : 'not HTTP/1.1 or HTTP/1.0');
          break;
        case State.VersionLf:
          if (c !== LF) return this.fail(400, 'CR without LF');
          this.requestLine(this.line(chunk, lineStart, i));
          if (this.rawBytes > this.maxRaw) return this.fail(431, 'the head is too large');
          lineStart = i + 1;
          break;
        case State.FieldStart:
          if (c === CR) this.state = State.EndLf;
          else if (TCHAR[c] === 1) {
            this.state = State.Name;
            if (++this.counted >= this.maxHeaderSize) return this.fail(431, 'the head is too large');
          } else if (c === SP || c === HTAB) return this.fail(400, 'obs-fold'); // RFC 9112 §5.2
          else return this.fail(400, c === LF ? 'bare LF' : 'a bad byte in a field name');
          break;
        case State.Name:
          if (c === COLON) {
            this.nameEnd = at;
            this.state = State.ValueOws;
          } else if (TCHAR[c] !== 1) return this.fail(400, 'a bad byte in a field name'); // §5.1: no SP before ':'
          else if (++this.counted >= this.maxHeaderSize) return this.fail(431, 'the head is too large');
          break;
        case State.ValueOws:
          if (c === SP || c === HTAB) break;
          this.valueStart = this.valueEnd = at;
          this.state = State.Value;
          if (!this.valueByte(c, at)) return this.final;
          break;
        case State.Value:
          if (!this.valueByte(c, at)) return this.final;
          break;
        case State.ValueLf: {
          if (c !== LF) return this.fail(400, 'CR without LF');
          const refusal = this.field(this.line(chunk, lineStart, i));
          if (refusal !== null) return this.fail(400, refusal);
          if (this.rawBytes > this.maxRaw) return this.fail(431, 'the head is too large');
          lineStart = i + 1;
          break;
        }
        case State.EndLf:
          if (c !== LF) return this.fail(400, 'CR without LF');
          return this.complete(chunk.subarray(i + 1));
      }
    }
    if (lineStart < chunk.length) {
      this.pieces.push(chunk.subarray(lineStart));
      this.pieceBytes += chunk.length - lineStart;
    }
    if (this.rawBytes + this.pieceBytes > this.maxRaw) return this.fail(431, 'the head is too large');
    return INCOMPLETE;
  }

  /** One byte of a field value (its trailing whitespace counts, as in Node); false once the reader has failed. */
  private valueByte(c: number, at: number): boolean {
    if (c === CR) this.state = State.ValueLf;
    else if (FIELD_BYTE[c] !== 1) this.fail(400, 'a bad byte in a field value');
    else {
      if (c !== SP && c !== HTAB) this.valueEnd = at + 1;
      if (++this.counted >= this.maxHeaderSize) this.fail(431, 'the head is too large');
    }
    return this.state !== State.Done;
  }

  /**
   * A buffer holding the current line (CR LF included, ending at `end`, its LF, in `chunk`) from
   * {@link lineOffset} on: `chunk` itself, or the line joined from the pieces of earlier chunks. Starts the next line.
   */
  private line(chunk: Buffer, start: number, end: number): Buffer {
    this.state = State.FieldStart;
    if (this.pieceBytes === 0) {
      this.lineOffset = start;
      this.rawBytes += end + 1 - start;
      return chunk;
    }
    this.pieces.push(chunk.subarray(start, end + 1));
    const line = Buffer.concat(this.pieces, this.pieceBytes + end + 1 - start);
    this.pieces = [];
    this.pieceBytes = 0;
    this.lineOffset = 0;
    this.rawBytes += line.length;
    return line;
  }

  private requestLine(line: Buffer): void {
    // Leading empty lines were counted as raw bytes already; the method starts this line.
    // One string per line, cut in JavaScript: a Buffer decode is a native call, a substring is not.
    const text = line.toString('latin1', this.lineOffset, this.lineOffset + this.valueEnd);
    this.method = text.slice(0, this.nameEnd);
    this.url = text.slice(this.valueStart);
  }

  /** A complete field line: keep it (within the count limit) and note what framing and upgrade depend on. */
  private field(line: Buffer): string | null {
    const text = line.toString('latin1', this.lineOffset, this.lineOffset + this.valueEnd);
    const name = text.slice(0, this.nameEnd);
    const value = text.slice(this.valueStart);
    if (++this.fields <= this.keepFields) this.rawHeaders.push(name, value);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() !== 'host') break;
        if (this.hasHost) return 'more than one Host field'; // RFC 9112 §3.2
        this.hasHost = true;
        break;
      case 7:
        // Node's parser takes an empty Upgrade as none.
        if (value !== '' && name.toLowerCase() === 'upgrade') this.hasUpgrade = true;
        break;
      case 10:
        if (name.toLowerCase() === 'connection' && hasToken(value, 'upgrade')) this.connectionUpgrade = true;
        break;
      case 14:
        if (name.toLowerCase() !== 'content-length') break;
        // RFC 9112 §6.3: a repeated or malformed Content-Length is an unrecoverable framing error.
        if (this.hasLength) return 'more than one Content-Length field';
        if (!isLength(value)) return 'a malformed Content-Length';
        this.hasLength = true;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') this.hasTransferCoding = true;
        break;
    }
    return null;
  }

  private complete(rest: Buffer): RequestHeadState {
    // RFC 9112 §6.1: Content-Length with Transfer-Encoding is a smuggling shape; refuse it.
    if (this.hasLength && this.hasTransferCoding) return this.fail(400, 'both Content-Length and Transfer-Encoding');
    if (this.methods !== undefined && !this.methods.has(this.method)) return this.fail(400, 'an unknown method');
    const entries = this.rawHeaders.length;
    const head: RequestHead = {
      method: this.method,
      url: this.url,
      versionMajor: 1,
      versionMinor: this.versionMinor,
      rawHeaders: this.rawHeaders,
      headerEntries: this.maxEntries > 0 ? Math.min(entries, this.maxEntries) : entries,
      upgrade: this.hasUpgrade && this.connectionUpgrade && this.method !== 'CONNECT'
    };
    this.state = State.Done;
    this.final = { state: 'complete', head, rest };
    return this.final;
  }

  private fail(status: 400 | 431, reason: string): RequestHeadState {
    this.state = State.Done;
    this.pieces = [];
    this.final = { state: 'invalid', status, reason };
    return this.final;
  }
}

/** Whether the comma-separated list `value` holds `token` (case-insensitive, RFC 9110 §5.6.1). */
function hasToken(value: string, token: string): boolean {
  // Most requests send the one token alone (`Connection: Upgrade`): no split for them.
  if (value.length === token.length) return value.toLowerCase() === token;
  for (const item of value.split(',')) if (item.trim().toLowerCase() === token) return true;
  return false;
}

/** RFC 9112 §6.3: `Content-Length = 1*DIGIT`, within the 64 bits Node's parser holds. */
function isLength(value: string): boolean {
  if (!/^[0-9]+$/.test(value)) return false;
  const digits = value.replace(/^0+(?=.)/, '');
  return digits.length < MAX_CONTENT_LENGTH.length || (digits.length === MAX_CONTENT_LENGTH.length && digits <= MAX_CONTENT_LENGTH);
}
