/**
 * One direction of permessage-deflate over one lazily created zlib stream: jobs run one at a time, in call order,
 * each through the process-wide limiter. Subclasses decide what to write and how to finish a job.
 */
import { constants, type DeflateRaw, type InflateRaw, type ZlibOptions } from 'node:zlib';
import type { WindowHistory } from './window-history';
import type { ZlibLimiter } from './zlib-limiter';

/** Node-style completion callback of `compress`/`decompress`. */
export type ZlibCallback = (error: Error | null, result?: Buffer) => void;

/** A raw deflate or inflate stream. */
export type RawZlibStream = DeflateRaw | InflateRaw;

interface Job {
  readonly data: Buffer;
  readonly fin: boolean;
  readonly callback: ZlibCallback;
  /** Set once the job has a limiter slot; called exactly once. */
  release?: () => void;
  /** Set when the pipe closed before the job finished. */
  cancelled: boolean;
}

/** Output gathered for the running job. */
export interface JobOutput {
  readonly chunks: Buffer[];
  length: number;
}

/**
 * `options` with `windowBits` and, unless the caller chose a `flush` mode of their own, `flush: Z_SYNC_FLUSH`: then
 * every write ends with the sync flush RFC 7692 §7.2.1 asks for, and a job needs one write. The output is the same
 * bytes as a write followed by a separate `flush(Z_SYNC_FLUSH)`.
 */
export function syncFlushOptions(options: ZlibOptions, windowBits: number): ZlibOptions {
  return { flush: constants.Z_SYNC_FLUSH, ...options, windowBits };
}

/** Whether streams built from `options` flush each write themselves (see {@link syncFlushOptions}). */
export function flushesEachWrite(options: ZlibOptions): boolean {
  return options.flush === undefined || options.flush === constants.Z_SYNC_FLUSH;
}

/** Base of the compressing and the decompressing pipe. */
export abstract class ZlibPipe {
  /** The stream, created on first use and dropped on error or close. */
  protected stream: RawZlibStream | undefined;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private output: JobOutput = { chunks: [], length: 0 };
  /** The current stream has ended (inflate saw a final block); it is replaced after the running job. */
  private ended = false;
  /** The last finished job ended a message (no message is half through the stream). */
  private atMessageBoundary = true;
  /** A reopened stream is taking its window back (see {@link primer}): its output is not the job's. */
  private priming = false;
  /** Closes the stream once the pipe has been idle for {@link idleTimeout} ms; refreshed after each job. */
  private idleTimer: NodeJS.Timeout | undefined;

  /**
   * @param limiter - the process-wide zlib job limiter.
   * @param flushesEachWrite - the stream was built with `flush: Z_SYNC_FLUSH` (see {@link syncFlushOptions}), so one
   *   `write` both feeds and flushes a job: one trip to the zlib thread pool per job instead of two.
   * @param idleTimeout - ms of idleness after which the stream is closed (0 = never).
   * @param history - the window kept while the stream is closed, when the next stream must start from it (context
   *   takeover); the subclass feeds it. Without it, a stream closed while idle is reopened with an empty window.
   */
  constructor(
    private readonly limiter: ZlibLimiter,
    private readonly flushesEachWrite: boolean,
    private readonly idleTimeout: number,
    protected readonly history: WindowHistory | undefined
  ) {}

  /**
   * Create the zlib stream for this direction. `window` is set when a stream closed while idle is reopened with
   * context takeover: the bytes the new stream must start from, as zlib's `dictionary` or through {@link primer}.
   */
  protected abstract createStream(window: Buffer | undefined): RawZlibStream;
  /**
   * What to write to a reopened stream first so that its window holds `window` again (that output is dropped), or
   * undefined when {@link createStream} used it as the dictionary. Node keeps a copy of a dictionary for the
   * stream's whole life (to set it again on reset); a primer leaves nothing behind.
   */
  protected abstract primer(window: Buffer): Buffer | undefined;
  /** The bytes to write to the stream for one job (before or with the sync flush). */
  protected abstract input(data: Buffer, fin: boolean): Buffer;
  /** Called for each output chunk; return an error to abort the job (e.g. the size guard). */
  protected abstract onOutput(output: JobOutput): Error | undefined;
  /** Turn the gathered output of a flushed job into its result; may reset `stream`. */
  protected abstract finishJob(output: JobOutput, fin: boolean, stream: RawZlibStream): Buffer;
  /** Called whenever a job ends with an error or the pipe closes, to drop per-message state. */
  protected abstract onAbort(): void;
  /** Decorate an error emitted by zlib itself. */
  protected abstract wrapZlibError(error: Error): Error;
  /** The error given to jobs still pending when the pipe closes. */
  protected abstract closedError(): Error;

  /** Queue `data`; `callback` gets the result once every earlier job of this pipe is done. */
  push(data: Buffer, fin: boolean, callback: ZlibCallback): void {
    this.queue.push({ data, fin, callback, cancelled: false });
    if (this.current === undefined) this.startNext();
  }

  /** Close the stream; running and queued jobs fail with {@link closedError}. A later push starts a new stream. */
  close(): void {
    const failed: Job[] = [];
    if (this.current !== undefined) failed.push(this.current);
    failed.push(...this.queue.splice(0));
    this.current = undefined;
    this.output = { chunks: [], length: 0 };
    this.dropStream();
    this.onAbort();
    for (const job of failed) {
      job.cancelled = true;
      // Free the slot now if the job holds one; a job still waiting frees it as soon as it is granted.
      job.release?.();
    }
    for (const job of failed) job.callback(this.closedError());
  }

  private startNext(): void {
    const job = this.queue.shift();
    if (job === undefined) {
      this.armIdleTimer();
      return;
    }
    this.current = job;
    this.limiter.add((release) => {
      job.release = release;
      if (job.cancelled) {
        release();
        return;
      }
      this.run(job);
    });
  }

  private run(job: Job): void {
    let stream: RawZlibStream;
    let primer: Buffer | undefined;
    try {
      if (this.stream === undefined) {
        const history = this.history;
        const window = history !== undefined && history.length > 0 ? history.contents() : undefined;
        stream = this.openStream(window);
        if (window !== undefined) primer = this.primer(window);
      } else {
        stream = this.stream;
      }
    } catch (error) {
      // zlib rejects bad options (e.g. a level out of range) when the stream is built.
      this.complete(job, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // RFC 7692 §7.2.1: a sync flush ends the output on a byte boundary, so each message (or fragment) stands alone.
    const flushed = (error?: Error | null): void => {
      // A zlib error reaches the 'error' listener, which fails the job; a closed stream means the job was aborted.
      if (error != null || this.current !== job || this.stream !== stream) return;
      const output = this.output;
      this.output = { chunks: [], length: 0 };
      let result: Buffer;
      try {
        result = this.finishJob(output, job.fin, stream);
      } catch (error) {
        this.fail(job, error instanceof Error ? error : new Error(String(error)));
        return;
      }
      // RFC 7692 §7.2.3.4: a block with BFINAL set ends the DEFLATE stream; like ws, the next message starts a new
      // one with an empty window.
      if (this.ended) this.dropStream();
      this.atMessageBoundary = job.fin;
      this.complete(job, null, result);
    };
    const feed = (): void => this.writeFlushed(stream, this.input(job.data, job.fin), flushed);
    if (primer === undefined) {
      feed();
      return;
    }
    // A reopened stream first takes its window back; that output belongs to no message and is dropped.
    this.priming = true;
    this.writeFlushed(stream, primer, (error) => {
      if (this.stream !== stream) return; // dropped meanwhile, which ended the priming
      this.priming = false;
      if (error == null && this.current === job) feed();
    });
  }

  /** Write `input` and sync-flush it, then call `callback`. */
  private writeFlushed(stream: RawZlibStream, input: Buffer, callback: (error?: Error | null) => void): void {
    if (this.flushesEachWrite && input.length > 0) {
      stream.write(input, callback);
    } else {
      // zlib skips a flush with no new input that repeats the previous flush mode, so an empty payload is fed in
      // with Z_NO_FLUSH first: then it still gets its empty stored block, the same bytes as ws writes.
      if (this.flushesEachWrite) stream.flush(constants.Z_NO_FLUSH);
      else stream.write(input);
      stream.flush(constants.Z_SYNC_FLUSH, callback);
    }
  }

  private openStream(window: Buffer | undefined): RawZlibStream {
    const stream = this.createStream(window);
    this.stream = stream;
    this.ended = false;
    stream.on('end', () => {
      if (this.stream === stream) this.ended = true;
    });
    stream.on('data', (chunk: Buffer) => {
      if (this.stream !== stream || this.current === undefined || this.priming) return;
      this.output.chunks.push(chunk);
      this.output.length += chunk.length;
      const error = this.onOutput(this.output);
      if (error !== undefined) this.fail(this.current, error);
    });
    // Stays attached for the stream's whole life: a closed stream may still report an error.
    stream.on('error', (error: Error) => {
      if (this.stream !== stream) return;
      if (this.current === undefined) this.dropStream(); // a broken stream must not take the next job
      else this.fail(this.current, this.wrapZlibError(error));
    });
    return stream;
  }

  /** Abort the running job: the stream is destroyed at once so no more input is processed. */
  private fail(job: Job, error: Error): void {
    this.dropStream();
    this.output = { chunks: [], length: 0 };
    this.onAbort();
    this.complete(job, error);
  }

  /**
   * Close the stream. `keepWindow` (an idle release) keeps the history, shrunk to its bytes, for the next stream;
   * otherwise (an error, a close, a stream that ended) the next stream starts from an empty window.
   */
  private dropStream(keepWindow = false): void {
    const stream = this.stream;
    this.stream = undefined;
    this.atMessageBoundary = true;
    this.priming = false;
    this.stopIdleTimer();
    if (keepWindow) this.history?.compact();
    else this.history?.clear();
    stream?.close();
  }

  /**
   * Start (or restart) the idle countdown when the pipe has gone quiet at a message boundary. One timer per pipe,
   * refreshed after each job: it may fire while a job runs, which it then ignores, and the job's end re-arms it.
   */
  private armIdleTimer(): void {
    if (this.idleTimeout <= 0 || this.stream === undefined || !this.atMessageBoundary) return;
    if (this.idleTimer !== undefined) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      if (this.current === undefined && this.queue.length === 0 && this.atMessageBoundary) this.dropStream(true);
    }, this.idleTimeout);
    // An idle connection must not keep the process alive.
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private complete(job: Job, error: Error | null, result?: Buffer): void {
    this.current = undefined;
    job.release?.();
    this.startNext();
    if (error === null) job.callback(null, result);
    else job.callback(error);
  }
}
