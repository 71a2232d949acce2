/**
 * Serving WebSockets on a Node HTTP/2 server (RFC 8441): advertise SETTINGS_ENABLE_CONNECT_PROTOCOL while a
 * WebSocketServer is attached, pick the extended CONNECT streams out of the server's `'stream'` events, keep Node's
 * compatibility layer from answering them 405 (nodejs/node#36977), set the flow-control windows, and remember the
 * sessions that carry WebSockets so a shutdown can end them with GOAWAY. No handshake decisions here.
 */
import * as http2 from 'node:http2';
import type { IncomingHttpHeaders, Http2Server, Http2SecureServer, Http2Session, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { isExtendedConnect } from '../core/http2-handshake';
import { Http2UpgradeRequest } from './http2-request';

/** Either kind of Node HTTP/2 server. */
export type AnyHttp2Server = Http2Server | Http2SecureServer;

/**
 * HTTP/2 flow-control windows in bytes (RFC 9113 §6.9). `stream` is the SETTINGS_INITIAL_WINDOW_SIZE we advertise
 * (how much a peer may send on one stream before we acknowledge it), `session` the connection window. Node's
 * 64 KiB defaults make a fast peer wait for WINDOW_UPDATE every 64 KiB; larger windows only cost memory when the
 * application stops reading (the window is then what one peer can make us buffer).
 */
export interface Http2Windows {
  /** Per-stream window (default 1 MiB). */
  stream?: number;
  /** Per-connection window (default 8 MiB). */
  session?: number;
}

/** The defaults of {@link Http2Windows}: measured in bench/http2.mjs (64 KiB windows cost throughput on loopback). */
export const DEFAULT_HTTP2_WINDOWS: Required<Http2Windows> = { stream: 1024 * 1024, session: 8 * 1024 * 1024 };

/** Port mode: concurrent WebSockets per session (RFC 9113 §5.1.2), unless the `http2.settings` option says. */
const DEFAULT_MAX_STREAMS = 256;

/** RFC 9113 §6.9.1: a window is at most 2^31−1. */
const MAX_WINDOW = 2 ** 31 - 1;

/**
 * RFC 9113 §6.5.2: the largest DATA frame we accept. Above Node's 16 KiB default, a 16 KiB WebSocket message (plus
 * its frame header) travels in one HTTP/2 frame instead of two, one event instead of two on the receiving side.
 */
const MAX_FRAME_SIZE = 64 * 1024;

/** The SETTINGS that go with the windows: initial stream window and frame size (the session window is separate). */
export function flowSettings(windows: Required<Http2Windows>): http2.Settings {
  return { initialWindowSize: windows.stream, maxFrameSize: MAX_FRAME_SIZE };
}

/** Resolve the windows option: `false` keeps Node's (and the app's) settings. */
export function resolveHttp2Windows(option: Http2Windows | false | undefined): Required<Http2Windows> | null {
  if (option === false) return null;
  const windows = { ...DEFAULT_HTTP2_WINDOWS, ...option };
  for (const [name, value] of Object.entries(windows)) {
    if (!Number.isInteger(value) || value < 65535 || value > MAX_WINDOW) {
      throw new RangeError(`The "http2Windows.${name}" option must be an integer from 65535 to ${MAX_WINDOW}`);
    }
  }
  return windows;
}

/** Whether `server` is a Node HTTP/2 server (Node exports no class to test against). */
export function isHttp2Server(server: unknown): server is AnyHttp2Server {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/**
 * Port mode: create the HTTP/2 server. Options with a `key`/`cert`/`pfx` make a TLS server offering `h2` and, by
 * default (`allowHTTP1`), `http/1.1` on the same port; otherwise cleartext h2c (prior knowledge only).
 */
export function createHttp2Server(
  options: true | http2.SecureServerOptions,
  onRequest: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  windows: Required<Http2Windows> | null,
  handshakeTimeout: number
): AnyHttp2Server {
  const given = options === true ? {} : options;
  // RFC 9113 §5.1.2: bound the streams (WebSockets) one session may hold; Node's default is unlimited.
  const settings: http2.Settings = { maxConcurrentStreams: DEFAULT_MAX_STREAMS, ...given.settings, enableConnectProtocol: true };
  if (windows !== null) Object.assign(settings, { ...flowSettings(windows), ...given.settings, enableConnectProtocol: true });
  const secure = given.key !== undefined || given.cert !== undefined || given.pfx !== undefined;
  if (secure) {
    const tlsDeadline = handshakeTimeout > 0 ? { handshakeTimeout } : {};
    return http2.createSecureServer({ allowHTTP1: true, ...tlsDeadline, ...given, settings }, onRequest);
  }
  return http2.createServer({ ...given, settings }, onRequest);
}

/** How many WebSocketServers serve on each HTTP/2 server, and whether the app had advertised the setting itself. */
const attached = new WeakMap<AnyHttp2Server, { count: number; appOwned: boolean }>();

/**
 * The settings the app created `server` with. Node 20 has no public way to read them (no getter beside
 * `updateSettings()`, and the initial SETTINGS are only sent, never exposed), so this reads the options Node keeps
 * under a symbol described "options" (lib/internal/http2/core.js), behind a feature check: if a Node release drops
 * it, the answer is `undefined` and sockwire withdraws the setting on detach as if sockwire alone had set it.
 * test/http2/server-api.test.mjs ("an app that advertised the setting itself keeps it") fails loudly then.
 */
function ownSettings(server: AnyHttp2Server): http2.Settings | undefined {
  const symbol = Object.getOwnPropertySymbols(server).find((s) => s.description === 'options');
  const options = symbol === undefined ? undefined : (server as unknown as Record<symbol, { settings?: http2.Settings }>)[symbol];
  return options?.settings;
}

/** One WebSocketServer's hold on an HTTP/2 server. */
export class Http2Attachment {
  /** Sessions that carried a WebSocket (ended with GOAWAY by {@link closeSessions}). */
  private readonly carriers = new Set<Http2Session>();
  /** Every session, in port mode, where the server is ours. */
  private readonly all: Set<Http2Session> | null;
  private readonly onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, raw: string[]) => void;
  private readonly onConnect: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  private readonly onSession: (session: ServerHttp2Session) => void;

  constructor(
    private readonly server: AnyHttp2Server,
    windows: Required<Http2Windows> | null,
    ownsServer: boolean,
    handle: (req: Http2UpgradeRequest, stream: ServerHttp2Stream) => void
  ) {
    this.all = ownsServer ? new Set() : null;
    this.onStream = (stream, headers, _flags, raw) => {
      // Ordinary requests and classic CONNECT tunnels are the app's (RFC 8441 §4: only :protocol marks ours).
      if (!isExtendedConnect(headers)) return;
      const session = stream.session;
      if (session !== undefined && !this.carriers.has(session)) {
        this.carriers.add(session);
        session.once('close', () => this.carriers.delete(session));
      }
      handle(new Http2UpgradeRequest(stream, headers, raw), stream);
    };
    // nodejs/node#36977: once the app listens to 'request', Node answers every CONNECT 405 unless someone listens
    // to 'connect'. Ours leaves WebSocket streams to onStream and keeps Node's 405 for other CONNECTs.
    this.onConnect = (req, res) => {
      if (isExtendedConnect(req.headers)) return;
      if (server.listenerCount('connect') === 1) {
        res.statusCode = 405;
        res.end();
      }
    };
    this.onSession = (session) => {
      if (windows !== null) session.setLocalWindowSize(windows.session);
      const all = this.all;
      if (all !== null) {
        all.add(session);
        session.once('close', () => all.delete(session));
      }
    };
    server.on('stream', this.onStream);
    server.on('connect', this.onConnect);
    server.on('session', this.onSession);
    const state = attached.get(server);
    if (state !== undefined) state.count++;
    else attached.set(server, { count: 1, appOwned: !ownsServer && ownSettings(server)?.enableConnectProtocol === true });
    // RFC 8441 §3: advertise extended CONNECT only while WebSockets are served here; sessions opened from now on
    // carry it (a browser that saw the setting does not fall back to HTTP/1.1 when its CONNECT is refused).
    const settings: http2.Settings = { enableConnectProtocol: true };
    if (windows !== null && !ownsServer) Object.assign(settings, flowSettings(windows));
    server.updateSettings(settings);
  }

  /** Stop serving: remove the listeners; the last WebSocketServer to leave withdraws the setting for new sessions. */
  detach(): void {
    const server = this.server;
    server.removeListener('stream', this.onStream);
    server.removeListener('connect', this.onConnect);
    server.removeListener('session', this.onSession);
    const state = attached.get(server);
    if (state === undefined) return;
    if (--state.count > 0) return;
    attached.delete(server);
    if (!state.appOwned) server.updateSettings({ enableConnectProtocol: false });
  }

  /**
   * End sessions gracefully (GOAWAY, RFC 9113 §6.8): no new streams, the open ones finish, then the session closes.
   * `all` (port mode) includes sessions that never carried a WebSocket, so that `server.close()` cannot hang.
   */
  closeSessions(all: boolean): void {
    const sessions = all && this.all !== null ? this.all : this.carriers;
    for (const session of [...sessions]) if (!session.closed && !session.destroyed) session.close();
  }
}
