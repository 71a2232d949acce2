/**
 * The SOCKS exchange over an open socket: drives a sans-I/O handshake from core/socks. For `socks5:` the target's
 * name is resolved here first (the client's `lookup`/`family` apply); `socks5h:` and `socks4a:` send the name.
 */
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { toProxyError } from '../core/proxy-failure';
import { Socks4aHandshake, Socks5Handshake, type SocksHandshake, type SocksStep } from '../core/socks';
import { readUntilDone, type ExchangeDone } from './proxy-exchange';
import type { ProxyPlan } from './proxy-plan';

/** Name resolution for `socks5:`: the client's own rules, so a name resolves as it would without the proxy. */
export interface SocksResolution {
  readonly lookup?: LookupFunction;
  readonly family?: number;
}

function runHandshake(socket: Duplex, handshake: SocksHandshake, done: ExchangeDone): void {
  let finished = false;
  const act = (step: SocksStep): boolean => {
    if (step.kind === 'send') socket.write(step.bytes);
    else if (step.kind === 'open') done({ kind: 'open', rest: step.rest });
    else if (step.kind === 'fail') done({ kind: 'failed', error: toProxyError(step.failure) });
    finished = step.kind === 'open' || step.kind === 'fail';
    return finished;
  };
  if (act(handshake.start())) return;
  readUntilDone(
    socket,
    (chunk) => act(handshake.push(chunk)),
    () => {
      if (!finished) done({ kind: 'failed', error: toProxyError({ kind: 'bad-response', message: 'The SOCKS proxy closed the connection before answering' }) });
    }
  );
}

/** Open a SOCKS tunnel to `host`:`port` on `socket`. */
export function exchangeSocks(socket: Duplex, plan: ProxyPlan, host: string, port: number, resolution: SocksResolution, done: ExchangeDone): void {
  const { scheme, username, password } = plan.endpoint;
  if (scheme === 'socks4a') {
    runHandshake(socket, new Socks4aHandshake(host, port, username), done);
    return;
  }
  const credentials = username === '' && password === '' ? null : { username, password };
  if (scheme === 'socks5h' || isIP(host) !== 0) {
    runHandshake(socket, new Socks5Handshake(host, port, credentials), done);
    return;
  }
  const lookup = resolution.lookup ?? (dnsLookup as LookupFunction);
  lookup(host, { family: resolution.family ?? 0, all: false }, (error, address) => {
    if (socket.destroyed) return;
    // A name that does not resolve fails as it would without a proxy: with the resolver's own error.
    if (error !== null) done({ kind: 'failed', error });
    else runHandshake(socket, new Socks5Handshake(typeof address === 'string' ? address : address[0].address, port, credentials), done);
  });
}
