// Differential harness: runs one scenario against one implementation and returns a normalised log.
// The log is an object of channels (one per actor: 'server', 'client', 'peer', ...), each an ordered list of
// entries. Ordering is only ever compared within one actor, because the interleaving of two actors on a loopback
// connection is up to the OS scheduler, not to the implementation.
import { createRequire } from 'node:module';
import { rawClient, rawServer } from './raw-peer.mjs';
import { bytesRepr, normalizeHeaderObject } from './wire.mjs';

const require = createRequire(import.meta.url);

/** The reference implementation; also the peer in mixed-pair scenarios. */
export const reference = require('ws');

/**
 * Name of the implementation compared against ws. `COMPAT_IMPL=ws` runs ws against itself (harness check); an
 * absolute path loads that module instead (e.g. a deliberately broken wrapper, to prove the suite can fail).
 */
export const candidateName = process.env.COMPAT_IMPL || 'sockwire';

/** Loads an implementation by name. Sockwire is loaded lazily so ws-vs-ws works before it is built. */
export function loadImpl(name) {
  if (name === 'ws') return reference;
  if (name.startsWith('/')) return require(name);
  return require('../../dist/cjs/index.js');
}

/** Default per-scenario time limit; a hang becomes a 'TIMEOUT' entry instead of a stuck suite. */
export const SCENARIO_TIMEOUT_MS = 5000;

/** Comparable form of any value an event or callback may carry. */
export function repr(value) {
  if (Buffer.isBuffer(value)) return `buf:${bytesRepr(value)}`;
  if (value instanceof ArrayBuffer) return `ab:${bytesRepr(Buffer.from(value))}`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}:${bytesRepr(Buffer.from(value.buffer, value.byteOffset, value.byteLength))}`;
  if (Array.isArray(value)) return value.map(repr);
  if (value instanceof Error) return errorRepr(value);
  if (typeof value === 'string') return `str:${value}`;
  if (typeof Blob !== 'undefined' && value instanceof Blob) return { blob: value.size, type: value.type };
  if (value === null || ['number', 'boolean', 'undefined'].includes(typeof value)) return value;
  return `<${Object.prototype.toString.call(value)}>`;
}

/** Replaces loopback port numbers (random per run) inside strings, deeply. */
function hidePorts(value) {
  if (typeof value === 'string') return value.replace(/(127\.0\.0\.1|localhost|\[::1\]):\d+/g, '$1:PORT');
  if (Array.isArray(value)) return value.map(hidePorts);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hidePorts(v)]));
  }
  return value;
}

/** Class, message and `.code` of an error. */
export function errorRepr(err) {
  if (!(err instanceof Error)) return { thrownNonError: repr(err) };
  return { error: err.constructor.name, message: err.message, code: err.code };
}

/** The per-run context handed to a scenario. */
export class Context {
  constructor(impl, implName) {
    /** The implementation under test (the `WebSocket` class with ws statics). */
    this.impl = impl;
    this.implName = implName;
    /** Always ws: the peer for mixed pairs. */
    this.ws = reference;
    this.log = {};
    this.cleanups = [];
    this.pending = [];
    this.frozen = false;
  }

  /** Appends an entry to channel `channel`. */
  rec(channel, ...entry) {
    // Frozen once the scenario ends: whatever cleanup makes happen is not part of the comparison.
    if (this.frozen) return;
    const item = entry.length === 1 ? entry[0] : entry;
    (this.log[channel] ??= []).push(hidePorts(item));
  }

  /** Registers a cleanup that runs when the scenario ends (LIFO). */
  track(fn) {
    this.cleanups.push(fn);
  }

  /** Runs `fn`; records 'ok' + result repr or the thrown error's class/message/code. */
  tryCall(channel, label, fn) {
    try {
      const result = fn();
      this.rec(channel, label, 'returned', repr(result));
    } catch (err) {
      this.rec(channel, label, 'threw', errorRepr(err));
    }
  }

  /**
   * Records the events of WebSocket `sock` into `channel`, each with the readyState at emit time. Resolves
   * `closed` on 'close'. Always attaches an 'error' listener (SPEC §10: without one ws throws, sockwire does not).
   */
  watch(sock, channel, { skip = [] } = {}) {
    const state = () => sock.readyState;
    const on = (name, fn) => {
      if (!skip.includes(name)) sock.on(name, fn);
    };
    on('open', () => this.rec(channel, 'open', state(), repr(sock.protocol), repr(sock.extensions)));
    on('message', (data, isBinary) => {
      const entry = [channel, 'message', state(), repr(data), isBinary];
      this.rec(...entry);
      if (typeof Blob !== 'undefined' && data instanceof Blob) {
        this.pending.push(data.arrayBuffer().then((ab) => this.rec(channel, 'blob-bytes', repr(Buffer.from(ab)))));
      }
    });
    on('ping', (data) => this.rec(channel, 'ping', state(), repr(data)));
    on('pong', (data) => this.rec(channel, 'pong', state(), repr(data)));
    on('error', (err) => this.rec(channel, 'error', state(), errorRepr(err)));
    on('upgrade', (res) => this.rec(channel, 'upgrade', state(), res.statusCode, normalizeHeaderObject(res.headers)));
    on('redirect', (url) => this.rec(channel, 'redirect', state(), repr(url)));
    const closed = new Promise((resolve) => {
      sock.on('close', (code, reason) => {
        this.rec(channel, 'close', state(), code, repr(reason));
        resolve();
      });
    });
    this.track(() => sock.terminate());
    return closed;
  }

  /**
   * Starts a `WebSocketServer` of `lib` (default: the impl) on 127.0.0.1:0 with `options`, recording its
   * 'connection', 'headers', 'wsClientError', 'error' events into `channel`. Each accepted socket is watched into
   * `channel` too unless `watchSockets` is false; `onConnection(sock, req)` runs synchronously in the event. Resolves `{ wss, port, url, nextConnection() }`.
   */
  async startServer(
    options = {},
    { lib = this.impl, channel = 'server', watchSockets = true, headers = true, onConnection } = {}
  ) {
    const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
    const queue = [];
    const takers = [];
    wss.on('connection', (sock, req) => {
      this.rec(channel, 'connection', sock.readyState, req.url, repr(sock.protocol), repr(sock.extensions));
      const closed = watchSockets ? this.watch(sock, channel) : Promise.resolve();
      // Synchronous hook: bytes that came with the upgrade may be emitted before any promise continuation runs.
      if (onConnection) onConnection(sock, req);
      const item = { sock, req, closed };
      if (takers.length > 0) takers.shift()(item);
      else queue.push(item);
    });
    if (headers)
      wss.on('headers', (lines) =>
        this.rec(
          channel,
          'headers',
          lines.filter((l) => !/^sec-websocket-accept:/i.test(l))
        )
      );
    wss.on('error', (err) => this.rec(channel, 'server-error', errorRepr(err)));
    await new Promise((resolve) => wss.on('listening', resolve));
    this.track(
      () =>
        new Promise((resolve) => {
          for (const c of wss.clients ?? []) c.terminate();
          wss.close(() => resolve());
        })
    );
    const { port } = wss.address();
    return {
      wss,
      port,
      url: `ws://127.0.0.1:${port}`,
      nextConnection: () => new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()) : takers.push(resolve)))
    };
  }

  /** A raw client connected to `port` (see raw-peer.mjs). */
  rawClient(port, opts) {
    return rawClient(this, port, opts);
  }

  /** A raw scripted server (see raw-peer.mjs). */
  rawServer(opts) {
    return rawServer(this, opts);
  }

  /** A promise for the next `event` from `emitter`, resolving with its arguments. */
  once(emitter, event) {
    return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
  }

  /** Waits `n` turns of the event loop (setImmediate), to let already-queued I/O callbacks run. */
  async ticks(n = 1) {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Runs `scenario.run(ctx)` against the named implementation with a time limit, then runs every cleanup.
 * Returns the log, after `scenario.select(log)` when the scenario narrows what is compared.
 */
export async function runScenario(scenario, implName) {
  const ctx = new Context(loadImpl(implName), implName);
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), scenario.timeout ?? SCENARIO_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([scenario.run(ctx).then(() => 'done'), limit]);
    if (outcome === 'timeout') ctx.rec('harness', 'TIMEOUT');
    await Promise.all(ctx.pending);
  } catch (err) {
    ctx.rec('harness', 'scenario threw', errorRepr(err));
    console.error(`[${implName}] ${scenario.name}:`, err);
  } finally {
    clearTimeout(timer);
    ctx.frozen = true;
    for (const fn of ctx.cleanups.reverse()) {
      try {
        await Promise.race([fn(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      } catch {
        // cleanup of an already-dead object
      }
    }
  }
  return scenario.select ? scenario.select(ctx.log) : ctx.log;
}
