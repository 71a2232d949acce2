/**
 * Client HTTP/2 sessions shared per origin (RFC 8441 §2: many WebSockets on one connection). A WebSocket asks for
 * a session; it gets one that has sent its SETTINGS with ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3: no extended
 * CONNECT before that), is told to fall back to HTTP/1.1 (ALPN picked `http/1.1`: the first request gets that TLS
 * connection; or the setting is absent), or
 * gets the connection's error. Requests made while a session connects wait for it; a session at its peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS sends newcomers to another; a session that received GOAWAY or died takes no
 * more; a session whose last WebSocket closed is closed. No WebSocket logic here.
 */
import * as http2 from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { flowSettings, type Http2Windows } from './http2-server';

/** Where to connect and how. */
export interface SessionTarget {
  /** `wss:` (TLS with ALPN `h2`, `http/1.1`) or `ws:` (h2c by prior knowledge). */
  secure: boolean;
  host: string;
  port: number;
  /**
   * Options that change what the connection is (TLS trust and identity, local address): a session is shared only
   * between requests whose values here are identical (`===`).
   */
  connectOptions: Record<string, unknown>;
  windows: Required<Http2Windows> | null;
}

/** What a request for a session ends in. */
export type SessionOutcome =
  | { kind: 'session'; session: ClientHttp2Session; release: () => void }
  /**
   * Use HTTP/1.1. `socket`, given to one request only, is the TLS connection on which ALPN picked `http/1.1`:
   * that request speaks HTTP/1.1 on it instead of connecting again.
   */
  | { kind: 'fallback'; socket?: tls.TLSSocket }
  | { kind: 'error'; error: Error };

/** One WebSocket's request for a session. */
interface SessionRequest {
  readonly target: SessionTarget;
  readonly done: (outcome: SessionOutcome) => void;
  /** Withdrawn by the WebSocket (closed while connecting). */
  cancelled: boolean;
  /** The session promised to it, to give back if it withdraws before using it. */
  granted: PooledSession | null;
}

/** RFC 9113 §6.5.2: the peer's stream limit is unbounded until its SETTINGS say otherwise; Node's default guess. */
const ASSUMED_MAX_STREAMS = 100;

/**
 * How long a session without WebSockets stays pooled (unref'd: it never keeps the process alive) before it is
 * closed. A WebSocket opened again soon reuses it, and the frames of the last one (its close, a RST_STREAM) are long
 * on the wire before the session's GOAWAY.
 */
const IDLE_SESSION_MS = 5000;

/** ALPN identifiers (RFC 7301, RFC 9113 §3.2). */
const ALPN_OFFER = ['h2', 'http/1.1'];

class PooledSession {
  session: ClientHttp2Session | null = null;
  /** Streams open or promised to a request. */
  active = 0;
  maxStreams = ASSUMED_MAX_STREAMS;
  ready = false;
  /** GOAWAY received, closing or dead: no new streams. */
  retired = false;
  readonly waiting: SessionRequest[] = [];
  /** Set while no WebSocket uses the session: it closes when this fires. */
  idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly key: string,
    readonly target: SessionTarget
  ) {}

  /** Whether a new stream may be promised now (a connecting session takes every request, sorted out when ready). */
  hasRoom(): boolean {
    return !this.retired && (!this.ready || this.active < this.maxStreams);
  }
}

const pool = new Map<string, PooledSession[]>();

function sameConnectOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) if (a[name] !== b[name]) return false;
  return true;
}

/**
 * Ask for a session to `target`. `done` is called once, asynchronously, unless the request is withdrawn with the
 * returned function first (the WebSocket was closed while waiting).
 */
export function requestSession(target: SessionTarget, done: (outcome: SessionOutcome) => void): () => void {
  const request: SessionRequest = { target, done, cancelled: false, granted: null };
  enqueue(request);
  return () => {
    if (request.cancelled) return;
    request.cancelled = true;
    if (request.granted !== null) release(request.granted);
  };
}

function enqueue(request: SessionRequest): void {
  const target = request.target;
  const key = `${target.secure ? 'https' : 'http'}://${target.host}:${target.port}`;
  pruneDead(key);
  let entries = pool.get(key);
  if (entries === undefined) {
    entries = [];
    pool.set(key, entries);
  }
  let entry = entries.find((candidate) => candidate.hasRoom() && sameConnectOptions(candidate.target.connectOptions, target.connectOptions));
  if (entry === undefined) {
    entry = new PooledSession(key, target);
    entries.push(entry);
    openSession(entry);
  }
  if (!entry.ready) {
    entry.waiting.push(request);
    return;
  }
  grant(entry, request);
}

/** Promise a stream of `entry` to `request` and tell it on the next tick. */
function grant(entry: PooledSession, request: SessionRequest): void {
  if (entry.idleTimer !== undefined) {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.session?.ref();
  }
  entry.active++;
  request.granted = entry;
  process.nextTick(() => {
    if (request.cancelled) return;
    // From here the WebSocket gives the stream back; the request (and what its callback holds) can go.
    request.granted = null;
    request.done({ kind: 'session', session: entry.session as ClientHttp2Session, release: releaseOnce(entry) });
  });
}

/** A release callback for one stream that holds nothing but the session entry (it lives as long as the stream). */
function releaseOnce(entry: PooledSession): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release(entry);
  };
}

function release(entry: PooledSession): void {
  entry.active--;
  if (entry.active === 0 && entry.ready) becomeIdle(entry);
}

/** The last WebSocket left: keep the session a while without holding the process, then close it. */
function becomeIdle(entry: PooledSession): void {
  if (entry.retired) {
    closeIdle(entry);
    return;
  }
  entry.session?.unref();
  entry.idleTimer = setTimeout(closeIdle, IDLE_SESSION_MS, entry);
  entry.idleTimer.unref();
}

/** Close an unused session (GOAWAY, RFC 9113 §6.8). */
function closeIdle(entry: PooledSession): void {
  entry.idleTimer = undefined;
  retire(entry);
  const session = entry.session;
  if (session !== null && !session.closed && !session.destroyed) session.close();
}

/**
 * Retire the sessions of `key` that are already destroyed or closing. Node reports a dead session's streams closed
 * (and so their WebSockets, whose 'close' handlers may open new ones) before the session's own 'close' event.
 */
function pruneDead(key: string): void {
  const entries = pool.get(key);
  if (entries === undefined) return;
  for (const entry of [...entries]) {
    const session = entry.session;
    if (session !== null && (session.destroyed || session.closed)) retire(entry);
  }
}

/** Take the entry out of the pool: it gives no new streams. */
function retire(entry: PooledSession): void {
  if (entry.retired) return;
  entry.retired = true;
  const entries = pool.get(entry.key);
  if (entries === undefined) return;
  const index = entries.indexOf(entry);
  if (index !== -1) entries.splice(index, 1);
  if (entries.length === 0) pool.delete(entry.key);
}

/** Settle every waiting request with the same outcome (errors and fallbacks). */
function settleWaiting(entry: PooledSession, outcome: SessionOutcome): void {
  retire(entry);
  for (const request of entry.waiting.splice(0)) if (!request.cancelled) request.done(outcome);
}

/**
 * RFC 7301: the server picked `http/1.1` (or no protocol) on our TLS connection. The first waiting request speaks
 * HTTP/1.1 on that very connection (the client offered both protocols on one connection); the others fall back on
 * connections of their own, as when nobody is waiting to take it (then it is closed).
 */
function fallBackOn(entry: PooledSession, socket: tls.TLSSocket): void {
  retire(entry);
  const first = entry.waiting.findIndex((request) => !request.cancelled);
  if (first === -1) socket.destroy();
  else entry.waiting.splice(first, 1)[0].done({ kind: 'fallback', socket });
  settleWaiting(entry, { kind: 'fallback' });
}

function openSession(entry: PooledSession): void {
  const { secure, host, port, connectOptions } = entry.target;
  const onEarlyError = (error: Error): void => settleWaiting(entry, { kind: 'error', error });
  if (secure) {
    const options: tls.ConnectionOptions = { ...connectOptions, host, port, ALPNProtocols: ALPN_OFFER };
    // RFC 6066 §3: no SNI for an IP address literal.
    if (options.servername === undefined) options.servername = net.isIP(host) ? '' : host;
    const socket = tls.connect(options);
    socket.once('error', onEarlyError);
    socket.once('secureConnect', () => {
      socket.removeListener('error', onEarlyError);
      if (socket.alpnProtocol === 'h2') startSession(entry, socket);
      else fallBackOn(entry, socket);
    });
  } else {
    const socket = net.connect({ ...connectOptions, host, port } as net.NetConnectOpts);
    socket.once('error', onEarlyError);
    socket.once('connect', () => {
      socket.removeListener('error', onEarlyError);
      startSession(entry, socket);
    });
  }
}

function startSession(entry: PooledSession, socket: Duplex): void {
  const windows = entry.target.windows;
  const settings: http2.Settings = { enablePush: false };
  if (windows !== null) Object.assign(settings, flowSettings(windows));
  const scheme = entry.target.secure ? 'https' : 'http';
  const session = http2.connect(`${scheme}://${entry.target.host}:${entry.target.port}`, { settings, createConnection: () => socket });
  entry.session = session;
  if (windows !== null) session.once('connect', () => session.setLocalWindowSize(windows.session));
  session.on('remoteSettings', (remote: http2.Settings) => {
    entry.maxStreams = remote.maxConcurrentStreams ?? entry.maxStreams;
    if (entry.ready || entry.retired) return;
    // RFC 8441 §3: extended CONNECT only once the server said SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    if (remote.enableConnectProtocol !== true) {
      session.close();
      settleWaiting(entry, { kind: 'fallback' });
      return;
    }
    entry.ready = true;
    serveWaiting(entry);
  });
  // RFC 9113 §6.8: after GOAWAY the open streams finish, new ones go elsewhere.
  session.on('goaway', () => retire(entry));
  session.on('error', (error: Error) => settleWaiting(entry, { kind: 'error', error }));
  session.on('close', () => settleWaiting(entry, { kind: 'error', error: new Error('The HTTP/2 session closed before it was ready') }));
}

/** Grant streams up to the peer's limit; the other requests go to another session (a new one if none has room). */
function serveWaiting(entry: PooledSession): void {
  const waiting = entry.waiting.splice(0).filter((request) => !request.cancelled);
  for (const request of waiting) {
    if (entry.active < entry.maxStreams) grant(entry, request);
    else enqueue(request);
  }
  if (entry.active === 0) becomeIdle(entry);
}
