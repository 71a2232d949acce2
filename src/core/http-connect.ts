/**
 * HTTP CONNECT tunnels (RFC 9110 §9.3.6), sans-I/O: the request head, an incremental reader of the proxy's
 * response head, and what each status means. Any 2xx opens the tunnel, and the bytes after its head already
 * belong to the tunnel (a 2xx answer to CONNECT has no content).
 */
import { Buffer } from 'node:buffer';
import type { ProxyFailureKind } from './proxy-failure';
import { TOKEN } from './http-fields';

/** Longest response head accepted from a proxy; real ones are a few hundred bytes. */
export const MAX_CONNECT_RESPONSE_HEAD = 16 * 1024;

/** The request head: `CONNECT authority HTTP/1.1`, `Host` (RFC 9112 §3.2.3), then `headers` in order. */
export function formatConnectRequest(authority: string, headers: ReadonlyArray<readonly [string, string]>): string {
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

/** A parsed response head, in the shape of Node's `IncomingMessage` fields. */
export interface ConnectResponseHead {
  readonly httpVersion: string;
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Lower-cased names; repeated headers joined with `, ` (`set-cookie` kept as a list). */
  readonly headers: Record<string, string | string[]>;
  /** Names and values in arrival order, as `IncomingMessage#rawHeaders`. */
  readonly rawHeaders: string[];
}

/** What the reader knows after a chunk. `rest` holds the bytes after the head. */
export type ConnectResponseState =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly head: ConnectResponseHead; readonly rest: Buffer }
  | { readonly state: 'invalid'; readonly reason: string };

const INCOMPLETE: ConnectResponseState = { state: 'incomplete' };
const PREFIX = Buffer.from('HTTP/', 'latin1');

/** End of the head: the first empty line, with CRLF or bare LF endings (RFC 9112 §2.2 lets recipients accept LF). */
function findHeadEnd(buffer: Buffer): { end: number; next: number } | null {
  let from = 0;
  for (;;) {
    const lf = buffer.indexOf(0x0a, from);
    if (lf === -1) return null;
    if (buffer[lf + 1] === 0x0a) return { end: lf, next: lf + 2 };
    if (buffer[lf + 1] === 0x0d && buffer[lf + 2] === 0x0a) return { end: lf, next: lf + 3 };
    from = lf + 1;
  }
}

function parseHead(text: string): ConnectResponseHead | string {
  const lines = text.split(/\r?\n/);
  const status = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (status === null) return 'the status line is malformed';
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    // RFC 9112 §5.2: a recipient may replace obs-fold with a space.
    if ((line.startsWith(' ') || line.startsWith('\t')) && rawHeaders.length > 0) {
      rawHeaders[rawHeaders.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) return 'a header line is malformed';
    rawHeaders.push(name, line.slice(colon + 1).trim());
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    const known = headers[name];
    if (name === 'set-cookie') headers[name] = [...((known as string[] | undefined) ?? []), value];
    else headers[name] = known === undefined ? value : `${known as string}, ${value}`;
  }
  return { httpVersion: status[1], statusCode: Number(status[2]), statusMessage: status[3] ?? '', headers, rawHeaders };
}

/** Reads the proxy's answer to CONNECT from socket chunks, keeping at most {@link MAX_CONNECT_RESPONSE_HEAD} bytes. */
export class ConnectResponseReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Feed the next chunk. Once `complete` or `invalid` is returned, the reader is done. */
  push(chunk: Buffer): ConnectResponseState {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const seen = Math.min(this.buffered.length, PREFIX.length);
    // Garbage is known from the first bytes: no need to wait for a blank line that may never come.
    if (this.buffered.compare(PREFIX, 0, seen, 0, seen) !== 0) return { state: 'invalid', reason: 'it is not HTTP' };
    const end = findHeadEnd(this.buffered);
    if (end === null) {
      return this.buffered.length > MAX_CONNECT_RESPONSE_HEAD ? { state: 'invalid', reason: 'its head is too large' } : INCOMPLETE;
    }
    if (end.end > MAX_CONNECT_RESPONSE_HEAD) return { state: 'invalid', reason: 'its head is too large' };
    const head = parseHead(this.buffered.toString('latin1', 0, end.end).replace(/\r$/, ''));
    if (typeof head === 'string') return { state: 'invalid', reason: head };
    return { state: 'complete', head, rest: this.buffered.subarray(end.next) };
  }
}

/**
 * What a CONNECT status means: 2xx opens the tunnel; 407 (RFC 9110 §15.5.8) and 401 (which some proxies send for
 * wrong credentials) ask for authentication; 5xx says the proxy could not reach the target (502/504) or is
 * unavailable (503); anything else is a refusal.
 */
export function classifyConnectStatus(statusCode: number): 'open' | ProxyFailureKind {
  if (statusCode >= 200 && statusCode < 300) return 'open';
  if (statusCode === 407 || statusCode === 401) return 'auth-required';
  if (statusCode >= 500 && statusCode < 600) return 'unreachable';
  return 'refused';
}
