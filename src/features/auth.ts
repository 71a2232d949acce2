/**
 * Admission before the upgrade completes (sockwire, opt-in): `allowedOrigins` (403), `maxConnections` (503) and the
 * async `authenticate` hook (401 by default). Refusals are ordinary HTTP responses, written like ws's handshake
 * errors, so browsers and HTTP clients see a status code rather than a dropped connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { writeRefusal } from '../io/handshake-response';
import type { ServerHub } from './server-hub';

/** RFC 6454 §7 / RFC 6455 §10.2: a browser names the page's origin; unknown origins are forbidden. */
const ORIGIN_REFUSED = 403;
/** RFC 9110 §15.6.4: the server is at capacity. */
const AT_CAPACITY = 503;
/** RFC 9110 §15.5.2: not authenticated. */
const NOT_AUTHENTICATED = 401;
/** RFC 9110 §15.6.1: the hook itself failed. */
const HOOK_FAILED = 500;

/** Write an HTTP refusal (a status response on an HTTP/2 stream) and close the socket once it is flushed. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  writeRefusal(socket, status);
}

/** The synchronous checks: origin and capacity. Returns false after refusing. */
export function admitRequest(hub: ServerHub, req: IncomingMessage, socket: Duplex): boolean {
  const origins = hub.allowedOrigins;
  if (origins !== null) {
    // RFC 6455 §4.1 sends `Origin`; the hybi-08 draft (version 8) named it `Sec-WebSocket-Origin`.
    const origin = req.headers.origin ?? req.headers['sec-websocket-origin'];
    if (typeof origin !== 'string' || !origins.has(origin)) {
      refuseUpgrade(socket, ORIGIN_REFUSED);
      return false;
    }
  }
  if (hub.connections + hub.authenticating >= hub.maxConnections) {
    refuseUpgrade(socket, AT_CAPACITY);
    return false;
  }
  return true;
}

/** Whether another connection fits under `maxConnections` right now (checked again when the upgrade completes). */
export function hasCapacity(hub: ServerHub): boolean {
  return hub.connections < hub.maxConnections;
}

/**
 * Run `authenticate(req)`; on acceptance call `accept(result)`, otherwise write the refusal. The handshake counts
 * against `maxConnections` while it waits.
 */
export function runAuthenticate(hub: ServerHub, req: IncomingMessage, socket: Duplex, accept: (data: unknown) => void): void {
  const authenticate = hub.authenticate as NonNullable<ServerHub['authenticate']>;
  hub.authenticating++;
  let settled = false;
  const finish = (status: number, data: unknown): void => {
    if (settled) return;
    settled = true;
    hub.authenticating--;
    if (status === 0) accept(data);
    else if (socket.writable) refuseUpgrade(socket, status);
    else socket.destroy();
  };
  new Promise<unknown>((resolve) => resolve(authenticate(req))).then(
    (result) => finish(statusOf(result), result),
    (error: unknown) => {
      hub.reportError(error instanceof Error ? error : new Error(String(error)), null, req);
      finish(HOOK_FAILED, undefined);
    }
  );
}

/** 0 to accept; otherwise the HTTP status of the refusal. */
function statusOf(result: unknown): number {
  if (result === false || result === null || result === undefined) return NOT_AUTHENTICATED;
  if (typeof result === 'number' && Number.isInteger(result) && result >= 400 && result <= 599) return result;
  return 0;
}
