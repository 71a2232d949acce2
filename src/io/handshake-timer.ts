/**
 * A deadline for the opening handshake on servers we own: a socket that has not completed its upgrade within the
 * limit (silent, or trickling bytes to stay under Node's idle timers) is destroyed. Timers exist only while a
 * handshake is pending.
 */
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { isHttp2Stream } from './handshake-response';

const kTimer = Symbol('sockwire.handshakeTimer');
type TimedSocket = Duplex & { [kTimer]?: NodeJS.Timeout };

/**
 * Destroy every socket of `server` that has not been handed to {@link clearHandshakeTimer} within `ms`. A TLS
 * server's timers go on its `'secureConnection'` sockets (Node's own TLS `handshakeTimeout` covers the TLS part).
 */
export function armHandshakeTimers(server: Server, ms: number, event: 'connection' | 'secureConnection' = 'connection'): void {
  if (!(ms > 0)) return;
  server.on(event, (socket: TimedSocket) => {
    socket[kTimer] = setTimeout(destroySocket, ms, socket);
    // A shared listener (not `once`, which wraps it per socket); clearHandshakeTimer removes it.
    socket.on('close', onClose);
  });
}

/**
 * The handshake finished (or was answered): stop the deadline. For an HTTP/2 stream the deadline is its session's
 * socket's: a session that carries a WebSocket has proved itself.
 */
export function clearHandshakeTimer(socket: Duplex): void {
  const timed = (isHttp2Stream(socket) ? socket.session?.socket : socket) as TimedSocket | undefined;
  if (timed === undefined) return;
  const timer = timed[kTimer];
  if (timer === undefined) return;
  clearTimeout(timer);
  timed[kTimer] = undefined;
  timed.removeListener('close', onClose);
}

function onClose(this: Duplex): void {
  clearHandshakeTimer(this);
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
