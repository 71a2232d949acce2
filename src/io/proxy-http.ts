/**
 * The CONNECT exchange with an HTTP(S) proxy over an open socket (RFC 9110 §9.3.6): write the request, read the
 * answer's head, and report an open tunnel or a refusal. A refusal comes with an `IncomingMessage` of the proxy's
 * answer (its body streams from the socket), for `'unexpected-response'`.
 */
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { classifyConnectStatus, ConnectResponseReader, formatConnectRequest, type ConnectResponseHead } from '../core/http-connect';
import { toProxyError, type ProxyFailureKind } from '../core/proxy-failure';
import { formatAuthority } from '../core/proxy-url';
import { readUntilDone, type ExchangeDone } from './proxy-exchange';
import type { ProxyPlan } from './proxy-plan';

/** The refusal message for each kind of non-2xx status. */
function refusalMessage(kind: ProxyFailureKind, head: ConnectResponseHead, plan: ProxyPlan): string {
  const status = `${head.statusCode}${head.statusMessage === '' ? '' : ` ${head.statusMessage}`}`;
  const sentCredentials = plan.headers.some(([name]) => name.toLowerCase() === 'proxy-authorization');
  if (kind === 'auth-required') {
    return sentCredentials ? `The proxy rejected the credentials: ${status}` : `The proxy requires authentication: ${status}`;
  }
  if (kind === 'unreachable') return `The proxy could not open the tunnel: ${status}`;
  return `The proxy refused the tunnel: ${status}`;
}

/**
 * The proxy's answer as an `IncomingMessage`. Its body is what follows the head: up to `Content-Length`, or until
 * the proxy closes. Reading it pauses and resumes the socket, so an app that ignores it holds no more than one
 * stream buffer.
 */
function responseFor(socket: Duplex, head: ConnectResponseHead, rest: Buffer): IncomingMessage {
  const response = new IncomingMessage(socket as Socket);
  response.httpVersion = head.httpVersion;
  response.httpVersionMajor = Number(head.httpVersion[0]);
  response.httpVersionMinor = Number(head.httpVersion[2]);
  response.statusCode = head.statusCode;
  response.statusMessage = head.statusMessage;
  response.headers = head.headers as IncomingMessage['headers'];
  response.rawHeaders = head.rawHeaders;
  const declared = Number(head.headers['content-length']);
  let remaining = Number.isSafeInteger(declared) && declared >= 0 ? declared : Infinity;
  const finish = (): void => {
    socket.removeListener('data', onData);
    if (!response.complete) {
      response.complete = remaining === 0 || remaining === Infinity;
      response.push(null);
    }
  };
  const onData = (chunk: Buffer): void => {
    const body = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= body.length;
    if (!response.push(body)) socket.pause();
    if (remaining === 0) finish();
  };
  response._read = () => {
    socket.resume();
  };
  if (rest.length > 0) onData(rest);
  if (remaining > 0) {
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('close', finish);
  } else finish();
  return response;
}

/** Send `CONNECT host:port` on `socket` and wait for the proxy's answer. */
export function exchangeConnect(socket: Duplex, plan: ProxyPlan, host: string, port: number, done: ExchangeDone): void {
  const reader = new ConnectResponseReader();
  const detach = readUntilDone(
    socket,
    (chunk) => {
      const state = reader.push(chunk);
      if (state.state === 'incomplete') return false;
      if (state.state === 'invalid') {
        done({ kind: 'failed', error: toProxyError({ kind: 'bad-response', message: `Invalid response from the proxy: ${state.reason}` }) });
        return true;
      }
      const kind = classifyConnectStatus(state.head.statusCode);
      if (kind === 'open') {
        done({ kind: 'open', rest: state.rest });
        return true;
      }
      detach();
      const error = toProxyError({ kind, message: refusalMessage(kind, state.head, plan), statusCode: state.head.statusCode });
      done({ kind: 'refused', error, response: responseFor(socket, state.head, state.rest) });
      return true;
    },
    () => done({ kind: 'failed', error: toProxyError({ kind: 'bad-response', message: 'The proxy closed the connection before answering CONNECT' }) })
  );
  socket.write(formatConnectRequest(formatAuthority(host, port), plan.headers));
}
