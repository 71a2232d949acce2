/**
 * `ws.pingRTT(data?)`: send a ping (RFC 6455 §5.5.2) and resolve with the round-trip time in milliseconds once the
 * matching pong (§5.5.3) arrives. Built only on the socket's public surface (`ping()`, `'pong'`, `'close'`), with one
 * listener pair per socket however many pings are outstanding.
 */
import { performance } from 'node:perf_hooks';
import type { SendData } from '../io/data';

/** `err.code` when the socket closed (or was not open) before the pong came. */
export const PING_CLOSED_CODE = 'WS_ERR_CLOSED_BEFORE_PONG';

/** What `pingRTT` needs from a WebSocket. */
export interface PingableSocket {
  readonly readyState: number;
  ping(data: Buffer, mask: undefined, cb: (error?: Error | null) => void): void;
  on(event: 'pong', listener: (data: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  removeListener(event: 'pong', listener: (data: Buffer) => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

interface PendingPing {
  readonly payload: Buffer;
  readonly sentAt: number;
  readonly resolve: (rtt: number) => void;
  readonly reject: (error: Error) => void;
}

/** Payloads of pings without caller data: unique per process, so other pongs (heartbeat, unsolicited) never match. */
let nextPingId = 0;

function closedError(message: string): Error {
  return Object.assign(new Error(message), { code: PING_CLOSED_CODE });
}

/** The outstanding pings of one socket, oldest first. */
class PingTracker {
  private readonly pending: PendingPing[] = [];
  private readonly onPong = (data: Buffer): void => this.answer(data);
  private readonly onClose = (): void => this.failAll(closedError('WebSocket closed before the pong arrived'));

  constructor(private readonly socket: PingableSocket) {}

  send(payload: Buffer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const entry: PendingPing = { payload, sentAt: performance.now(), resolve, reject };
      if (this.pending.length === 0) {
        this.socket.on('pong', this.onPong);
        this.socket.on('close', this.onClose);
      }
      this.pending.push(entry);
      try {
        this.socket.ping(payload, undefined, (error) => {
          // Not open (CLOSING/CLOSED): ping() reports it through the callback.
          if (error) this.remove(entry, Object.assign(error, { code: PING_CLOSED_CODE }));
        });
      } catch (error) {
        // CONNECTING, or a payload over 125 bytes: ping() throws; the promise rejects instead.
        this.remove(entry, error as Error);
      }
    });
  }

  private answer(data: Buffer): void {
    const index = this.pending.findIndex((entry) => entry.payload.equals(data));
    if (index === -1) return;
    const now = performance.now();
    // RFC 6455 §5.5.3: a peer may answer only the most recent of several pings, so a pong also answers every ping
    // sent before the one it matches (their time is then an upper bound).
    for (const entry of this.pending.splice(0, index + 1)) entry.resolve(now - entry.sentAt);
    if (this.pending.length === 0) this.detach();
  }

  private remove(entry: PendingPing, error: Error): void {
    const index = this.pending.indexOf(entry);
    if (index === -1) return;
    this.pending.splice(index, 1);
    if (this.pending.length === 0) this.detach();
    entry.reject(error);
  }

  private failAll(error: Error): void {
    const entries = this.pending.splice(0);
    this.detach();
    for (const entry of entries) entry.reject(error);
  }

  private detach(): void {
    this.socket.removeListener('pong', this.onPong);
    this.socket.removeListener('close', this.onClose);
  }
}

const trackers = new WeakMap<PingableSocket, PingTracker>();

/** The ping payload as bytes (what the pong must echo). */
function payloadOf(data: SendData | undefined): Buffer {
  if (data === undefined) return Buffer.from(`rtt:${(nextPingId = (nextPingId + 1) % Number.MAX_SAFE_INTEGER)}`);
  if (typeof data === 'string') return Buffer.from(data);
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('pingRTT data must be a string, Buffer, ArrayBuffer or typed array');
}

/**
 * Ping `socket` and resolve with the time until the matching pong, in milliseconds (fractional). Rejects with
 * `code` {@link PING_CLOSED_CODE} if the socket closes first or is closing; with ping()'s own error when the socket
 * is still connecting or the payload is over 125 bytes.
 */
export function pingRTT(socket: PingableSocket, data?: SendData): Promise<number> {
  let payload: Buffer;
  try {
    payload = payloadOf(data);
  } catch (error) {
    return Promise.reject(error as Error);
  }
  let tracker = trackers.get(socket);
  if (tracker === undefined) {
    tracker = new PingTracker(socket);
    trackers.set(socket, tracker);
  }
  return tracker.send(payload);
}
