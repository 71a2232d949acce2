/**
 * `sockwire bench URL`: a closed-loop load client for an echo server. Each connection sends a message, waits for
 * the echo, records the round trip, and sends the next, for the given duration. Prints a progress line per second
 * on stderr and a result table (messages/s, latency percentiles) on stdout.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket } from '../api/websocket';
import {
  CliError,
  EXIT_FAILURE,
  EXIT_USAGE,
  flagOption,
  numberOption,
  parseCommandLine,
  type OptionTable
} from './args';
import type { CliIo } from './cli-io';
import { formatBytes, formatResultTable, LatencySamples, type BenchResult } from './bench-stats';

/** `sockwire bench --help`. */
export const BENCH_HELP = `Usage: sockwire bench <url> [options]

Measure an echo server: every connection sends a message, waits for the echo,
and repeats. Progress goes to stderr, the result table to stdout.

Options:
  -c, --connections <n>   concurrent connections (default 10)
  -s, --size <bytes>      message size in bytes (default 64)
  -d, --duration <s>      how long to run, in seconds (default 5)
      --text              send text messages instead of binary
      --compress          offer permessage-deflate
  -n, --no-check          accept invalid/self-signed TLS certificates
  -h, --help              show this help

Exit code: 0 when every message came back intact, 1 otherwise.
Try it: sockwire serve --echo & sockwire bench ws://127.0.0.1:8080
`;

const OPTIONS: OptionTable = {
  connections: { type: 'string', short: 'c' },
  size: { type: 'string', short: 's' },
  duration: { type: 'string', short: 'd' },
  text: { type: 'boolean' },
  compress: { type: 'boolean' },
  'no-check': { type: 'boolean', short: 'n' },
  help: { type: 'boolean', short: 'h' }
};

/** After the duration, how long in-flight echoes and close handshakes may take before sockets are dropped. */
const DRAIN_MS = 2000;

interface BenchSettings {
  url: string;
  connections: number;
  size: number;
  durationMs: number;
  text: boolean;
  compress: boolean;
  rejectUnauthorized: boolean;
}

/** One connection's loop state. */
interface Lane {
  ws: WebSocket;
  sentAt: number;
  inFlight: boolean;
  dead: boolean;
}

function readSettings(args: string[]): BenchSettings | undefined {
  const { values, positionals } = parseCommandLine('bench', args, OPTIONS, true);
  if (flagOption(values, 'help')) return undefined;
  if (positionals.length !== 1) {
    const problem = positionals.length === 0 ? 'missing <url>' : `expected one <url>, got ${positionals.length}`;
    throw new CliError(`sockwire bench: ${problem} (see "sockwire bench --help")`, EXIT_USAGE);
  }
  const url = positionals[0].includes('://') || positionals[0].startsWith('ws+unix:') ? positionals[0] : `ws://${positionals[0]}`;
  return {
    url,
    connections: numberOption('bench', values, 'connections', 10, { min: 1, max: 10000, integer: true }),
    size: numberOption('bench', values, 'size', 64, { min: 0, max: 64 * 1024 * 1024, integer: true }),
    durationMs: numberOption('bench', values, 'duration', 5, { min: 0.1, max: 3600, integer: false }) * 1000,
    text: flagOption(values, 'text'),
    compress: flagOption(values, 'compress'),
    rejectUnauthorized: !flagOption(values, 'no-check')
  };
}

/** Open every connection; rejects with a one-line error (and closes the others) if any fails. */
async function openAll(settings: BenchSettings): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const opening: Array<Promise<void>> = [];
  for (let i = 0; i < settings.connections; i++) {
    let ws: WebSocket;
    try {
      ws = new WebSocket(settings.url, {
        perMessageDeflate: settings.compress,
        rejectUnauthorized: settings.rejectUnauthorized,
        closeTimeout: DRAIN_MS
      });
    } catch (error) {
      throw new CliError(`sockwire bench: ${error instanceof Error ? error.message : String(error)}`, EXIT_USAGE);
    }
    sockets.push(ws);
    opening.push(
      new Promise((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', (error: Error) => reject(error));
        ws.once('close', () => reject(new Error('connection closed during the handshake')));
      })
    );
  }
  try {
    await Promise.all(opening);
  } catch (error) {
    for (const ws of sockets) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError(`sockwire bench: could not connect to ${settings.url}: ${why}`, EXIT_FAILURE);
  }
  for (const ws of sockets) ws.removeAllListeners();
  return sockets;
}

/** Run the load for `settings.durationMs`; resolves with the measurements. */
function runLoad(settings: BenchSettings, sockets: WebSocket[], io: CliIo): Promise<BenchResult> {
  const payload = settings.text ? randomBytes(Math.ceil(settings.size / 2)).toString('hex').slice(0, settings.size) : randomBytes(settings.size);
  const expectedLength = Buffer.byteLength(payload);
  const samples = new LatencySamples();
  let maxLatency = Number.NaN;
  let messages = 0;
  let errors = 0;
  let running = true;
  const start = performance.now();
  let elapsedMs = 0;
  const lanes: Lane[] = sockets.map((ws) => ({ ws, sentAt: 0, inFlight: false, dead: false }));

  return new Promise((resolve) => {
    let lastMessages = 0;
    let lastTick = start;
    const progress = setInterval(() => {
      const now = performance.now();
      const rate = ((messages - lastMessages) * 1000) / (now - lastTick);
      lastMessages = messages;
      lastTick = now;
      const line = `${((now - start) / 1000).toFixed(1)} s  ${rate.toFixed(0)} msgs/s  ${messages} total  ${errors} errors`;
      if (io.stderr.isTTY === true) io.stderr.write(`\r\x1b[2K${line}`);
      else io.stderr.write(`${line}\n`);
    }, 1000);

    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      clearInterval(progress);
      if (io.stderr.isTTY === true) io.stderr.write('\n');
      const [p50, p90, p99] = samples.percentiles([50, 90, 99]);
      resolve({
        url: settings.url,
        connections: settings.connections,
        size: settings.size,
        seconds: elapsedMs / 1000,
        messages,
        errors,
        p50,
        p90,
        p99,
        max: maxLatency
      });
    };
    let drainTimer: NodeJS.Timeout | undefined;
    const closeAll = (): void => {
      for (const lane of lanes) if (!lane.dead) lane.ws.close(1000);
      drainTimer = setTimeout(() => {
        for (const lane of lanes) lane.ws.terminate();
      }, DRAIN_MS);
    };
    const maybeDone = (): void => {
      if (lanes.every((lane) => lane.dead)) finish();
    };
    const stop = (): void => {
      if (!running) return;
      running = false;
      elapsedMs = performance.now() - start;
      closeAll();
    };
    const stopTimer = setTimeout(stop, settings.durationMs);

    const send = (lane: Lane): void => {
      lane.sentAt = performance.now();
      lane.inFlight = true;
      lane.ws.send(payload, { binary: !settings.text });
    };
    for (const lane of lanes) {
      lane.ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!lane.inFlight) return;
        lane.inFlight = false;
        if (!running) return;
        const latency = performance.now() - lane.sentAt;
        if (isBinary === settings.text || data.length !== expectedLength) errors++;
        else {
          messages++;
          samples.add(latency);
          if (!(latency <= maxLatency)) maxLatency = latency;
        }
        send(lane);
      });
      lane.ws.on('error', () => undefined); // the close event reports it
      lane.ws.on('close', () => {
        lane.dead = true;
        if (running) {
          errors++; // the server went away mid-run
          if (lanes.every((other) => other.dead)) {
            clearTimeout(stopTimer);
            stop();
          }
        }
        maybeDone();
      });
      send(lane);
    }
  });
}

/** Run `sockwire bench`; resolves with the exit code. */
export async function runBench(args: string[], io: CliIo): Promise<number> {
  const settings = readSettings(args);
  if (settings === undefined) {
    io.stdout.write(BENCH_HELP);
    return 0;
  }
  const sockets = await openAll(settings);
  io.stderr.write(
    `sockwire bench: ${settings.connections} connection(s), ${formatBytes(settings.size)} ${settings.text ? 'text' : 'binary'} messages, ${settings.durationMs / 1000} s\n`
  );
  const result = await runLoad(settings, sockets, io);
  io.stdout.write(formatResultTable(result));
  return result.errors === 0 && result.messages > 0 ? 0 : EXIT_FAILURE;
}
