/**
 * Graceful shutdown (sockwire): stop accepting, send every client a close frame (1001 "going away" by default,
 * RFC 6455 §7.4.1), wait for their close frames — which come after everything we queued was read — and terminate
 * whatever is left when the timeout passes.
 */
import { isValidCloseCode } from '../core/close-codes';
import type { ServerHub } from './server-hub';
import type { FeatureSocket } from './feature-socket';

/** Options of `wss.shutdown()`. */
export interface ShutdownOptions {
  /** Close code sent to every client (default 1001, "going away"). */
  code?: number;
  /** Close reason (UTF-8, at most 123 bytes). */
  reason?: string | Buffer;
  /** Ms to wait for the clients before terminating them (default 10000). */
  timeout?: number;
}

/** What `wss.shutdown()` resolves with. */
export interface ShutdownResult {
  /** Sockets open (or closing) when the shutdown started. */
  total: number;
  /** Of those, closed before the timeout: close handshake done, or the peer went away by itself. */
  closed: number;
  /** Of those, terminated at the timeout. */
  terminated: number;
}

/** RFC 6455 §7.4.1: "going away", e.g. a server going down. */
const GOING_AWAY = 1001;
const DEFAULT_TIMEOUT = 10000;

/** Check the options up front, so that a bad code cannot leave half the clients closed. */
function validate(options: ShutdownOptions): { code: number; reason: string | Buffer | undefined; timeout: number } {
  const code = options.code ?? GOING_AWAY;
  if (typeof code !== 'number' || !isValidCloseCode(code)) throw new TypeError('The "code" option must be a valid close code');
  const reason = options.reason;
  if (reason !== undefined && Buffer.byteLength(reason) > 123) {
    throw new RangeError('The message must not be greater than 123 bytes');
  }
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  if (typeof timeout !== 'number' || !(timeout >= 0)) throw new TypeError('The "timeout" option must be a non-negative number');
  return { code, reason, timeout };
}

/**
 * Close `clients` and resolve once every one of them has emitted `'close'`. `stopAccepting` is the server's
 * `close()`: new upgrades get 503 from then on.
 */
export function shutdownClients(
  hub: ServerHub,
  clients: Set<FeatureSocket> | undefined,
  options: ShutdownOptions,
  stopAccepting: () => void
): Promise<ShutdownResult> {
  const { code, reason, timeout } = validate(options);
  if (clients === undefined) throw new Error('shutdown() needs clientTracking (the default) to find the clients');
  stopAccepting();
  const pending = new Set<FeatureSocket>();
  for (const ws of clients) if (ws.readyState < 3) pending.add(ws);
  const result: ShutdownResult = { total: pending.size, closed: 0, terminated: 0 };
  if (pending.size === 0) return Promise.resolve(result);
  return new Promise<ShutdownResult>((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      for (const ws of [...pending]) ws.terminate();
    }, timeout);
    hub.shutdownWatch = (ws) => {
      if (!pending.delete(ws)) return;
      if (timedOut) result.terminated++;
      else result.closed++;
      if (pending.size === 0) {
        clearTimeout(timer);
        hub.shutdownWatch = null;
        resolve(result);
      }
    };
    for (const ws of [...pending]) {
      const connection = ws._connection;
      // The session takes any valid code (the public close() allows only 1000 and 3000-4999, as ws).
      if (connection !== null && connection.state === 'open') connection.close(code, reason);
    }
  });
}
