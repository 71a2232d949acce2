/**
 * Where every upgrade a server handles ends: refused with an HTTP status, abandoned by the client, or accepted.
 * Each outcome is counted (`wss.stats()`) and, when observed, published on `sockwire:server:upgrade`. Refusals are
 * ordinary HTTP responses, so browsers and HTTP clients see a status code rather than a dropped connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusText } from '../core/handshake';
import { writeRefusal } from '../io/handshake-response';
import { publishUpgrade, upgradeChannel } from './diagnostics';
import type { ServerHub } from './server-hub';

const ABANDONED_REASON = 'The client went away before the handshake was answered';

/** Write an HTTP refusal (a status response on an HTTP/2 stream) and close the socket once it is flushed. */
export function refuseUpgrade(
  hub: ServerHub,
  request: IncomingMessage,
  socket: Duplex,
  status: number,
  message?: string,
  headers?: Record<string, string>
): void {
  noteRefusal(hub, request, status, message);
  writeRefusal(socket, status, message, headers);
}

/**
 * Count and publish a refusal without writing it: a `'wsClientError'` listener writes its own answer; `status` is
 * the one sockwire would have sent. `request` is null for a head port mode refused before any request existed.
 */
export function noteRefusal(hub: ServerHub, request: IncomingMessage | null, status: number, message?: string): void {
  hub.counters.countRefused(status);
  if (upgradeChannel.hasSubscribers) publishUpgrade(hub.server, request, status, message || statusText(status) || '', null);
}

/** The client's socket closed (or stopped being writable) before an answer: drop it. */
export function abandonUpgrade(hub: ServerHub, request: IncomingMessage, socket: Duplex): void {
  hub.counters.aborted++;
  if (upgradeChannel.hasSubscribers) publishUpgrade(hub.server, request, 0, ABANDONED_REASON, null);
  socket.destroy();
}

/** The 101 was written and `websocket` attached (counted by the hub's `attach`). */
export function noteAccepted(hub: ServerHub, request: IncomingMessage, websocket: unknown): void {
  if (upgradeChannel.hasSubscribers) publishUpgrade(hub.server, request, 101, '', websocket);
}
