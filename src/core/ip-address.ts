/**
 * IP address literals as numbers, for prefix matching (the CIDR entries of `no_proxy`). Text only, no resolver:
 * a host name never becomes an address here.
 */

/** A parsed address: its family and its value as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** RFC 791 dotted-quad, strictly: four decimal parts 0–255, no leading zeros (which some resolvers read as octal). */
export function parseIPv4(text: string): IpAddress | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const byte = Number(part);
    if (byte > 255) return null;
    value = (value << 8n) | BigInt(byte);
  }
  return { family: 4, value };
}

/**
 * RFC 4291 §2.2 text forms: eight hex groups, one `::` run of zeros, and an embedded IPv4 tail (`::ffff:1.2.3.4`).
 * A zone index (`fe80::1%eth0`) is not an address literal for matching purposes and is refused.
 */
export function parseIPv6(text: string): IpAddress | null {
  let groups = text.toLowerCase();
  const lastColon = groups.lastIndexOf(':');
  if (lastColon !== -1 && groups.includes('.', lastColon)) {
    // The dotted tail is the last 32 bits: rewrite it as two hex groups so one loop parses everything.
    const v4 = parseIPv4(groups.slice(lastColon + 1));
    if (v4 === null) return null;
    groups = `${groups.slice(0, lastColon + 1)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const rest = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const all = halves.length === 2 ? [...head, ...new Array<string>(8 - explicit).fill('0'), ...rest] : head;
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return { family: 6, value };
}

/** An IPv4 or IPv6 literal (IPv6 with or without `[...]`), or null for anything else (host names). */
export function parseIpAddress(text: string): IpAddress | null {
  if (text.startsWith('[') && text.endsWith(']')) return parseIPv6(text.slice(1, -1));
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

/** True when `address` lies in `network`/`prefix` (same family only). */
export function inPrefix(address: IpAddress, network: IpAddress, prefix: number): boolean {
  if (address.family !== network.family) return false;
  const shift = BigInt((address.family === 4 ? 32 : 128) - prefix);
  return address.value >> shift === network.value >> shift;
}
