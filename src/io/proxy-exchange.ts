/**
 * What the proxy-specific exchanges share: how they report back, and a reader that feeds the socket's bytes to a
 * sans-I/O handshake in paused mode (so no byte is lost between the handshake and whoever reads the socket next).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyError } from '../core/proxy-failure';

/** How an exchange with the proxy ended. `rest`: bytes already read that belong to the tunnel. */
export type ExchangeOutcome =
  | { readonly kind: 'open'; readonly rest: Buffer }
  | { readonly kind: 'failed'; readonly error: Error }
  /** An HTTP proxy answered with a non-2xx status: the error, and the response for `'unexpected-response'`. */
  | { readonly kind: 'refused'; readonly error: ProxyError; readonly response: IncomingMessage };

/** Callback of an exchange; called once. */
export type ExchangeDone = (outcome: ExchangeOutcome) => void;

/**
 * Read `socket` chunk by chunk into `feed` until it returns true (done). Uses the `'readable'` event rather than
 * `'data'`, so that once the listener is removed the stream is not left flowing with nobody listening.
 * `onEnd` runs if the proxy closes first. Returns a function that detaches the reader.
 */
export function readUntilDone(socket: Duplex, feed: (chunk: Buffer) => boolean, onEnd: () => void): () => void {
  let attached = true;
  const detach = (): void => {
    if (!attached) return;
    attached = false;
    socket.removeListener('readable', onReadable);
    socket.removeListener('end', onEnd);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while (attached && (chunk = socket.read() as Buffer | null) !== null) {
      if (feed(chunk)) detach();
    }
  };
  socket.on('readable', onReadable);
  socket.once('end', onEnd);
  return detach;
}
