/**
 * Writing the server's answer to a handshake on either transport: raw HTTP/1.1 text on an upgraded socket, or a
 * header block on an HTTP/2 stream (RFC 8441 §5). Also the one way to tear a transport down: an HTTP/2 stream is
 * reset with CANCEL (RFC 8441 §6), never its whole session.
 */
import type { Duplex } from 'node:stream';
import { constants as http2Constants, type ServerHttp2Stream } from 'node:http2';
import { formatHttpRejection, statusText } from '../core/handshake';
import { headerLinesToObject } from '../core/http2-handshake';

/** The part of a Node `Http2Stream` this module uses. */
type StreamLike = Duplex & Pick<ServerHttp2Stream, 'close' | 'session' | 'rstCode'>;

/** Whether `socket` is an HTTP/2 stream rather than a TCP/TLS socket (duck-typed: Node exports no class). */
export function isHttp2Stream(socket: Duplex): socket is Duplex & ServerHttp2Stream {
  const stream = socket as Partial<StreamLike>;
  return typeof stream.close === 'function' && 'rstCode' in socket && 'session' in socket;
}

/**
 * Destroy the transport now. RFC 8441 §6: an HTTP/2 stream is reset with CANCEL (the analogue of a TCP RST);
 * Node's own `destroy()` would send NO_ERROR.
 */
export function destroyTransport(socket: Duplex): void {
  if (isHttp2Stream(socket) && !socket.destroyed && !socket.closed) socket.close(http2Constants.NGHTTP2_CANCEL);
  else socket.destroy();
}

/**
 * Refuse a handshake with an HTTP error: the exact ws response text on HTTP/1.1 (then destroy once flushed), or
 * a `:status` header block with the same body on HTTP/2 (Node resets the stream with NO_ERROR once the answer is
 * out, as RFC 9113 §8.1 allows for a request the server will not read).
 */
export function writeRefusal(socket: Duplex, status: number, message?: string, headers?: Record<string, string>): void {
  if (!isHttp2Stream(socket)) {
    socket.once('finish', socket.destroy);
    socket.end(formatHttpRejection(status, message, headers));
    return;
  }
  if (socket.destroyed || socket.closed || socket.headersSent) {
    destroyTransport(socket);
    return;
  }
  const body = message || statusText(status) || '';
  const lines = ['Content-Type: text/html', `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers ?? {})) lines.push(`${name}: ${value}`);
  try {
    socket.respond(headerLinesToObject(lines, status));
    socket.end(body);
  } catch {
    // The session went away between the check and the answer: nothing left to tell.
    destroyTransport(socket);
  }
}

/**
 * Write a successful answer: the HTTP/1.1 101 head (`lines` joined by CRLF), or on HTTP/2 `:status` 200 with the
 * `Name: value` lines as headers (RFC 8441 §5). The stream stays open: it is the WebSocket's transport.
 */
export function writeAccept(socket: Duplex, lines: readonly string[]): void {
  if (!isHttp2Stream(socket)) {
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    return;
  }
  socket.respond(headerLinesToObject(lines, 200), { endStream: false });
}
