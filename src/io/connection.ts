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
import type { ReaderInstanceOptions, ReaderSink } from '../core/message-reader';
import { Session, sessionConfig, type SessionConfig, type SessionHost } from '../core/session';
import { FrameSender, type ExtensionMap } from './sender';
import { inputClock } from './timer-wheel';
import { messageByteLength } from './traffic';
import { destroyTransport } from './handshake-response';
import { setPrototypeDefaults } from '../core/prototype-defaults';

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

/** The options a connection keeps for its whole life, shared by every connection of one server. */
export interface ConnectionConfig extends SessionConfig {
  readonly closeTimeout: number;
  readonly generateMask: ((mask: Buffer) => void) | undefined;
}

/** The resolved limits a {@link ConnectionConfig} is made from (ws's option names). */
export interface ConnectionLimitValues {
  maxFragments: number;
  maxBufferedChunks: number;
  maxPendingAutoPongs: number;
  autoPong: boolean;
  allowSynchronousEvents: boolean;
  skipUTF8Validation: boolean;
  closeTimeout: number;
}

/** Build the shared configuration of connections on one side with these limits. */
export function connectionConfig(
  isServer: boolean,
  limits: ConnectionLimitValues,
  generateMask: ((mask: Buffer) => void) | undefined
): ConnectionConfig {
  // The session (and its reader) normalize their own part, as for a reader made on its own.
  const session = sessionConfig({
    isServer,
    maxFragments: limits.maxFragments,
    maxBufferedChunks: limits.maxBufferedChunks,
    skipUTF8Validation: limits.skipUTF8Validation,
    schedule: limits.allowSynchronousEvents ? undefined : setImmediate,
    autoPong: limits.autoPong,
    maxPendingAutoPongs: limits.maxPendingAutoPongs
  });
  return { ...session, closeTimeout: limits.closeTimeout, generateMask };
}

/** What one connection starts with besides its shared configuration (the reader's own options among them). */
export interface ConnectionOptions extends ReaderInstanceOptions {
  config: ConnectionConfig;
  binaryType: BinaryType;
  maxPayload: number;
  extensions: ExtensionMap;
}

/** Input held while the reader waits (inflate, deferred events) before we stop reading the socket. */
const PARKED_INPUT_LIMIT = 16 * 1024;

const kConnection = Symbol('sockwire.connection');
type BoundSocket = Duplex & { [kConnection]?: Connection };

/** True while a connection owns `socket` (ws refuses to upgrade one socket twice). */
export function isBound(socket: Duplex): boolean {
  return (socket as BoundSocket)[kConnection] !== undefined;
}

/**
 * One socket, one session. The connection is its session and reader (it extends them), so that each socket costs
 * one object here rather than three.
 */
export class Connection extends Session implements ReaderSink, SessionHost {
  declare protected readonly config: ConnectionConfig;
  readonly socket: BoundSocket;
  readonly sender: FrameSender;
  /** {@link inputClock} time of the last input chunk: the heartbeat's "quiet since" (one store per chunk). */
  lastInputAt = inputClock.now;
  private readonly owner: ConnectionOwner;
  // Prototype defaults (see the end of this file): written on pause, on a parked reader's overflow or at close.
  /** The app asked to stop reading (`pause()`). */
  declare userPaused: boolean;
  declare private closeTimer: NodeJS.Timeout | undefined;
  declare private readingStopped: boolean;
  declare private transportClosed: boolean;
  declare private closedReported: boolean;
  declare private inputPausedByUs: boolean;

  constructor(socket: Duplex, head: Buffer, options: ConnectionOptions, owner: ConnectionOwner) {
    const config = options.config;
    super(null, options, config);
    this.socket = socket as BoundSocket;
    this.owner = owner;
    this.sender = new FrameSender(socket, options.extensions, config.generateMask);
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

  // ---- ReaderSink: messages and pongs go straight to the owner; pings to the session ---------------------------
  onMessage(data: BinaryMessage, isBinary: boolean): void {
    const traffic = this.sender.traffic;
    if (traffic !== null) {
      traffic.messagesIn++;
      // Text and 'nodebuffer' messages are Buffers: read their length here rather than through a call.
      traffic.payloadBytesIn += data instanceof Uint8Array ? data.length : messageByteLength(data);
    }
    this.owner.onMessage(data, isBinary);
  }
  onPong(data: Buffer): void {
    this.owner.onPong(data);
  }
  onClose(code: number, reason: Buffer): void {
    this.onPeerClose(code, reason);
    // The transport may already be gone if this frame came out of a late inflate: report now.
    if (this.transportClosed) this.reportClosed();
  }
  override onFailure(failure: ProtocolFailure): void {
    super.onFailure(failure);
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
    const mask = !this.config.isServer;
    if (this.owner.replyToPing?.(data, mask, onWritten) === true) return;
    this.sender.autoPong(data, mask, onWritten);
  }
  sendClose(code: number | undefined, reason: string | Buffer | undefined, onWritten: (error?: Error | null) => void): void {
    this.sender.close(code, reason, !this.config.isServer, onWritten);
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
    this.stop();
    // Keep draining the socket so the peer's FIN is seen, but ignore the bytes.
    this.socket.removeListener('data', socketOnData);
    process.nextTick(resumeSocket, this.socket);
  }
  startCloseTimer(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(destroySocket, this.config.closeTimeout, this.socket);
  }
  emitPing(data: Buffer): void {
    this.owner.onPing(data);
  }
  emitFailure(failure: ProtocolFailure): void {
    this.owner.onFailure(failure);
  }

  // ---- socket events ----------------------------------------------------------------------------------------
  override receive(chunk: Buffer): void {
    this.lastInputAt = inputClock.now;
    // One write per read: replies sent from 'message' handlers (echo, pongs, close echoes) are batched.
    const sender = this.sender;
    if (sender.traffic !== null) sender.traffic.wireBytesIn += chunk.length;
    sender.beginBatch();
    super.receive(chunk);
    sender.endBatch();
    if (this.parked && this.pendingBytes > PARKED_INPUT_LIMIT && !this.inputPausedByUs) {
      this.inputPausedByUs = true;
      this.socket.pause();
    }
  }

  /** Our output failed (ws's `senderOnError`): the session ends the socket, then the owner reports the error. */
  onSendError(error: Error): void {
    if (this.state === 'closed') return;
    this.onSendFailure();
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
    if (this.state === 'open') this.state = 'closingByPeer';
    this.readingStopped = true;
    this.endOutput();
  }

  onSocketClose(): void {
    const socket = this.socket;
    socket.removeListener('close', socketOnClose);
    socket.removeListener('data', socketOnData);
    socket.removeListener('end', socketOnEnd);
    if (this.state === 'open') this.state = 'closingByPeer';
    // Bytes the socket read but we never consumed (we were paused) may still hold the peer's close frame.
    const readable = (socket as Duplex & { readableLength: number }).readableLength;
    if (!this.readingStopped && !this.finished && readable > 0) {
      const rest = socket.read(readable) as Buffer | null;
      if (rest !== null) super.receive(rest);
    }
    this.transportClosed = true;
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    socket[kConnection] = undefined;
    if (!this.parked) this.reportClosed();
  }

  /** @internal The socket's 'error' listener reports through here (the owner only observes it). */
  reportTransportError(error: Error): void {
    this.owner.onTransportError(error);
  }

  private reportClosed(): void {
    if (this.closedReported) return;
    this.closedReported = true;
    this.stop();
    // The inflater is the negotiated permessage-deflate object, which also holds the compressor.
    const deflate = this.inflater as { cleanup?: () => void } | undefined;
    if (deflate !== undefined && typeof deflate.cleanup === 'function') deflate.cleanup();
    // The state before 'closed' still says who started closing (a dead transport is marked closingByPeer).
    const closedBy: ClosedBy = this.state === 'closingByUs' ? 'local' : this.closeFrameReceived ? 'remote' : 'transport';
    this.onTransportClosed();
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
    if (connection.state === 'open') connection.state = 'closingByPeer';
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

setPrototypeDefaults(Connection.prototype, {
  userPaused: false,
  closeTimer: undefined,
  readingStopped: false,
  transportClosed: false,
  closedReported: false,
  inputPausedByUs: false
});
