/**
 * The listening server of port mode (HTTP/1.1): a `net.Server` that reads each connection's request head with the
 * core's {@link RequestHeadReader} instead of Node's HTTP parser, and emits `'upgrade'` (request, socket, head) as
 * `http.Server` does, with a real `IncomingMessage` filled the way Node's parser fills it. An upgrade then costs no
 * llhttp parser, no `ServerResponse` and no per-connection HTTP bookkeeping.
 *
 * Only upgrades take the new path. A request that is not an upgrade is handed, with every byte read so far, to an
 * internal `http.Server` that never listens: it answers exactly as before (the 426 of the request listener,
 * `Connection`/`Keep-Alive`/`Date`, keep-alive, request bodies, pipelining), and an upgrade that follows on such a
 * kept-alive connection comes back through that server's own `'upgrade'` event. A malformed head gets the bytes
 * Node's `http.Server` writes for a parse error (400, or 431 for a head too large; 408 for a head not finished in
 * time), then the socket is destroyed, and the owner hears of it (`onRefused`) to count it: no request exists yet.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestHeadReader, type RequestHead, type RequestHeadOptions } from '../core/http-request-head';

// What Node's http.Server writes for a parse error or an expired head when nobody listens to 'clientError'.
const RESPONSES = {
  400: 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
  431: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  408: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'
} as const;

/** The statuses port mode answers a request head with before any request exists. */
export type HeadRefusalStatus = keyof typeof RESPONSES;

/** Told of each head refused: the status written and why (`'Request head refused: more than one Host field'`). */
export type HeadRefusalListener = (status: HeadRefusalStatus, reason: string) => void;

const REASON_PREFIX = 'Request head refused: ';

/** Node's `server.headersTimeout`: a head begun must be complete within this (when no shorter handshake limit). */
const HEADERS_TIMEOUT = 60000;

/** The state of a head being read: one object under one symbol, so an upgraded socket keeps a single slot for it. */
class PendingHead {
  readonly reader: RequestHeadReader;
  /** The chunks of an incomplete head (replayed to Node's server if the request is not an upgrade). */
  chunks: Buffer[] | null = null;
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(limits: RequestHeadOptions) {
    this.reader = new RequestHeadReader(limits);
  }
}

const kPending = Symbol('sockwire.pendingHead');

/** A connection whose head is still being read. */
type PendingSocket = net.Socket & { [kPending]?: PendingHead; server: PortServer };

/** The non-public members of `IncomingMessage` that Node's parser sets; `_addHeaderLines` applies Node's rules. */
interface ParsedIncomingMessage {
  upgrade: boolean;
  joinDuplicateHeaders: boolean | null;
  parser: null;
  _addHeaderLines(headers: string[], n: number): void;
}

/** A port-mode HTTP/1.1 server that parses upgrade requests itself (see the module comment). */
export class PortServer extends net.Server {
  /** @internal Answers the requests that are not upgrades, as port mode always did. */
  readonly fallback: http.Server;
  /** @internal Limits of each connection's head reader. */
  readonly headLimits: RequestHeadOptions;
  /** @internal Whether a begun head needs Node's `headersTimeout` (no handshake limit at or below it). */
  readonly headersDeadline: boolean;
  private readonly pending = new Set<PendingSocket>();

  /**
   * `onRequest` answers requests that are not upgrades; `handshakeTimeout` is port mode's (0: none); `onRefused`
   * hears of every head answered with an error.
   */
  constructor(
    onRequest: http.RequestListener,
    handshakeTimeout: number,
    /** @internal */
    readonly onRefused: HeadRefusalListener
  ) {
    // The socket options http.Server gives its connections (allowHalfOpen, noDelay), so upgraded sockets match.
    super({ allowHalfOpen: true, noDelay: true });
    this.fallback = http.createServer(onRequest);
    this.fallback.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.emit('upgrade', req, socket, head));
    this.headLimits = { maxHeaderSize: http.maxHeaderSize, methods: new Set(http.METHODS) };
    this.headersDeadline = !(handshakeTimeout > 0 && handshakeTimeout <= HEADERS_TIMEOUT);
    this.on('connection', onConnection);
  }

  /** Stop listening. As `http.Server#close()`: connections that sent nothing yet, and idle kept-alive ones, end now. */
  override close(callback?: (error?: Error) => void): this {
    for (const socket of this.pending) if (!(socket[kPending] as PendingHead).reader.begun) socket.destroy();
    this.fallback.closeIdleConnections();
    return super.close(callback);
  }

  /** @internal */
  track(socket: PendingSocket): void {
    this.pending.add(socket);
  }

  /** @internal */
  untrack(socket: PendingSocket): void {
    this.pending.delete(socket);
  }
}

function onConnection(this: PortServer, socket: PendingSocket): void {
  socket[kPending] = new PendingHead(this.headLimits);
  this.track(socket);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
}

function onData(this: PendingSocket, chunk: Buffer): void {
  const pending = this[kPending] as PendingHead;
  const outcome = pending.reader.push(chunk);
  if (outcome.state === 'incomplete') {
    (pending.chunks ??= []).push(chunk);
    if (pending.timer === undefined && this.server.headersDeadline) pending.timer = setTimeout(expire, HEADERS_TIMEOUT, this);
    return;
  }
  const chunks = pending.chunks;
  const server = this.server;
  release(this);
  if (outcome.state === 'invalid') {
    refuse(this, outcome.status, outcome.reason);
  } else if (outcome.head.upgrade) {
    const request = incomingMessage(this, outcome.head, server.fallback);
    // As Node's server leaves an upgraded socket: not flowing until the WebSocket reads it.
    unflow(this);
    server.emit('upgrade', request, this, outcome.rest);
  } else {
    // Not an upgrade: Node's server reads the request again from its first byte and answers it as it always did.
    unflow(this);
    this.unshift(chunks === null ? chunk : Buffer.concat([...chunks, chunk]));
    server.fallback.emit('connection', this);
  }
}

/** The client ended its side mid-head: Node answers 400 for a begun head, else just ends the connection. */
function onEnd(this: PendingSocket): void {
  const begun = (this[kPending] as PendingHead).reader.begun;
  release(this);
  if (begun) refuse(this, 400, 'the client ended the connection within it');
  else this.end();
}

function onError(this: PendingSocket): void {
  release(this);
  this.destroy();
}

function onClose(this: PendingSocket): void {
  release(this);
}

function expire(socket: PendingSocket): void {
  (socket[kPending] as PendingHead).timer = undefined;
  release(socket);
  refuse(socket, 408, `not complete within ${HEADERS_TIMEOUT} ms`);
}

/** The head is read (or the connection is over): drop the reader's listeners and state. */
function release(socket: PendingSocket): void {
  const pending = socket[kPending];
  if (pending === undefined) return;
  socket.server.untrack(socket);
  socket.removeListener('data', onData);
  socket.removeListener('end', onEnd);
  socket.removeListener('error', onError);
  socket.removeListener('close', onClose);
  if (pending.timer !== undefined) clearTimeout(pending.timer);
  socket[kPending] = undefined;
}

/** As Node's server on a parse error: write the fixed answer if still possible, then destroy; tell the owner. */
function refuse(socket: PendingSocket, status: HeadRefusalStatus, reason: string): void {
  socket.on('error', ignore);
  if (socket.writable) socket.write(RESPONSES[status]);
  socket.destroy();
  socket.server.onRefused(status, REASON_PREFIX + reason);
}

function ignore(): void {}

/** Leave the socket neither flowing nor paused, so whoever reads it next starts it (Node's upgrade does the same). */
function unflow(socket: net.Socket): void {
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
}

/** The `IncomingMessage` Node's parser would have made of `head` (same fields, same order, same header rules). */
function incomingMessage(socket: net.Socket, head: RequestHead, server: http.Server): http.IncomingMessage {
  const request = new http.IncomingMessage(socket);
  const parsed = request as unknown as ParsedIncomingMessage;
  request.httpVersionMajor = head.versionMajor;
  request.httpVersionMinor = head.versionMinor;
  request.httpVersion = `${head.versionMajor}.${head.versionMinor}`;
  parsed.joinDuplicateHeaders = (server as { joinDuplicateHeaders?: boolean }).joinDuplicateHeaders || null;
  request.url = head.url;
  parsed.upgrade = true;
  parsed._addHeaderLines(head.rawHeaders, head.headerEntries);
  request.method = head.method;
  request.complete = true;
  request.push(null);
  parsed.parser = null;
  return request;
}
