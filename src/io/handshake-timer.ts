/**
 * A deadline for the opening handshake on servers we own: a socket that has not completed its upgrade within the
 * limit (silent, or trickling bytes to stay under Node's idle timers) is destroyed. Timers exist only while a
 * handshake is pending.
 */
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';

const kTimer = Symbol('sockwire.handshakeTimer');
type TimedSocket = Duplex & { [kTimer]?: NodeJS.Timeout };

/** Destroy every socket of `server` that has not been handed to {@link clearHandshakeTimer} within `ms`. */
export function armHandshakeTimers(server: Server, ms: number): void {
  if (!(ms > 0)) return;
  server.on('connection', (socket: TimedSocket) => {
    socket[kTimer] = setTimeout(destroySocket, ms, socket);
    socket.once('close', onClose);
  });
}

/** The handshake finished (or was answered): stop the deadline. */
export function clearHandshakeTimer(socket: Duplex): void {
  const timed = socket as TimedSocket;
  const timer = timed[kTimer];
  if (timer === undefined) return;
  clearTimeout(timer);
  timed[kTimer] = undefined;
  socket.removeListener('close', onClose);
}

function onClose(this: Duplex): void {
  clearHandshakeTimer(this);
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
