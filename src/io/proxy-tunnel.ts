/**
 * One tunnel through a proxy to the WebSocket target: the connection to the proxy (TCP, or TLS for `https:`
 * proxies), the CONNECT or SOCKS exchange, then for `wss:` the target's own TLS inside the tunnel, all within one
 * time limit. It plugs into `http.request` as an asynchronous `createConnection`, so the upgrade request itself is
 * sent exactly as without a proxy. Every socket it opened is destroyed on failure or abort.
 */
import { ClientRequest, globalAgent as httpAgent, type IncomingMessage, type RequestOptions } from 'node:http';
import { globalAgent as httpsAgent } from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { toProxyError } from '../core/proxy-failure';
import { describeProxy } from '../core/proxy-url';
import type { ExchangeOutcome } from './proxy-exchange';
import { exchangeConnect } from './proxy-http';
import type { ProxyPlan } from './proxy-plan';
import { exchangeSocks } from './proxy-socks';

/** The WebSocket target, and how the client connects without a proxy (applied to the hop to the proxy). */
export interface TunnelTarget {
  /** Host name or IP literal, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** For `wss:`: start the target's TLS over the tunnel (the client's TLS options, SNI = the target's name). */
  readonly secureSocket?: (socket: Duplex) => tls.TLSSocket;
  /** The client's `handshakeTimeout`, kept as the idle timeout of the socket once it is handed over. */
  readonly idleTimeout?: number;
  readonly localAddress?: string;
  readonly family?: number;
  readonly lookup?: net.LookupFunction;
}

/** `createConnection`'s callback: an error, or the socket the upgrade request goes over. */
export type SocketCallback = (error: Error | null, socket?: Duplex) => void;

/** A tunnel being set up. `open` starts it; `abort` ends it and everything it opened. */
export class ProxyTunnel {
  private readonly sockets: Duplex[] = [];
  private state: 'idle' | 'opening' | 'open' | 'refused' | 'closed' = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private callback: SocketCallback = () => {};

  /**
   * `onRefusal` gets an HTTP proxy's non-2xx answer and returns true when the app takes it over
   * (`'unexpected-response'` has a listener); otherwise the tunnel fails with the matching `WS_ERR_PROXY_*` error.
   */
  constructor(
    private readonly plan: ProxyPlan,
    private readonly target: TunnelTarget,
    private readonly onRefusal: (response: IncomingMessage) => boolean
  ) {}

  /**
   * Start the tunnel; `callback` runs once, unless `abort()` comes first or the app takes over a refusal (then only
   * with the handshake timeout's error, if the proxy's connection sits idle that long).
   */
  open(callback: SocketCallback): undefined {
    this.callback = callback;
    this.state = 'opening';
    const { endpoint, timeout } = this.plan;
    if (timeout) {
      const message = `Opening handshake has timed out: no tunnel from the proxy within ${timeout} ms`;
      this.timer = setTimeout(() => this.fail(toProxyError({ kind: 'timeout', message })), timeout);
    }
    const hop = { host: endpoint.host, port: endpoint.port, localAddress: this.target.localAddress, family: this.target.family, lookup: this.target.lookup };
    let socket: Duplex;
    if (endpoint.scheme === 'https') {
      const options = this.plan.tls ?? {};
      const servername = options.servername ?? (net.isIP(endpoint.host) ? '' : endpoint.host);
      socket = tls.connect({ ...options, ...hop, servername });
    } else socket = net.connect(hop);
    this.sockets.push(socket);
    let reached = false;
    socket.on('error', (error: Error) => {
      const message = reached
        ? `The connection to the proxy failed before the tunnel opened: ${error.message}`
        : `Could not connect to the proxy ${describeProxy(endpoint)}: ${error.message}`;
      this.fail(toProxyError({ kind: reached ? 'bad-response' : 'unreachable', message }, error));
    });
    socket.once('close', () => this.fail(toProxyError({ kind: 'bad-response', message: 'The proxy closed the connection before the tunnel opened' })));
    socket.once(endpoint.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      reached = true;
      (socket as net.Socket).setNoDelay(true);
      const done = (outcome: ExchangeOutcome): void => this.afterExchange(socket, outcome);
      if (endpoint.scheme === 'http' || endpoint.scheme === 'https') exchangeConnect(socket, this.plan, this.target.host, this.target.port, done);
      else exchangeSocks(socket, this.plan, this.target.host, this.target.port, this.target, done);
    });
    return undefined;
  }

  /** Destroy everything the tunnel opened (the handshake was aborted); a tunnel already handed over is left alone. */
  abort(): void {
    if (this.state === 'open' || this.state === 'closed') return;
    this.state = 'closed';
    this.finish();
  }

  private afterExchange(socket: Duplex, outcome: ExchangeOutcome): void {
    if (this.state !== 'opening') return;
    if (outcome.kind === 'failed') return this.fail(outcome.error);
    if (outcome.kind === 'refused') {
      const taken = this.onRefusal(outcome.response);
      // A listener may have aborted the handshake already.
      if (this.state !== 'opening') return;
      if (!taken) return this.fail(outcome.error);
      this.state = 'refused';
      clearTimeout(this.timer);
      this.idleAfterRefusal(socket);
      return;
    }
    const secureSocket = this.target.secureSocket;
    if (secureSocket === undefined) {
      if (outcome.rest.length > 0) socket.unshift(outcome.rest);
      return this.handOver(socket);
    }
    // A TLS server speaks only after our ClientHello: earlier bytes cannot be the target's.
    if (outcome.rest.length > 0) {
      return this.fail(toProxyError({ kind: 'bad-response', message: 'The proxy sent data before the tunnel was used' }));
    }
    const inner = secureSocket(socket);
    this.sockets.push(inner);
    // Errors of the target's TLS are the same errors as without a proxy.
    inner.on('error', (error: Error) => this.fail(error));
    inner.once('secureConnect', () => this.handOver(inner));
  }

  /**
   * The app took the refusal, so it owns the answer and must abort, as with a server's non-101 answer without a
   * proxy: there the attempt stays CONNECTING once the answer is over, but `handshakeTimeout` (the request's socket
   * timeout) still ends it while the connection sits idle. The same here, on the proxy's socket.
   */
  private idleAfterRefusal(socket: Duplex): void {
    const idle = this.target.idleTimeout;
    if (!idle) return;
    (socket as net.Socket).setTimeout(idle, () => {
      if (this.state !== 'refused') return;
      this.state = 'closed';
      this.finish();
      this.callback(new Error('Opening handshake has timed out'));
    });
  }

  private handOver(socket: Duplex): void {
    if (this.state !== 'opening') return;
    this.state = 'open';
    clearTimeout(this.timer);
    if (this.target.idleTimeout) (socket as net.Socket).setTimeout(this.target.idleTimeout);
    // The sockets under a TLS tunnel live exactly as long as the socket handed over.
    const below = this.sockets.filter((other) => other !== socket);
    if (below.length > 0) socket.once('close', () => below.forEach((other) => other.destroy()));
    this.callback(null, socket);
  }

  private fail(error: Error): void {
    if (this.state !== 'opening') return;
    this.state = 'closed';
    this.finish();
    this.callback(error);
  }

  private finish(): void {
    clearTimeout(this.timer);
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * The upgrade request of a tunnelled attempt: destroying it (abort, timeout, `terminate()`) aborts the tunnel. The
 * tunnel is a private field: its plan holds the proxy's credentials, and the request is `ws._req` and the first
 * argument of `'unexpected-response'`, so `util.inspect` must not reach it.
 */
class TunnelledRequest extends ClientRequest {
  readonly #tunnel: ProxyTunnel;

  constructor(options: RequestOptions, tunnel: ProxyTunnel) {
    super(options);
    this.#tunnel = tunnel;
  }

  override destroy(error?: Error): this {
    this.#tunnel.abort();
    return super.destroy(error);
  }
}

/** An `http.request` replacement whose socket comes from `tunnel`. */
export function tunnelledRequest(tunnel: ProxyTunnel, secure: boolean): (options: RequestOptions) => ClientRequest {
  return (options) =>
    new TunnelledRequest(
      {
        ...options,
        // What https.request sets, so `req.protocol` reads 'https:' for wss: (no agent is used: createConnection is).
        _defaultAgent: secure ? httpsAgent : httpAgent,
        createConnection: (_options, callback) => tunnel.open(callback as SocketCallback)
      } as RequestOptions,
      tunnel
    );
}
