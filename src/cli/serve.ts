/**
 * `sockwire serve`: one port serving the demo chat page over HTTP and its WebSocket endpoint (`/chat`), or, with
 * `--echo`, a WebSocket echo server on any path. Stops cleanly on SIGINT/SIGTERM (clients get 1001 Going Away).
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { WebSocketServer, type ServerOptions } from '../api/websocket-server';
import type { WebSocket } from '../api/websocket';
import { CliError, EXIT_FAILURE, flagOption, numberOption, parseCommandLine, stringOption, type OptionTable } from './args';
import type { CliIo } from './cli-io';
import { ChatRoom, CHAT_MAX_PAYLOAD } from './chat-server';
import { ChatPresence } from './chat-presence';
import { RedisPubSub } from '../pubsub/redis-pubsub';
import { createStaticHandler } from './static-files';
import { DEFAULT_STATS_INTERVAL_S, startStatsReporter } from './serve-stats';

/** `sockwire serve --help`. */
export const SERVE_HELP = `Usage: sockwire serve [options]

Serve the demo chat page and its WebSocket endpoint on one port.

Options:
  -p, --port <port>   port to listen on (default 8080; 0 picks a free port)
      --host <host>   address to listen on (default 127.0.0.1)
      --echo          be a WebSocket echo server (any path) instead of the chat
      --compress      accept permessage-deflate
      --stats         print a one-line summary of wss.stats() every few seconds
                      (redrawn in place on a terminal, one line each otherwise)
      --stats-interval <s>  seconds between summaries (default 2)
      --redis <url>   run the chat over a Redis broker (redis://host:port): several
                      processes share one room and one online list (needs: npm install redis)
  -h, --help          show this help

The chat WebSocket endpoint is ws://<host>:<port>/chat. Stop with Ctrl+C.
`;

const OPTIONS: OptionTable = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  echo: { type: 'boolean' },
  compress: { type: 'boolean' },
  stats: { type: 'boolean' },
  'stats-interval': { type: 'string' },
  redis: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
};

/** Where the demo files live, relative to dist/cjs/cli/serve.js (and src/cli/serve.ts). */
export const DEMO_DIR = join(__dirname, '..', '..', '..', 'demo');

/** How long clients get to answer our close frame at shutdown before being cut off. */
const SHUTDOWN_GRACE_MS = 2000;

/** A running server, as `startServer` returns it. */
export interface RunningServer {
  http: Server;
  wss: WebSocketServer;
  /** The `http://…/` URL to open. */
  url: string;
  /** Close every client with 1001, stop listening, resolve when done. */
  stop(): Promise<void>;
}

/** Settings of `startServer`. */
export interface ServeSettings {
  port: number;
  host: string;
  echo: boolean;
  compress: boolean;
  /** Chat over this Redis broker (`--redis`). */
  redis?: string;
  demoDir?: string;
}

function echo(ws: WebSocket): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {
    // 'close' follows; an echo server has nothing to report.
  });
}

/** `host:port` for a URL, bracketing IPv6 addresses. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Start the HTTP + WebSocket server; rejects with a one-line `CliError` if it cannot listen. */
export function startServer(settings: ServeSettings): Promise<RunningServer> {
  const http = createServer(createStaticHandler(settings.demoDir ?? DEMO_DIR));
  const options: ServerOptions = { server: http, perMessageDeflate: settings.compress };
  let room: ChatRoom | undefined;
  if (!settings.echo) {
    options.path = '/chat';
    options.maxPayload = CHAT_MAX_PAYLOAD;
  }
  let pubsub: RedisPubSub | undefined;
  let presence: ChatPresence | undefined;
  if (settings.redis !== undefined) {
    if (settings.echo) return Promise.reject(new CliError('sockwire serve: --redis works with the chat, not with --echo', EXIT_FAILURE));
    pubsub = new RedisPubSub({ url: settings.redis });
    options.pubsub = pubsub;
  }
  const wss = new WebSocketServer(options);
  if (settings.echo) wss.on('connection', echo);
  else {
    const chat = new ChatRoom();
    if (settings.redis !== undefined) presence = new ChatPresence(new RedisPubSub({ url: settings.redis }), () => chat.onlineChanged());
    chat.attach(wss, presence);
    room = chat;
  }
  const release = async (): Promise<void> => {
    await presence?.stop();
    await pubsub?.close();
  };
  // The WebSocketServer re-emits the HTTP server's errors; listen there so none goes unhandled.
  wss.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      room?.stop();
      void release();
      const why = error.code === 'EADDRINUSE' ? 'address already in use' : error.message;
      reject(new CliError(`sockwire serve: cannot listen on ${hostPort(settings.host, settings.port)}: ${why}`, EXIT_FAILURE));
    };
    http.once('error', onError);
    http.listen(settings.port, settings.host, () => {
      http.removeListener('error', onError);
      const address = http.address();
      const port = typeof address === 'object' && address !== null ? address.port : settings.port;
      const stop = (): Promise<void> => stopServer(http, wss, room).then(release);
      resolve({ http, wss, url: `http://${hostPort(settings.host, port)}/`, stop });
    });
  });
}

function stopServer(http: Server, wss: WebSocketServer, room: ChatRoom | undefined): Promise<void> {
  room?.stop();
  return new Promise((resolve) => {
    const clients = [...wss.clients];
    let open = clients.length;
    const finish = (): void => {
      clearTimeout(timer);
      wss.close();
      http.close(() => resolve());
      http.closeAllConnections();
    };
    // Clients that do not finish the close handshake in time are cut off.
    const timer = setTimeout(() => {
      for (const ws of clients) ws.terminate();
    }, SHUTDOWN_GRACE_MS);
    if (open === 0) return finish();
    for (const ws of clients) {
      ws.once('close', () => {
        if (--open === 0) finish();
      });
      // RFC 6455 §7.4.1: 1001 "going away", e.g. a server going down.
      ws.close(1001, 'server shutting down');
    }
  });
}

/** Run `sockwire serve`; resolves with the exit code after SIGINT/SIGTERM. */
export async function runServe(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine('serve', args, OPTIONS, false);
  if (flagOption(values, 'help')) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  const settings: ServeSettings = {
    port: numberOption('serve', values, 'port', 8080, { min: 0, max: 65535, integer: true }),
    host: stringOption(values, 'host') ?? '127.0.0.1',
    echo: flagOption(values, 'echo'),
    compress: flagOption(values, 'compress'),
    redis: stringOption(values, 'redis')
  };
  const statsInterval = numberOption('serve', values, 'stats-interval', DEFAULT_STATS_INTERVAL_S, { min: 0.1, max: 3600, integer: false });
  const server = await startServer(settings);
  server.wss.on('pubsubError', (error) => io.stderr.write(`sockwire serve: ${error.message}\n`));
  const wsUrl = server.url.replace(/^http/, 'ws');
  if (settings.echo) io.stdout.write(`sockwire serve: echo server at ${wsUrl} (any path)\n`);
  else io.stdout.write(`sockwire serve: chat demo at ${server.url} (WebSocket endpoint ${wsUrl}chat)\n`);
  const stopStats = flagOption(values, 'stats')
    ? startStatsReporter(() => server.wss.stats(), io.stdout, statsInterval * 1000)
    : undefined;
  return new Promise((resolve) => {
    const shutdown = (): void => {
      process.removeListener('SIGINT', shutdown);
      process.removeListener('SIGTERM', shutdown);
      stopStats?.();
      server.stop().then(() => resolve(0), () => resolve(EXIT_FAILURE));
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
