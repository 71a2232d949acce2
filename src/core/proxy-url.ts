/**
 * Proxy URLs: the schemes sockwire speaks, their default ports, the credentials in the userinfo, and the strings
 * built from them (the CONNECT authority, the Basic credentials). Nothing here ever puts a credential into a
 * message: problems are described without the URL's text.
 */
import { Buffer } from 'node:buffer';

/** `http`/`https`: HTTP CONNECT (RFC 9110 §9.3.6), over TCP or TLS; the SOCKS ones: RFC 1928 and SOCKS 4A. */
export type ProxyScheme = 'http' | 'https' | 'socks5' | 'socks5h' | 'socks4a';

/** The port used when the proxy URL has none (1080 is IANA's "socks"). */
export const DEFAULT_PROXY_PORTS: Readonly<Record<ProxyScheme, number>> = {
  http: 80,
  https: 443,
  socks5: 1080,
  socks5h: 1080,
  socks4a: 1080
};

/** A parsed proxy URL. `username`/`password` are percent-decoded; both are `''` when the URL has no userinfo. */
export interface ProxyEndpoint {
  readonly scheme: ProxyScheme;
  /** Host name or IP literal, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** A parse result: the endpoint, or why the text is not a usable proxy URL (never quoting the text). */
export type ProxyUrlResult = { ok: true; endpoint: ProxyEndpoint } | { ok: false; reason: string };

/**
 * Percent-decoding (RFC 3986 §2.1) of a userinfo part, leniently: a `%` not followed by two hex digits stays
 * as is, and the bytes are read as UTF-8 (RFC 7617 §2.1's charset for Basic).
 */
export function decodePercent(text: string): string {
  if (!text.includes('%')) return text;
  const source = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(source.length);
  let length = 0;
  for (let i = 0; i < source.length; i++) {
    const hex = source[i] === 0x25 && i + 2 < source.length ? source.toString('latin1', i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      out[length++] = parseInt(hex, 16);
      i += 2;
    } else out[length++] = source[i];
  }
  return out.toString('utf8', 0, length);
}

/** Parse a proxy URL. Text without `scheme://` is taken as `http://` (as curl does with `host:port`). */
export function parseProxyUrl(text: string): ProxyUrlResult {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, reason: 'it is not a valid URL' };
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(DEFAULT_PROXY_PORTS, scheme)) {
    return { ok: false, reason: `its scheme "${scheme}:" is not one of http:, https:, socks5:, socks5h:, socks4a:` };
  }
  const bracketed = url.hostname.startsWith('[');
  const host = (bracketed ? url.hostname.slice(1, -1) : url.hostname).toLowerCase();
  if (host === '') return { ok: false, reason: 'it has no host' };
  const proxyScheme = scheme as ProxyScheme;
  return {
    ok: true,
    endpoint: {
      scheme: proxyScheme,
      host,
      port: url.port === '' ? DEFAULT_PROXY_PORTS[proxyScheme] : Number(url.port),
      username: decodePercent(url.username),
      password: decodePercent(url.password)
    }
  };
}

/** `host:port` with IPv6 literals in brackets: the authority-form of CONNECT (RFC 9112 §3.2.3) and its Host. */
export function formatAuthority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The `Proxy-Authorization` value for Basic (RFC 7617 §2): base64 of the UTF-8 `user:password`. */
export function basicCredentials(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** `scheme://host:port`, never with credentials: how messages name a proxy. */
export function describeProxy(endpoint: ProxyEndpoint): string {
  return `${endpoint.scheme}://${formatAuthority(endpoint.host, endpoint.port)}`;
}
