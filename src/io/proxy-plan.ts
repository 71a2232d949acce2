/**
 * The client's `proxy` option, resolved for one connection attempt (each redirect hop resolves its own): which
 * proxy, with which CONNECT headers, TLS options and time limit, or none. Configuration mistakes are TypeErrors,
 * whose messages never quote a proxy URL (it may hold credentials).
 */
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import { nodeUsesEnvProxy, proxyFromEnvironment, type ProxyEnvironment } from '../core/proxy-env';
import { basicCredentials, parseProxyUrl, type ProxyEndpoint } from '../core/proxy-url';
import { socks5CredentialsProblem } from '../core/socks';

/** The object form of the `proxy` option. */
export interface ProxySettings {
  /** The proxy: `http:`, `https:`, `socks5:`, `socks5h:` or `socks4a:`; userinfo gives the credentials. */
  url: string | URL;
  /** Extra headers for the `CONNECT` request (HTTP proxies); a `Proxy-Authorization` here wins over the URL's. */
  headers?: OutgoingHttpHeaders;
  /** TLS options for the connection to an `https:` proxy (the target's TLS options stay the client's own). */
  tls?: ConnectionOptions;
  /** Ms for the whole tunnel setup; default: the client's `handshakeTimeout`. Expiry: `WS_ERR_PROXY_TIMEOUT`. */
  timeout?: number;
}

/**
 * The `proxy` option: `false` (direct; the default unless Node runs with `NODE_USE_ENV_PROXY=1` or
 * `--use-env-proxy`, which make it `'env'`), `true` or `'env'` (the environment variables), a proxy URL, or
 * {@link ProxySettings}.
 */
export type ProxyOption = boolean | 'env' | string | URL | ProxySettings;

/** A proxy to use for one connection. */
export interface ProxyPlan {
  readonly endpoint: ProxyEndpoint;
  /** Header lines of the CONNECT request after `Host` (HTTP proxies). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly tls: ConnectionOptions | undefined;
  readonly timeout: number | undefined;
}

/** The target of one attempt, as the handshake knows it. */
export interface ProxyTarget {
  readonly secure: boolean;
  readonly ipc: boolean;
  /** Host name or IP literal, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

/** The client options this module reads. */
export interface ProxyClientOptions {
  proxy?: unknown;
  agent?: unknown;
  createConnection?: unknown;
  handshakeTimeout?: number;
}

/** `proxy` option → settings, or `'env'`/`null`; throws for values of the wrong type. */
function normaliseOption(option: unknown): ProxySettings | 'env' | null {
  if (option === false) return null;
  if (option === true || option === 'env') return 'env';
  if (typeof option === 'string' || option instanceof URL) return { url: option };
  if (typeof option === 'object' && option !== null && 'url' in option) {
    const settings = option as ProxySettings;
    if (typeof settings.url === 'string' || settings.url instanceof URL) return settings;
  }
  throw new TypeError('The "proxy" option must be false, true, "env", a proxy URL or { url, headers, tls, timeout }');
}

function connectHeaders(endpoint: ProxyEndpoint, extra: OutgoingHttpHeaders | undefined): Array<[string, string]> {
  if (extra !== undefined && (typeof extra !== 'object' || extra === null)) {
    throw new TypeError('The "proxy.headers" option must be an object');
  }
  const lines: Array<[string, string]> = [];
  let authorization = false;
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (value === undefined) continue;
    validateHeaderName(name);
    for (const item of Array.isArray(value) ? value : [value]) {
      validateHeaderValue(name, String(item));
      lines.push([name, String(item)]);
    }
    if (name.toLowerCase() === 'proxy-authorization') authorization = true;
  }
  // RFC 9110 §11.7.2; the URL's userinfo is percent-decoded first (RFC 3986 §3.2.1).
  if (!authorization && (endpoint.username !== '' || endpoint.password !== '')) {
    lines.push(['Proxy-Authorization', basicCredentials(endpoint.username, endpoint.password)]);
  }
  return lines;
}

function checkTimeout(timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new TypeError('The "proxy.timeout" option must be a non-negative number of milliseconds');
  }
  return timeout;
}

/**
 * The proxy for one attempt, or null to connect directly. `env` and `execArgv` default to the process's own;
 * with `'env'`, `no_proxy` is evaluated against this attempt's target.
 */
export function planProxy(
  options: ProxyClientOptions,
  target: ProxyTarget,
  env: ProxyEnvironment = process.env,
  execArgv: readonly string[] = process.execArgv
): ProxyPlan | null {
  let settings: ProxySettings | 'env' | null;
  if (options.proxy === undefined) {
    // Node's switch only sets a default: an explicit agent or createConnection keeps its own way to connect.
    const free = options.agent === undefined && options.createConnection === undefined;
    settings = free && nodeUsesEnvProxy(env, execArgv) ? 'env' : null;
  } else {
    settings = normaliseOption(options.proxy);
    if (settings !== null && options.agent !== undefined) {
      throw new TypeError('The "agent" and "proxy" options cannot be used together');
    }
    if (settings !== null && options.createConnection !== undefined) {
      throw new TypeError('The "createConnection" and "proxy" options cannot be used together');
    }
  }
  // A Unix socket path has no host for a proxy to reach.
  if (settings === null || target.ipc) return null;
  let source = 'the "proxy" option';
  let text: string;
  if (settings === 'env') {
    const chosen = proxyFromEnvironment(env, target.secure, target.host, target.port);
    if (chosen === null) return null;
    source = `the ${chosen.variable} environment variable`;
    text = chosen.url;
    settings = { url: text };
  } else text = settings.url instanceof URL ? settings.url.href : settings.url;
  const parsed = parseProxyUrl(text);
  if (!parsed.ok) throw new TypeError(`Invalid proxy URL in ${source}: ${parsed.reason}`);
  const endpoint = parsed.endpoint;
  if (endpoint.scheme === 'socks5' || endpoint.scheme === 'socks5h') {
    const problem = endpoint.username === '' && endpoint.password === '' ? null : socks5CredentialsProblem(endpoint);
    if (problem !== null) throw new TypeError(`Invalid proxy URL in ${source}: ${problem}`);
  }
  return {
    endpoint,
    headers: connectHeaders(endpoint, settings.headers),
    tls: settings.tls,
    timeout: checkTimeout(settings.timeout) ?? options.handshakeTimeout
  };
}
