/**
 * Binds one protocol session to one Node `Duplex` (TCP/TLS socket, or an HTTP/2 stream for RFC 8441): feeds input
 * to the reader, writes what the session asks for, owns the close timer, and reports to its owner (the WebSocket).
 * No protocol decisions here.
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { BinaryType } from '../core/constants';
import { NOOP } from '../core/constants';
import type { BinaryMessage } from '../core/binary-data';
import type { ProtocolFailure } from '../core/errors';
import { MessageReader, type Inflater, type ReaderSink } from '../core/message-reader';
import { Session, type SessionHost } from '../core/session';
import { FrameSender, type ExtensionMap } from './sender';
import { inputClock } from './timer-wheel';
import { messageByteLength } from './traffic';
import { destroyTransport } from './handshake-response';

/** What the connection reports to the object that owns it. */
export interface ConnectionOwner {
  onMessage(data: BinaryMessage, isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  onFailure(failure: ProtocolFailure): void;
  /** The transport failed (ECONNRESET, EPIPE, …); the close that follows reports 1006. Observability only. */
  onTransportError(error: Error): void;
  /** The transport is gone and every pending event was delivered; `closedBy` says who started the close. */
  onClosed(closedBy: ClosedBy): void;
  /** Sending failed on our side (a Blob could not be read); the connection is already closing. */
  onSendError(error: Error): void;
  /**
   * Answer a ping through the owner's own `pong()` when the app replaced it (as ws calls `websocket.pong()`);
   * false lets the connection answer directly.
   */
  replyToPing?(data: Buffer, mask: boolean, onWritten: () => void): boolean;
}

/**
 * Who started the closing handshake (RFC 6455 §7.1.2 / §7.1.3), or that nobody did: `'local'` (this side sent the
 * first close frame or terminated: `close()`, a protocol error, a heartbeat timeout), `'remote'` (the peer's close
 * frame came first), `'transport'` (the TCP connection ended or failed before either side sent a close frame).
 */
export type ClosedBy = 'local' | 'remote' | 'transport';

/** Per-connection options, resolved by the API layer. */
export interface ConnectionOptions {
  isServer: boolean;
  binaryType: BinaryType;
  maxPayload: number;
  maxFragments: number;
  maxBufferedChunks: number;
  maxPendingAutoPongs: number;
  autoPong: boolean;
  allowSynchronousEvents: boolean;
  skipUTF8Validation: boolean;
  closeTimeout: number;
  generateMask?: (mask: Buffer) => void;
  extensions: ExtensionMap;
}

/** Input held while the reader waits (inflate, deferred events) before we stop reading the socket. */
const PARKED_INPUT_LIMIT = 16 * 1024;

const kConnection = Symbol('sockwire.connection');
type BoundSocket = Duplex & { [kConnection]?: Connection };

/** One socket, one session. */
export class Connection implements ReaderSink, SessionHost {
  readonly socket: BoundSocket;
  readonly reader: MessageReader;
  readonly session: Session;
  readonly sender: FrameSender;
  /** The app asked to stop reading (`pause()`). */
  userPaused = false;
  /** {@link inputClock} time of the last input chunk: the heartbeat's "quiet since" (one store per chunk). */
  lastInputAt = inputClock.now;
  private readonly owner: ConnectionOwner;
  private readonly isServer: boolean;
  private readonly closeTimeout: number;
  private readonly extensions: ExtensionMap;
  private closeTimer: NodeJS.Timeout | undefined;
  private readingStopped = false;
  private transportClosed = false;
  private closedReported = false;
  private inputPausedByUs = false;

  constructor(socket: Duplex, head: Buffer, options: ConnectionOptions, owner: ConnectionOwner) {
    this.socket = socket as BoundSocket;
    this.owner = owner;
    this.isServer = options.isServer;
    this.closeTimeout = options.closeTimeout;
    this.extensions = options.extensions;
    const inflater = options.extensions['permessage-deflate'] as Inflater | undefined;
    this.reader = new MessageReader(this, {
      isServer: options.isServer,
      binaryType: options.binaryType,
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      maxBufferedChunks: options.maxBufferedChunks,
      skipUTF8Validation: options.skipUTF8Validation,
      inflater,
      schedule: options.allowSynchronousEvents ? undefined : setImmediate
    });
    this.session = new Session(this, { autoPong: options.autoPong, maxPendingAutoPongs: options.maxPendingAutoPongs });
    this.sender = new FrameSender(socket, options.extensions, options.generateMask);
    this.sender.onerror = senderOnError;

    const tcp = socket as Partial<Socket>;
    if (typeof tcp.setTimeout === 'function') tcp.setTimeout(0);
    if (typeof tcp.setNoDelay === 'function') tcp.setNoDelay();
    this.socket[kConnection] = this;
    if (head.length > 0) socket.unshift(head);
    socket.on('close', socketOnClose);
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('error', socketOnError);
  }

  // ---- ReaderSink: messages and pongs go straight to the owner; the rest through the session ----------------
  onMessage(data: BinaryMessage, isBinary: boolean): void {
    const traffic = this.sender.traffic;
    if (traffic !== null) {
      traffic.messagesIn++;
      // Text and 'nodebuffer' messages are Buffers: read their length here rather than through a call.
      traffic.payloadBytesIn += data instanceof Uint8Array ? data.length : messageByteLength(data);
    }
    this.owner.onMessage(data, isBinary);
  }
  onPing(data: Buffer): void {
    this.session.onPing(data);
  }
  onPong(data: Buffer): void {
    this.owner.onPong(data);
  }
  onClose(code: number, reason: Buffer): void {
    this.session.onPeerClose(code, reason);
    // The transport may already be gone if this frame came out of a late inflate: report now.
    if (this.transportClosed) this.reportClosed();
  }
  onFailure(failure: ProtocolFailure): void {
    this.session.onFailure(failure);
    if (this.transportClosed) this.reportClosed();
  }
  onIdle(): void {
    if (this.transportClosed) this.reportClosed();
    else if (this.inputPausedByUs) {
      this.inputPausedByUs = false;
      if (!this.userPaused) this.socket.resume();
    }
  }

  // ---- SessionHost: session → socket / owner --------------------------------------------------------------
  sendPong(data: Buffer, onWritten: () => void): void {
    const mask = !this.isServer;
    if (this.owner.replyToPing?.(data, mask, onWritten) === true) return;
    this.sender.autoPong(data, mask, onWritten);
  }
  sendClose(code: number | undefined, reason: string | Buffer | undefined, onWritten: (error?: Error | null) => void): void {
    this.sender.close(code, reason, !this.isServer, onWritten);
  }
  endOutput(): void {
    // Ending twice makes Node build an ERR_STREAM_ALREADY_FINISHED error; skip it.
    if (!this.socket.writableEnded) this.socket.end();
  }
  destroy(): void {
    destroyTransport(this.socket);
  }
  stopReading(): void {
    if (this.readingStopped) return;
    this.readingStopped = true;
    this.reader.stop();
    // Keep draining the socket so the peer's FIN is seen, but ignore the bytes.
    this.socket.removeListener('data', socketOnData);
    process.nextTick(resumeSocket, this.socket);
  }
  startCloseTimer(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(destroySocket, this.closeTimeout, this.socket);
  }
  emitPing(data: Buffer): void {
    this.owner.onPing(data);
  }
  emitFailure(failure: ProtocolFailure): void {
    this.owner.onFailure(failure);
  }

  // ---- socket events ----------------------------------------------------------------------------------------
  receive(chunk: Buffer): void {
    this.lastInputAt = inputClock.now;
    // One write per read: replies sent from 'message' handlers (echo, pongs, close echoes) are batched.
    const sender = this.sender;
    if (sender.traffic !== null) sender.traffic.wireBytesIn += chunk.length;
    sender.beginBatch();
    this.reader.receive(chunk);
    sender.endBatch();
    if (this.reader.parked && this.reader.pendingBytes > PARKED_INPUT_LIMIT && !this.inputPausedByUs) {
      this.inputPausedByUs = true;
      this.socket.pause();
    }
  }

  /** Our output failed (ws's `senderOnError`): the session ends the socket, then the owner reports the error. */
  onSendError(error: Error): void {
    if (this.session.state === 'closed') return;
    this.session.onSendFailure();
    this.owner.onSendError(error);
  }

  /** Stop reading from the socket (the app's `pause()`). */
  pause(): void {
    this.userPaused = true;
    this.socket.pause();
  }

  /** Restart reading unless the reader itself is holding input back. */
  resume(): void {
    this.userPaused = false;
    if (!this.inputPausedByUs) this.socket.resume();
  }

  onSocketEnd(): void {
    // RFC 6455 §7.1.1 / TCP: the peer will send nothing more; finish our side too.
    if (this.session.state === 'open') this.session.state = 'closingByPeer';
    this.readingStopped = true;
    this.endOutput();
  }

  onSocketClose(): void {
    const socket = this.socket;
    socket.removeListener('close', socketOnClose);
    socket.removeListener('data', socketOnData);
    socket.removeListener('end', socketOnEnd);
    if (this.session.state === 'open') this.session.state = 'closingByPeer';
    // Bytes the socket read but we never consumed (we were paused) may still hold the peer's close frame.
    const readable = (socket as Duplex & { readableLength: number }).readableLength;
    if (!this.readingStopped && !this.reader.finished && readable > 0) {
      const rest = socket.read(readable) as Buffer | null;
      if (rest !== null) this.reader.receive(rest);
    }
    this.transportClosed = true;
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    socket[kConnection] = undefined;
    if (!this.reader.parked) this.reportClosed();
  }

  /** @internal The socket's 'error' listener reports through here (the owner only observes it). */
  reportTransportError(error: Error): void {
    this.owner.onTransportError(error);
  }

  private reportClosed(): void {
    if (this.closedReported) return;
    this.closedReported = true;
    this.reader.stop();
    const deflate = this.extensions['permessage-deflate'] as { cleanup?: () => void } | undefined;
    if (deflate !== undefined && typeof deflate.cleanup === 'function') deflate.cleanup();
    // The state before 'closed' still says who started closing (a dead transport is marked closingByPeer).
    const session = this.session;
    const closedBy: ClosedBy = session.state === 'closingByUs' ? 'local' : session.closeFrameReceived ? 'remote' : 'transport';
    session.onTransportClosed();
    this.owner.onClosed(closedBy);
  }
}

// Shared listeners (one function for every socket, `this` is the socket) instead of closures per connection.
function socketOnData(this: BoundSocket, chunk: Buffer): void {
  this[kConnection]?.receive(chunk);
}
function socketOnEnd(this: BoundSocket): void {
  this[kConnection]?.onSocketEnd();
}
function socketOnClose(this: BoundSocket): void {
  this[kConnection]?.onSocketClose();
}
function socketOnError(this: BoundSocket, error: Error): void {
  // The 'close' that follows does the reporting; later errors (e.g. EPIPE while ending) are ignored.
  this.removeListener('error', socketOnError);
  this.on('error', NOOP);
  const connection = this[kConnection];
  if (connection !== undefined) {
    if (connection.session.state === 'open') connection.session.state = 'closingByPeer';
    this.destroy();
    connection.reportTransportError(error);
  }
}
function senderOnError(this: FrameSender, error: Error): void {
  (this._socket as BoundSocket)[kConnection]?.onSendError(error);
}
function resumeSocket(socket: Duplex): void {
  socket.resume();
}
function destroySocket(socket: Duplex): void {
  destroyTransport(socket);
}
