/**
 * The `no_proxy` list: which target hosts bypass the proxy taken from the environment. There is no standard for
 * it; sockwire's grammar is the common core of curl, Go and Python, plus CIDR ranges, and is documented in the
 * README ("Proxies"). Matching is on the text of the target's host: no name is resolved, and loopback gets no
 * special treatment.
 */
import { inPrefix, parseIPv4, parseIpAddress, type IpAddress } from './ip-address';

/** One parsed entry of a `no_proxy` list. */
export type NoProxyRule =
  | { readonly kind: 'all' }
  | { readonly kind: 'cidr'; readonly network: IpAddress; readonly prefix: number }
  | { readonly kind: 'ip'; readonly address: IpAddress; readonly port: number | null }
  | { readonly kind: 'domain'; readonly name: string; readonly port: number | null };

/** `"443"` → 443; anything but a decimal 1–65535 → null. */
function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** Host names compare in lower case and without the root label's trailing dot. */
function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function parseCidr(entry: string): NoProxyRule | null {
  const slash = entry.indexOf('/');
  const text = entry.slice(0, slash);
  const network = parseIpAddress(text);
  const prefix = /^\d{1,3}$/.test(entry.slice(slash + 1)) ? Number(entry.slice(slash + 1)) : -1;
  if (network === null || prefix < 0 || prefix > (network.family === 4 ? 32 : 128)) return null;
  return { kind: 'cidr', network, prefix };
}

/** `[v6]` or `[v6]:port`. */
function parseBracketed(entry: string): NoProxyRule | null {
  const close = entry.indexOf(']');
  const address = close === -1 ? null : parseIpAddress(entry.slice(0, close + 1));
  if (address === null) return null;
  const after = entry.slice(close + 1);
  if (after === '') return { kind: 'ip', address, port: null };
  const port = after.startsWith(':') ? parsePort(after.slice(1)) : null;
  return port === null ? null : { kind: 'ip', address, port };
}

/** One entry; null for entries that cannot mean anything (they are skipped, not fatal). */
export function parseNoProxyEntry(entry: string): NoProxyRule | null {
  if (entry === '*') return { kind: 'all' };
  if (entry.includes('/')) return parseCidr(entry);
  if (entry.startsWith('[')) return parseBracketed(entry);
  // Two or more colons: a bare IPv6 literal, which cannot carry a port without brackets.
  if (entry.indexOf(':') !== entry.lastIndexOf(':')) {
    const address = parseIpAddress(entry);
    return address === null ? null : { kind: 'ip', address, port: null };
  }
  const colon = entry.indexOf(':');
  let port: number | null = null;
  let host = entry;
  if (colon !== -1) {
    port = parsePort(entry.slice(colon + 1));
    host = entry.slice(0, colon);
    if (port === null) return null;
  }
  const v4 = parseIPv4(host);
  if (v4 !== null) return { kind: 'ip', address: v4, port };
  // `.example.com` and `*.example.com` mean the same as `example.com`: the domain and everything below it.
  const name = canonicalName(host.startsWith('*.') ? host.slice(2) : host.startsWith('.') ? host.slice(1) : host);
  if (name === '' || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) return null;
  return { kind: 'domain', name, port };
}

/** Split a `no_proxy` value on commas and white space, and parse each entry. */
export function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const entry of value.split(/[\s,]+/)) {
    if (entry === '') continue;
    const rule = parseNoProxyEntry(entry);
    if (rule !== null) rules.push(rule);
  }
  return rules;
}

/**
 * True when a connection to `host`:`port` must go direct. `host` is a URL's host name (IPv6 in brackets or not);
 * `port` is the effective port (the scheme's default filled in).
 */
export function bypassesProxy(rules: readonly NoProxyRule[], host: string, port: number): boolean {
  const name = canonicalName(host);
  const address = parseIpAddress(name);
  for (const rule of rules) {
    switch (rule.kind) {
      case 'all':
        return true;
      case 'cidr':
        if (address !== null && inPrefix(address, rule.network, rule.prefix)) return true;
        break;
      case 'ip':
        if (address !== null && address.family === rule.address.family && address.value === rule.address.value) {
          if (rule.port === null || rule.port === port) return true;
        }
        break;
      case 'domain':
        if (address === null && (name === rule.name || name.endsWith(`.${rule.name}`))) {
          if (rule.port === null || rule.port === port) return true;
        }
        break;
    }
  }
  return false;
}
