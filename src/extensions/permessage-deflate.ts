/**
 * The permessage-deflate extension (RFC 7692) with the public shape of ws 8's `PerMessageDeflate`: negotiation
 * (`offer`, `accept`), per-frame `compress`/`decompress`, and `cleanup`.
 */
import { constants, type ZlibOptions } from 'node:zlib';
import { Compressor } from './compressor';
import { Decompressor } from './decompressor';
import {
  acceptOffer,
  acceptResponse,
  buildOffer,
  normalizeConfigurations,
  type DeflateNegotiationOptions,
  type DeflateParams,
  type RawDeflateParams
} from './deflate-negotiation';
import { sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter';
import type { ZlibCallback } from './zlib-pipe';

export type { DeflateParams, RawDeflateParams } from './deflate-negotiation';
export type { ZlibCallback } from './zlib-pipe';

/** Options of {@link PerMessageDeflate} (the `perMessageDeflate` option of the client and the server). */
export interface PerMessageDeflateOptions extends DeflateNegotiationOptions {
  /** Passed to `zlib.createDeflateRaw`; `windowBits` is ignored (the negotiated value or 15 is used, as ws). */
  zlibDeflateOptions?: ZlibOptions;
  /** Passed to `zlib.createInflateRaw`; `windowBits` is ignored (the negotiated value or 15 is used, as ws). */
  zlibInflateOptions?: ZlibOptions;
  /** Payloads smaller than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
  /** zlib jobs running at once in the whole process (default 10; fixed by the first instance). */
  concurrencyLimit?: number;
  /** Whether this end is the server (ws 8.18+ takes it here; the second constructor argument also works). */
  isServer?: boolean;
  /** Most bytes one inflated message may have; 0 = no limit (also accepted as the third constructor argument). */
  maxPayload?: number;
  /**
   * sockwire only: after this many ms without a message in a direction, close that direction's zlib stream and give
   * its memory back (about 215 KiB for a compressor with window bits 15, 17 KiB for a decompressor). With context
   * takeover the direction keeps the newest bytes it carried (the decompressor its whole window, at most
   * `1 << windowBits`; the compressor at most 4 KiB of it) and the next message reopens zlib from them, so the peer
   * sees the same context. Default 10000 (10 s); 0 (or anything not a positive number of ms up to 2^31 - 1) means
   * never, as ws.
   */
  zlibIdleTimeout?: number;
}

/** Default `threshold`: below ~1 KiB deflate rarely pays for its CPU and its header. */
const DEFAULT_THRESHOLD = 1024;

/**
 * Default `zlibIdleTimeout`: a connection quiet for 10 s gives back its zlib memory. Reopening a direction costs
 * ~0.3–0.4 ms of CPU (measured: a 1 KiB message right after a reopen against one on a kept stream), so a connection
 * messaging more often never pays it, and one messaging about every 10 s, reopening both directions each time, pays
 * under 0.01 % of a core.
 */
const DEFAULT_ZLIB_IDLE_TIMEOUT = 10000;

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Default `concurrencyLimit`, as ws. */
const DEFAULT_CONCURRENCY = 10;

/** permessage-deflate for one connection. */
export class PerMessageDeflate {
  /** The extension token used in `Sec-WebSocket-Extensions` (RFC 7692 §7). */
  static get extensionName(): string {
    return 'permessage-deflate';
  }

  /** The agreed parameters, `null` until {@link accept} succeeds. */
  params: DeflateParams | null = null;

  private readonly options: PerMessageDeflateOptions;
  private readonly server: boolean;
  private readonly payloadLimit: number;
  private readonly minSize: number;
  private readonly limiter: ZlibLimiter;
  private compressor: Compressor | undefined;
  private decompressor: Decompressor | undefined;

  /**
   * @param options - negotiation and zlib options (see {@link PerMessageDeflateOptions}).
   * @param isServer - legacy position of `options.isServer`.
   * @param maxPayload - legacy position of `options.maxPayload`.
   */
  constructor(options?: PerMessageDeflateOptions | null, isServer?: boolean, maxPayload?: number) {
    this.options = options ?? {};
    this.server = Boolean(this.options.isServer ?? isServer ?? false);
    this.payloadLimit = Number(this.options.maxPayload ?? maxPayload ?? 0) || 0;
    this.minSize = this.options.threshold !== undefined ? this.options.threshold : DEFAULT_THRESHOLD;
    this.limiter = sharedZlibLimiter(
      this.options.concurrencyLimit !== undefined && this.options.concurrencyLimit !== null
        ? this.options.concurrencyLimit
        : DEFAULT_CONCURRENCY
    );
  }

  /** Payloads shorter than this are sent uncompressed. */
  get threshold(): number {
    return this.minSize;
  }

  /** Whether this end is the server. */
  get isServer(): boolean {
    return this.server;
  }

  /** Most bytes one inflated message may have (0 = no limit). */
  get maxPayload(): number {
    return this.payloadLimit;
  }

  /** The parameters a client offers (RFC 7692 §5.1). */
  offer(): DeflateParams {
    return buildOffer(this.options);
  }

  /**
   * Negotiate: a server picks the first acceptable offer, a client checks the server's response. Sets and returns
   * {@link params}.
   * @param configurations - the parsed parameter objects of every `permessage-deflate` element of the header.
   * @throws Error or TypeError (ws's messages) when a parameter is unknown, repeated or invalid, or nothing fits.
   */
  accept(configurations: ReadonlyArray<RawDeflateParams>): DeflateParams {
    const normalized = normalizeConfigurations(configurations, this.server);
    this.params = this.server ? acceptOffer(this.options, normalized) : acceptResponse(this.options, normalized);
    return this.params;
  }

  /** Release both zlib streams; pending callbacks get an error. The instance can be used again afterwards. */
  cleanup(): void {
    const { compressor, decompressor } = this;
    this.compressor = undefined;
    this.decompressor = undefined;
    compressor?.close();
    decompressor?.close();
  }

  /**
   * Compress one frame's payload. With `fin`, the message ends: the 00 00 ff ff tail is removed (RFC 7692 §7.2.1)
   * and, without context takeover, the context is reset.
   */
  compress(data: Buffer, fin: boolean, callback: ZlibCallback): void {
    this.compressor ??= new Compressor(this.limiter, {
      zlibOptions: this.options.zlibDeflateOptions ?? {},
      windowBits: this.windowBits(this.server ? 'server' : 'client'),
      noContextTakeover: this.noContextTakeover(this.server ? 'server' : 'client'),
      idleTimeout: this.idleTimeout()
    });
    this.compressor.push(data, fin, callback);
  }

  /**
   * Inflate one frame's payload. With `fin`, 00 00 ff ff is appended first (RFC 7692 §7.2.2). Errors carry
   * `closeCode`: 1009 with code `WS_ERR_UNSUPPORTED_MESSAGE_LENGTH` when the message passes `maxPayload`, 1007
   * for data zlib rejects.
   */
  decompress(data: Buffer, fin: boolean, callback: ZlibCallback): void {
    this.decompressor ??= new Decompressor(this.limiter, {
      zlibOptions: this.options.zlibInflateOptions ?? {},
      windowBits: this.windowBits(this.server ? 'client' : 'server'),
      noContextTakeover: this.noContextTakeover(this.server ? 'client' : 'server'),
      maxPayload: this.payloadLimit,
      idleTimeout: this.idleTimeout()
    });
    this.decompressor.push(data, fin, callback);
  }

  /** RFC 7692 §7.1.2: the window the `side`'s compressor uses; 15 (the RFC's default) when none was agreed. */
  private windowBits(side: 'server' | 'client'): number {
    const negotiated = this.params?.[`${side}_max_window_bits`];
    return typeof negotiated === 'number' ? negotiated : constants.Z_DEFAULT_WINDOWBITS;
  }

  /** `zlibIdleTimeout` as a number of ms; anything not a positive finite number means never. */
  private idleTimeout(): number {
    const ms = Number(this.options.zlibIdleTimeout ?? DEFAULT_ZLIB_IDLE_TIMEOUT);
    // setTimeout turns anything above 2^31 - 1 ms into 1 ms; such a pause is "never" in practice anyway.
    return Number.isFinite(ms) && ms > 0 && ms <= MAX_TIMER_MS ? ms : 0;
  }

  private noContextTakeover(side: 'server' | 'client'): boolean {
    return this.params?.[`${side}_no_context_takeover`] === true;
  }
}
