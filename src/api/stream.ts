/**
 * `createWebSocketStream`: a Node `Duplex` over one WebSocket. Writes become messages, messages become readable
 * chunks, a full readable buffer pauses the socket, and errors and closes travel both ways.
 */
import { Duplex, type DuplexOptions } from 'node:stream';

/** `readyState` values this module tests for (WHATWG HTML §9.3 / SPEC §2). */
const CONNECTING = 0;
const CLOSED = 3;

/** The part of the WebSocket's transport socket the stream looks at, to know when our side is fully written. */
export interface SocketLike {
  /** True once `end()` was called and every byte was handed to the OS. */
  readonly writableFinished: boolean;
  /** Waits for the socket's `'finish'`. */
  once(event: 'finish', listener: () => void): unknown;
}

/** The WebSocket surface `createWebSocketStream` needs; ws's and sockwire's `WebSocket` both satisfy it. */
export interface WebSocketLike {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readonly readyState: number;
  /** Whether reading from the socket is paused. */
  readonly isPaused: boolean;
  /** The transport socket: null before the handshake completed (or if it never did). */
  readonly _socket?: SocketLike | null;
  /** Subscribes to received messages. */
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  /** Waits for the connection to open or to be fully closed. */
  once(event: 'open' | 'close', listener: () => void): unknown;
  /** Waits for an error. */
  once(event: 'error', listener: (error: Error) => void): unknown;
  /** Sends one message; a Buffer goes as binary, a string as text. */
  send(data: unknown, cb: (error?: Error | null) => void): void;
  /** Starts the closing handshake. */
  close(): void;
  /** Destroys the connection at once. */
  terminate(): void;
  /** Stops reading from the socket. */
  pause(): void;
  /** Reads from the socket again. */
  resume(): void;
}

/**
 * Emits `'close'` on a stream. The Duplex is built with `emitClose: false` so that `'close'` waits for the
 * WebSocket to be closed rather than following `destroy()` immediately.
 */
function emitStreamClose(stream: Duplex): void {
  stream.emit('close');
}

/** Once the readable side has ended and the writable side has finished, nothing is left: destroy the stream. */
function destroyWhenDone(this: Duplex): void {
  if (!this.destroyed && this.writableFinished) this.destroy();
}

/**
 * An error on the stream itself (for instance a write after end) must still tear the connection down, because
 * `autoDestroy` is off. The listener steps aside once so that, if nobody else listens, the error is thrown as Node
 * would throw any unhandled stream error.
 */
function destroyOnError(this: Duplex, error: Error): void {
  this.removeListener('error', destroyOnError);
  this.destroy();
  if (this.listenerCount('error') === 0) this.emit('error', error);
}

/**
 * Wraps `ws` in a Duplex stream.
 *
 * - Written chunks are sent with `ws.send`: Buffers as binary messages, strings (with `decodeStrings: false`) as text.
 *   Writes made while connecting wait for `'open'`.
 * - Received messages are pushed as they arrive (binary data in the form `ws.binaryType` gives); with
 *   `readableObjectMode`, text messages are pushed as strings. When `push()` reports a full buffer the socket is
 *   paused; the next `_read()` resumes it.
 * - Ending the writable side starts the closing handshake; `'finish'` fires once our side of the socket is written.
 * - `'close'` on the WebSocket ends the readable side; `'error'` destroys the stream with that error.
 * - Destroying the stream terminates the connection (unless the connection failed on its own) and emits `'close'`
 *   once the WebSocket is closed.
 *
 * `objectMode` and `writableObjectMode` are always off, and `autoDestroy` and `emitClose` are managed here.
 *
 * @param ws - the WebSocket to wrap
 * @param options - Duplex options such as `highWaterMark`, `readableObjectMode`, `decodeStrings`, `allowHalfOpen`
 * @returns the Duplex
 */
export function createWebSocketStream(ws: WebSocketLike, options?: DuplexOptions): Duplex {
  // When the WebSocket failed by itself it is already closing; terminating it again would only add noise.
  let terminateOnDestroy = true;

  const stream = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false
  });

  ws.on('message', (data, isBinary) => {
    const chunk = !isBinary && stream.readableObjectMode ? String(data) : data;
    // Back-pressure: stop reading the socket until the consumer asks for more (see _read).
    if (!stream.push(chunk)) ws.pause();
  });

  ws.once('error', (error) => {
    if (stream.destroyed) return;
    terminateOnDestroy = false;
    stream.destroy(error);
  });

  ws.once('close', () => {
    if (stream.destroyed) return;
    stream.push(null);
  });

  stream._destroy = (error, callback) => {
    if (ws.readyState === CLOSED) {
      callback(error);
      process.nextTick(emitStreamClose, stream);
      return;
    }
    // Finish destroying only when the connection is gone, reporting an error that happens on the way.
    let failed = false;
    ws.once('error', (wsError) => {
      failed = true;
      callback(wsError);
    });
    ws.once('close', () => {
      if (!failed) callback(error);
      process.nextTick(emitStreamClose, stream);
    });
    if (terminateOnDestroy) ws.terminate();
  };

  stream._final = (callback) => {
    if (ws.readyState === CONNECTING) {
      ws.once('open', () => stream._final(callback));
      return;
    }
    // Without a transport socket the handshake never completed; the error path ends the stream instead.
    const socket = ws._socket;
    if (socket === null || socket === undefined) return;
    if (socket.writableFinished) {
      callback();
      if (stream.readableEnded) stream.destroy();
      return;
    }
    // RFC 6455 §7.1.2: start the closing handshake; our side is finished when the socket has flushed its end.
    socket.once('finish', () => callback());
    ws.close();
  };

  stream._read = () => {
    if (ws.isPaused) ws.resume();
  };

  stream._write = (chunk: unknown, _encoding, callback) => {
    if (ws.readyState === CONNECTING) {
      ws.once('open', () => stream._write(chunk, _encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  stream.on('end', destroyWhenDone);
  stream.on('error', destroyOnError);
  return stream;
}
