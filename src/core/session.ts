/**
 * The connection state machine of RFC 6455 §5.5 and §7: auto-pong, the close handshake and what a protocol failure
 * does. Pure decisions; the host performs the I/O it asks for. States say who closed first.
 */
import type { ProtocolFailure } from './errors';
import { EMPTY_BUFFER } from './constants';
import { setPrototypeDefaults } from './prototype-defaults';
import { MessageReader, readerConfig, type MessageReaderOptions, type ReaderConfig, type ReaderInstanceOptions, type ReaderSink } from './message-reader';

/** Who started closing, or whether we are done. Mapped to `readyState` in {@link readyStateOf}. */
export type SessionState = 'connecting' | 'open' | 'closingByUs' | 'closingByPeer' | 'closed';

/** The WHATWG/ws ready-state number of a session state. */
export function readyStateOf(state: SessionState): 0 | 1 | 2 | 3 {
  switch (state) {
    case 'connecting':
      return 0;
    case 'open':
      return 1;
    case 'closed':
      return 3;
    default:
      return 2;
  }
}

/** What the session needs its host (the socket binding) to do, and the events it reports. */
export interface SessionHost {
  /** Queue a pong frame; `onWritten` runs once it left the process. */
  sendPong(data: Buffer, onWritten: () => void): void;
  /** Queue our close frame; `onWritten(error)` runs once it was written (or failed). */
  sendClose(code: number | undefined, reason: string | Buffer | undefined, onWritten: (error?: Error | null) => void): void;
  /** Half-close: no more bytes from us (TCP FIN). */
  endOutput(): void;
  /** Drop the connection now. */
  destroy(): void;
  /** Stop reading input for good: after a close frame or a failure the rest is discarded. */
  stopReading(): void;
  /** Arm the close timeout (RFC 6455 §7.1.1: don't wait for the peer forever). */
  startCloseTimer(): void;
  emitPing(data: Buffer): void;
  emitFailure(failure: ProtocolFailure): void;
}

/** Options of the state machine (ws names), with the reader's. */
export interface SessionOptions extends MessageReaderOptions {
  autoPong: boolean;
  /** Most auto-pongs not yet written; one more ping terminates the connection (0 = no limit). */
  maxPendingAutoPongs: number;
}

/** The fixed options of a session, normalized; shareable between connections like {@link ReaderConfig}. */
export interface SessionConfig extends ReaderConfig {
  readonly autoPong: boolean;
  readonly maxPendingAutoPongs: number;
}

/** The fixed part of `options`, normalized. */
export function sessionConfig(options: SessionOptions): SessionConfig {
  return { ...readerConfig(options), autoPong: options.autoPong, maxPendingAutoPongs: options.maxPendingAutoPongs };
}

/**
 * One connection's protocol state: it reads frames (the {@link MessageReader} it extends, so that a connection is
 * one object) and keeps the close handshake and control-frame state.
 */
export class Session extends MessageReader {
  state: SessionState = 'open';
  declare protected readonly config: SessionConfig;
  private readonly host: SessionHost;
  // Prototype defaults (see the end of this file): written only once pings or the close handshake happen, so an
  // open connection keeps no slot for them.
  declare closeFrameSent: boolean;
  declare closeFrameReceived: boolean;
  declare failed: boolean;
  /** The code `'close'` reports: the peer's, 1005 if it sent none, 1006 until a close frame arrives. */
  declare closeCode: number;
  declare closeReason: Buffer;
  declare private pendingAutoPongs: number;
  /** Created on the first auto-pong only: most connections never see a ping. */
  declare private autoPongWritten: (() => void) | null;

  /** `host` null means the subclass is the host (and the reader's sink) itself. */
  constructor(host: (SessionHost & ReaderSink) | null, options: SessionOptions);
  constructor(host: (SessionHost & ReaderSink) | null, options: ReaderInstanceOptions, config: SessionConfig);
  constructor(host: (SessionHost & ReaderSink) | null, options: ReaderInstanceOptions, config: SessionConfig = sessionConfig(options as SessionOptions)) {
    super(host, options, config);
    this.host = host ?? (this as unknown as SessionHost);
  }

  /** RFC 6455 §5.5.2: answer a ping with a pong carrying the same data (while open), then report it. */
  onPing(data: Buffer): void {
    if (this.config.autoPong && this.state === 'open') {
      const limit = this.config.maxPendingAutoPongs;
      if (limit > 0 && this.pendingAutoPongs >= limit) {
        // A peer that pings faster than we can write pongs is flooding us.
        this.terminate();
      } else {
        this.pendingAutoPongs++;
        this.autoPongWritten ??= () => {
          this.pendingAutoPongs--;
        };
        this.host.sendPong(data, this.autoPongWritten);
      }
    }
    this.host.emitPing(data);
  }

  /** RFC 6455 §5.5.1: the peer's close frame; echo it (same code and reason) unless we already sent ours. */
  onPeerClose(code: number, reason: Buffer): void {
    this.closeFrameReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.host.stopReading();
    if (code === 1005) this.close(undefined, undefined);
    else this.close(code, reason);
  }

  /** A protocol violation: close with its status, then report it (once). */
  onFailure(failure: ProtocolFailure): void {
    this.host.stopReading();
    this.close(failure.closeCode, undefined);
    if (!this.failed) {
      this.failed = true;
      this.host.emitFailure(failure);
    }
  }

  /** Start (or continue) the close handshake. Codes and reasons are validated by the caller. */
  close(code: number | undefined, reason: string | Buffer | undefined): void {
    if (this.state === 'closed') return;
    if (this.state !== 'open') {
      if (this.closeFrameSent && (this.closeFrameReceived || this.failed)) this.host.endOutput();
      return;
    }
    // Queue first: an invalid code or reason throws there and must leave the session open.
    this.host.sendClose(code, reason, (error) => {
      if (error) return;
      this.closeFrameSent = true;
      // RFC 6455 §7.1.1: both close frames exchanged (or the input is unusable): close our side of TCP.
      if (this.closeFrameReceived || this.failed) this.host.endOutput();
    });
    this.state = this.closeFrameReceived ? 'closingByPeer' : 'closingByUs';
    this.host.startCloseTimer();
  }

  /**
   * Our own output failed (a Blob could not be read): no close frame can follow it, so end TCP and let the close
   * timer bound the wait for the peer (as ws does).
   */
  onSendFailure(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') {
      this.state = 'closingByUs';
      this.host.startCloseTimer();
    }
    this.host.endOutput();
  }

  /** Abort without a close handshake. */
  terminate(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') this.state = 'closingByUs';
    this.host.destroy();
  }

  /** The transport is gone. */
  onTransportClosed(): void {
    this.state = 'closed';
  }

  /** True when both close frames were exchanged (WHATWG `CloseEvent.wasClean`). */
  get wasClean(): boolean {
    return this.closeFrameSent && this.closeFrameReceived;
  }
}

setPrototypeDefaults(Session.prototype, {
  closeFrameSent: false,
  closeFrameReceived: false,
  failed: false,
  closeCode: 1006,
  closeReason: EMPTY_BUFFER,
  pendingAutoPongs: 0,
  autoPongWritten: null
});
