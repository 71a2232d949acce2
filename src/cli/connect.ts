/**
 * `sockwire connect URL`: an interactive WebSocket client in the manner of wscat. Typed lines are sent as text,
 * received messages are printed with `<` (sent ones with `>`), binary as hex; `/ping`, `/pong`, `/binary`, `/close`
 * are commands. With `-x` it sends messages, prints the replies and exits. The exit code follows the close code
 * (see close-exit-code.ts).
 */
import { createInterface, type Interface } from 'node:readline';
import type { OutgoingHttpHeaders } from 'node:http';
import { WebSocket } from '../api/websocket';
import type { ClientOptions } from '../api/options';
import { ReconnectingWebSocket } from '../client/reconnecting-websocket';
import type { ReconnectReason } from '../client/reconnect-policy';
import {
  CliError,
  EXIT_FAILURE,
  EXIT_USAGE,
  flagOption,
  listOption,
  numberOption,
  parseCommandLine,
  stringOption,
  type OptionTable
} from './args';
import { LinePrinter, type CliIo } from './cli-io';
import { exitCodeForClose } from './close-exit-code';
import { describeBinary, Painter, parseHex, toBuffer, wantsColour } from './format';

/** `sockwire connect --help`. */
export const CONNECT_HELP = `Usage: sockwire connect <url> [options]

Open a WebSocket connection. Lines you type are sent as text messages; received
messages are printed after "< " (sent ones after "> "), binary messages as hex.

Options:
  -H, --header <"Name: value">  add a request header (repeatable)
  -s, --subprotocol <name>      offer a subprotocol (repeatable)
  -o, --origin <origin>         set the Origin header
  -n, --no-check                accept invalid/self-signed TLS certificates
  -x, --execute <message>       send this message (repeatable), print the replies, exit
  -w, --wait <seconds>          with -x: how long to wait for replies (default 2)
  -P, --show-ping-pong          print pings and pongs
  -L, --location                follow HTTP redirects
      --proxy <url>             connect through this proxy (http:, https:, socks5:,
                                socks5h:, socks4a:); without it the proxy environment
                                variables apply (http_proxy, https_proxy, no_proxy...)
      --no-proxy                connect directly, ignoring the proxy variables
      --reconnect               reconnect with backoff when the connection drops
                                (until /close, Ctrl+C or Ctrl+D; -x messages are
                                sent again on each new connection until answered)
      --compress                offer permessage-deflate
      --no-color                never use colours (also: NO_COLOR=1)
  -h, --help                    show this help

Commands (type at the prompt):
  /ping [text]    send a ping            /pong [text]   send a pong
  /binary <hex>   send binary bytes      /close [code [reason]]  close
  //text          send "/text" literally

Exit code: 0 after close code 1000 or 1005; 1 if the connection failed;
2 for a bad command line; 3 for codes 3000-3999; 4 for codes 4000-4999;
100 + (code - 1000) for 1001-1015 (e.g. 106 when the connection dropped).
`;

const OPTIONS: OptionTable = {
  header: { type: 'string', short: 'H', multiple: true },
  subprotocol: { type: 'string', short: 's', multiple: true },
  origin: { type: 'string', short: 'o' },
  'no-check': { type: 'boolean', short: 'n' },
  execute: { type: 'string', short: 'x', multiple: true },
  wait: { type: 'string', short: 'w' },
  'show-ping-pong': { type: 'boolean', short: 'P' },
  location: { type: 'boolean', short: 'L' },
  proxy: { type: 'string' },
  'no-proxy': { type: 'boolean' },
  compress: { type: 'boolean' },
  reconnect: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
};

/** How long the CLI waits for the peer's close frame before dropping the socket (ws's 30 s is long for a human). */
const CLOSE_TIMEOUT_MS = 3000;

/** Settings of one `connect` run, after validation. */
interface ConnectSettings {
  url: string;
  protocols: string[];
  options: ClientOptions;
  execute: string[];
  waitMs: number;
  showPingPong: boolean;
  colour: boolean;
  reconnect: boolean;
}

/** Accept `host:port/path` like wscat does, by assuming `ws://` when no scheme is given. */
function normaliseUrl(text: string): string {
  return text.includes('://') || text.startsWith('ws+unix:') ? text : `ws://${text}`;
}

/** `Name: value` → [name, value]; anything else is a usage error. */
function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  // RFC 7230 §3.2.6: a header name is a token.
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new CliError(`sockwire connect: invalid header "${text}" (expected "Name: value")`, EXIT_USAGE);
  }
  return [name, text.slice(colon + 1).trim()];
}

function readSettings(args: string[], io: CliIo): ConnectSettings | undefined {
  const { values, positionals } = parseCommandLine('connect', args, OPTIONS, true);
  if (flagOption(values, 'help')) return undefined;
  if (positionals.length !== 1) {
    const problem = positionals.length === 0 ? 'missing <url>' : `expected one <url>, got ${positionals.length}`;
    throw new CliError(`sockwire connect: ${problem} (see "sockwire connect --help")`, EXIT_USAGE);
  }
  const headers: OutgoingHttpHeaders = {};
  for (const text of listOption(values, 'header')) {
    const [name, value] = parseHeader(text);
    headers[name] = value;
  }
  const options: ClientOptions = {
    headers,
    rejectUnauthorized: !flagOption(values, 'no-check'),
    followRedirects: flagOption(values, 'location'),
    perMessageDeflate: flagOption(values, 'compress'),
    closeTimeout: CLOSE_TIMEOUT_MS
  };
  const origin = stringOption(values, 'origin');
  if (origin !== undefined) options.origin = origin;
  const proxy = stringOption(values, 'proxy');
  if (proxy !== undefined && flagOption(values, 'no-proxy')) {
    throw new CliError('sockwire connect: --proxy and --no-proxy cannot be used together', EXIT_USAGE);
  }
  // A command-line tool follows the proxy variables by default, as curl does (the library only when asked).
  options.proxy = flagOption(values, 'no-proxy') ? false : (proxy ?? 'env');
  const waitSeconds = numberOption('connect', values, 'wait', 2, { min: 0, max: 3600, integer: false });
  return {
    url: normaliseUrl(positionals[0]),
    protocols: listOption(values, 'subprotocol'),
    options,
    execute: listOption(values, 'execute'),
    waitMs: waitSeconds * 1000,
    showPingPong: flagOption(values, 'show-ping-pong'),
    reconnect: flagOption(values, 'reconnect'),
    colour: wantsColour(io.stdout, flagOption(values, 'no-color'), io.env)
  };
}

/** Ping/pong payloads: text when printable, hex otherwise. */
function describeControl(data: Buffer): string {
  const text = data.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(data) && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text);
  return printable ? text : describeBinary(data);
}

/** Parse `/close [code [reason]]`'s arguments; `undefined` code means "no code". */
function parseCloseCommand(rest: string): { code?: number; reason?: string } | string {
  const match = /^(\d+)?\s*(.*)$/s.exec(rest.trim());
  if (match === null || match[1] === undefined) return rest.trim() === '' ? {} : 'usage: /close [code [reason]]';
  return { code: Number(match[1]), reason: match[2] === '' ? undefined : match[2] };
}

/** One line about why reconnecting stopped. */
function describeReason(reason: ReconnectReason): string {
  switch (reason.type) {
    case 'close':
      return `close code ${reason.code}`;
    case 'unexpected-response':
      return `HTTP ${reason.status}`;
    case 'max-retries':
      return `${reason.attempts} attempts`;
    case 'manual':
      return 'manual';
    default:
      return reason.error.message;
  }
}

/** One running `connect` session. */
class ConnectSession {
  private readonly printer: LinePrinter;
  private readonly painter: Painter;
  private ws: WebSocket | undefined;
  /** With --reconnect: the client whose current socket is used instead of `ws`. */
  private rws: ReconnectingWebSocket | undefined;
  private finish: ((code: number, reason: Buffer) => void) | undefined;
  private lastClose: [number, Buffer] = [1006, Buffer.alloc(0)];
  private prompt: Interface | undefined;
  private opened = false;
  private failure: string | undefined;
  private repliesAwaited = 0;
  private userPings = 0;
  private waitTimer: NodeJS.Timeout | undefined;
  private interrupts = 0;
  private readonly onSigint = (): void => this.interrupt();

  constructor(
    private readonly settings: ConnectSettings,
    private readonly io: CliIo
  ) {
    this.printer = new LinePrinter(io);
    this.painter = new Painter(settings.colour);
  }

  run(): Promise<number> {
    return new Promise((resolve, reject) => {
      let client: WebSocket | ReconnectingWebSocket;
      const { url, protocols, options } = this.settings;
      try {
        client = this.settings.reconnect ? new ReconnectingWebSocket(url, protocols, options) : new WebSocket(url, protocols, options);
      } catch (error) {
        // Bad URLs and bad subprotocol names throw synchronously (SyntaxError), as in ws.
        const message = error instanceof Error ? error.message : String(error);
        throw new CliError(`sockwire connect: ${message}`, EXIT_USAGE);
      }
      if (client instanceof ReconnectingWebSocket) this.rws = client;
      else this.ws = client;
      process.on('SIGINT', this.onSigint);
      client.on('open', () => this.onOpen());
      client.on('message', (data: unknown, isBinary: boolean) => this.onMessage(data, isBinary));
      client.on('ping', (data: Buffer) => {
        if (this.settings.showPingPong) this.printer.out(this.painter.paint('control', `< ping ${describeControl(data)}`.trimEnd()));
      });
      client.on('pong', (data: Buffer) => {
        if (this.settings.showPingPong || this.userPings > 0) {
          this.userPings = Math.max(0, this.userPings - 1);
          this.printer.out(this.painter.paint('control', `< pong ${describeControl(data)}`.trimEnd()));
        }
      });
      client.on('error', (error: Error) => {
        if (!this.opened) this.failure = error.message;
        else this.printer.err(this.painter.paint('error', `error: ${error.message}`));
      });
      let finished = false;
      const finish = (code: number, reason: Buffer): void => {
        if (finished) return;
        finished = true;
        try {
          resolve(this.onClose(code, reason));
        } catch (error) {
          reject(error);
        }
      };
      this.finish = finish;
      if (client instanceof ReconnectingWebSocket) this.watchReconnects(client);
      else client.on('close', finish);
    });
  }

  /** --reconnect: report each drop and retry; finish only once the client is closed for good. */
  private watchReconnects(rws: ReconnectingWebSocket): void {
    rws.on('close', (code: number, reason: Buffer) => {
      this.lastClose = [code, reason];
      if (rws.readyState === WebSocket.CLOSED) this.finish?.(code, reason);
      else if (this.opened) this.printer.err(this.painter.paint('error', `Disconnected (code: ${code})`));
    });
    rws.on('reconnect', (attempt: number, delay: number) => {
      this.printer.err(this.painter.paint('info', `Reconnecting in ${Math.round(delay)} ms (attempt ${attempt})`));
    });
    rws.on('giveup', (reason: ReconnectReason) => {
      this.printer.err(this.painter.paint('error', `Gave up reconnecting (${describeReason(reason)})`));
      this.finish?.(...this.lastClose);
    });
  }

  /** The socket commands go to: the reconnecting client's current one, or the only one. */
  private socket(): WebSocket | undefined {
    return this.rws !== undefined ? (this.rws.socket ?? undefined) : this.ws;
  }

  /** --reconnect: stop for good; without a socket (waiting to retry) there is no 'close' to wait for. */
  private closeReconnecting(rws: ReconnectingWebSocket, code?: number, reason?: string): void {
    const hadSocket = rws.socket !== null;
    rws.close(code, reason);
    if (!hadSocket) this.finish?.(...this.lastClose);
  }

  private onOpen(): void {
    const reopened = this.opened;
    this.opened = true;
    const ws = this.socket() as WebSocket;
    const details = [ws.protocol !== '' ? `subprotocol: ${ws.protocol}` : '', ws.extensions !== '' ? `extensions: ${ws.extensions}` : '']
      .filter((part) => part !== '')
      .join(', ');
    if (this.settings.execute.length > 0) {
      this.printer.err(this.painter.paint('info', `Connected to ${ws.url}${details === '' ? '' : ` (${details})`}`));
      this.repliesAwaited = this.settings.execute.length;
      for (const message of this.settings.execute) this.sendText(message, true);
      if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
      this.waitTimer = setTimeout(() => this.closeNormally(), this.settings.waitMs);
      return;
    }
    if (reopened) {
      this.printer.err(this.painter.paint('info', `Reconnected to ${ws.url}`));
      return;
    }
    const interactive = this.io.stdin.isTTY === true && this.io.stdout.isTTY === true;
    this.printer.err(
      this.painter.paint('info', `Connected to ${ws.url}${details === '' ? '' : ` (${details})`}; press Ctrl+C or Ctrl+D to quit`)
    );
    this.prompt = createInterface({
      input: this.io.stdin,
      output: interactive ? (this.io.stdout as NodeJS.WritableStream) : undefined,
      terminal: interactive,
      prompt: '> '
    });
    if (interactive) {
      this.printer.attachPrompt(this.prompt);
      this.prompt.prompt();
    }
    this.prompt.on('line', (line: string) => {
      this.handleLine(line, !interactive);
      if (interactive && this.prompt !== undefined) this.prompt.prompt();
    });
    // Ctrl+D / end of piped input: finish politely.
    this.prompt.on('close', () => {
      this.printer.detachPrompt();
      this.prompt = undefined;
      this.closeNormally();
    });
    this.prompt.on('SIGINT', () => this.interrupt());
  }

  private handleLine(line: string, echo: boolean): void {
    const ws = this.socket();
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
    if (!line.startsWith('/') || line.startsWith('//')) {
      this.sendText(line.startsWith('//') ? line.slice(1) : line, echo);
      return;
    }
    const space = line.indexOf(' ');
    const command = space === -1 ? line : line.slice(0, space);
    const rest = space === -1 ? '' : line.slice(space + 1);
    const note = (text: string): void => this.printer.err(this.painter.paint('error', text));
    switch (command) {
      case '/ping':
        this.userPings++;
        ws.ping(rest);
        if (echo) this.printer.out(this.painter.paint('control', `> ping ${rest}`.trimEnd()));
        return;
      case '/pong':
        ws.pong(rest);
        if (echo) this.printer.out(this.painter.paint('control', `> pong ${rest}`.trimEnd()));
        return;
      case '/binary': {
        const bytes = parseHex(rest);
        if (bytes === undefined) return note('usage: /binary <hex bytes>, e.g. /binary 01 02 ff');
        ws.send(bytes, { binary: true });
        if (echo) this.printer.out(this.painter.paint('sent', `> ${describeBinary(bytes)}`));
        return;
      }
      case '/close': {
        const parsed = parseCloseCommand(rest);
        if (typeof parsed === 'string') return note(parsed);
        try {
          if (this.rws !== undefined) this.closeReconnecting(this.rws, parsed.code, parsed.reason);
          else ws.close(parsed.code, parsed.reason);
        } catch (error) {
          note(`cannot close: ${error instanceof Error ? error.message : String(error)}`);
        }
        return;
      }
      default:
        note(`unknown command ${command} (commands: /ping /pong /binary /close; "//" sends a leading "/")`);
    }
  }

  private sendText(text: string, echo: boolean): void {
    this.socket()?.send(text);
    if (echo) this.printer.out(this.painter.paint('sent', `> ${text}`));
  }

  private onMessage(data: unknown, isBinary: boolean): void {
    const buffer = toBuffer(data);
    const body = isBinary ? describeBinary(buffer) : buffer.toString('utf8');
    this.printer.out(this.painter.paint('received', `< ${body}`));
    if (this.repliesAwaited > 0 && --this.repliesAwaited === 0) this.closeNormally();
  }

  private closeNormally(): void {
    if (this.rws !== undefined) {
      this.closeReconnecting(this.rws, 1000);
      return;
    }
    const ws = this.ws as WebSocket;
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  }

  /** First Ctrl+C closes politely; a second one gives up on the close handshake. */
  private interrupt(): void {
    this.interrupts++;
    if (this.rws !== undefined && (this.interrupts === 1 || this.rws.socket === null)) {
      this.closeReconnecting(this.rws, 1000);
      return;
    }
    const ws = this.socket() as WebSocket;
    if (this.interrupts === 1 && ws.readyState !== WebSocket.CLOSED) {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
      return;
    }
    ws.terminate();
  }

  private onClose(code: number, reason: Buffer): number {
    process.removeListener('SIGINT', this.onSigint);
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    if (this.prompt !== undefined) {
      const prompt = this.prompt;
      this.printer.detachPrompt();
      this.prompt = undefined;
      prompt.removeAllListeners('close');
      prompt.close();
    }
    if (!this.opened) {
      const why = this.failure ?? `connection closed (code ${code})`;
      throw new CliError(`sockwire connect: could not connect to ${this.settings.url}: ${why}`, EXIT_FAILURE);
    }
    const reasonText = reason.length > 0 ? `, reason: "${reason.toString('utf8')}"` : '';
    const exitCode = exitCodeForClose(code);
    const line = `Disconnected (code: ${code}${reasonText})`;
    this.printer.err(this.painter.paint(exitCode === 0 ? 'info' : 'error', line));
    return exitCode;
  }
}

/** Run `sockwire connect` with `args` (after the command name); resolves with the exit code. */
export async function runConnect(args: string[], io: CliIo): Promise<number> {
  const settings = readSettings(args, io);
  if (settings === undefined) {
    io.stdout.write(CONNECT_HELP);
    return 0;
  }
  return new ConnectSession(settings, io).run();
}
