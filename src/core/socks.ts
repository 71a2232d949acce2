/**
 * SOCKS client handshakes, sans-I/O: SOCKS5 (RFC 1928) with username/password authentication (RFC 1929), and
 * SOCKS 4A (Ying-Da Lee's extension of SOCKS 4, where the proxy resolves the name). Bytes in, steps out: the io
 * layer writes what a step says to send and hands over the socket when the tunnel is open.
 */
import { Buffer } from 'node:buffer';
import { parseIpAddress } from './ip-address';
import type { ProxyFailure, ProxyFailureKind } from './proxy-failure';

/** What to do next. `rest` holds bytes that followed the proxy's final reply: they belong to the tunnel. */
export type SocksStep =
  | { readonly kind: 'send'; readonly bytes: Buffer }
  | { readonly kind: 'wait' }
  | { readonly kind: 'open'; readonly rest: Buffer }
  | { readonly kind: 'fail'; readonly failure: ProxyFailure };

/** A client handshake: `start()` gives the first message, `push()` takes the proxy's bytes. */
export interface SocksHandshake {
  start(): SocksStep;
  push(chunk: Buffer): SocksStep;
}

/** Username and password, as configured (percent-decoded text). */
export interface SocksCredentials {
  readonly username: string;
  readonly password: string;
}

const WAIT: SocksStep = { kind: 'wait' };

/** RFC 1928 §6 reply codes → failure kind and text. */
const SOCKS5_REPLIES: Readonly<Record<number, readonly [ProxyFailureKind, string]>> = {
  1: ['unreachable', 'general SOCKS server failure'],
  2: ['refused', 'connection not allowed by ruleset'],
  3: ['unreachable', 'network unreachable'],
  4: ['unreachable', 'host unreachable'],
  5: ['unreachable', 'connection refused'],
  6: ['unreachable', 'TTL expired'],
  7: ['refused', 'command not supported'],
  8: ['refused', 'address type not supported']
};

/** SOCKS 4A reply codes (90 is success). */
const SOCKS4_REPLIES: Readonly<Record<number, readonly [ProxyFailureKind, string]>> = {
  91: ['refused', 'request rejected or failed'],
  92: ['auth-required', 'the proxy could not reach our identd'],
  93: ['auth-required', 'identd reported a different user id']
};

function failStep(kind: ProxyFailureKind, message: string, socksReply?: number): SocksStep {
  return { kind: 'fail', failure: socksReply === undefined ? { kind, message } : { kind, message, socksReply } };
}

/** A big-endian port. */
function portBytes(port: number): Buffer {
  const bytes = Buffer.allocUnsafe(2);
  bytes.writeUInt16BE(port);
  return bytes;
}

/** The bytes of an address value (`bytes` long, big-endian). */
function addressBytes(value: bigint, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = bytes - 1; i >= 0; i--, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

/**
 * Why `credentials` cannot be sent over SOCKS5: RFC 1929 §2 gives both ULEN and PLEN the range 1–255, so an empty
 * user name or password cannot be encoded.
 */
export function socks5CredentialsProblem(credentials: SocksCredentials): string | null {
  const user = Buffer.byteLength(credentials.username);
  if (user < 1 || user > 255) return 'the SOCKS5 user name must be 1 to 255 bytes';
  const password = Buffer.byteLength(credentials.password);
  if (password < 1 || password > 255) return 'the SOCKS5 password must be 1 to 255 bytes';
  return null;
}

/** Bytes buffered across chunks, consumed from the front. */
class Input {
  private buffer: Buffer = Buffer.alloc(0);

  add(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }
  get length(): number {
    return this.buffer.length;
  }
  at(index: number): number {
    return this.buffer[index];
  }
  take(count: number): Buffer {
    const taken = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return taken;
  }
  rest(): Buffer {
    return this.take(this.buffer.length);
  }
}

/**
 * RFC 1928 CONNECT to `host`:`port`. An IP literal is sent as an address (ATYP 1 or 4); a name as ATYP 3, which
 * the proxy resolves: for `socks5:` (local resolution) the io layer resolves the name first and passes the address.
 */
export class Socks5Handshake implements SocksHandshake {
  private stage: 'method' | 'auth' | 'reply' | 'done' = 'method';
  private readonly input = new Input();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly credentials: SocksCredentials | null
  ) {}

  /** RFC 1928 §3: version 5 and the methods offered: "no authentication", plus username/password when we have one. */
  start(): SocksStep {
    return { kind: 'send', bytes: Buffer.from(this.credentials === null ? [5, 1, 0x00] : [5, 2, 0x00, 0x02]) };
  }

  push(chunk: Buffer): SocksStep {
    this.input.add(chunk);
    switch (this.stage) {
      case 'method':
        return this.readMethod();
      case 'auth':
        return this.readAuth();
      case 'reply':
        return this.readReply();
      default:
        return WAIT;
    }
  }

  private readMethod(): SocksStep {
    if (this.input.length < 2) return WAIT;
    const [version, method] = this.input.take(2);
    if (version !== 5) return failStep('bad-response', 'the proxy does not speak SOCKS5');
    if (method === 0xff) {
      const why = this.credentials === null ? 'the SOCKS5 proxy requires authentication' : 'the SOCKS5 proxy accepts none of our authentication methods';
      return failStep('auth-required', why);
    }
    if (method === 0x00) return this.request();
    if (method === 0x02 && this.credentials !== null) {
      // RFC 1929 §2: VER 1, ULEN, UNAME, PLEN, PASSWD.
      this.stage = 'auth';
      const user = Buffer.from(this.credentials.username, 'utf8');
      const pass = Buffer.from(this.credentials.password, 'utf8');
      return { kind: 'send', bytes: Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]) };
    }
    return failStep('bad-response', `the SOCKS5 proxy chose a method we did not offer (${method})`);
  }

  private readAuth(): SocksStep {
    if (this.input.length < 2) return WAIT;
    // RFC 1929 §2: VER 1 and STATUS; 0 is success. Some servers answer with version 5; only the status counts.
    const status = this.input.take(2)[1];
    if (status !== 0) return failStep('auth-required', 'the SOCKS5 proxy rejected the user name and password', status);
    return this.request();
  }

  /** RFC 1928 §4: VER 5, CMD 1 (CONNECT), RSV, ATYP, DST.ADDR, DST.PORT. */
  private request(): SocksStep {
    const address = parseIpAddress(this.host);
    let destination: Buffer;
    if (address !== null) {
      destination = Buffer.concat([Buffer.from([address.family === 4 ? 1 : 4]), addressBytes(address.value, address.family === 4 ? 4 : 16)]);
    } else {
      const name = Buffer.from(this.host, 'utf8');
      if (name.length > 255) return failStep('refused', 'the host name is too long for SOCKS5 (255 bytes at most)');
      destination = Buffer.concat([Buffer.from([3, name.length]), name]);
    }
    this.stage = 'reply';
    return { kind: 'send', bytes: Buffer.concat([Buffer.from([5, 1, 0]), destination, portBytes(this.port)]) };
  }

  /** RFC 1928 §6: VER, REP, RSV, ATYP, BND.ADDR (length by type), BND.PORT. */
  private readReply(): SocksStep {
    if (this.input.length < 5) return WAIT;
    if (this.input.at(0) !== 5) return failStep('bad-response', 'the SOCKS5 reply has the wrong version');
    const reply = this.input.at(1);
    if (reply !== 0) {
      const known = SOCKS5_REPLIES[reply];
      if (known === undefined) return failStep('bad-response', `the SOCKS5 proxy sent an unknown reply code (${reply})`, reply);
      return failStep(known[0], `SOCKS5 proxy: ${known[1]} (reply ${reply})`, reply);
    }
    const type = this.input.at(3);
    const addressLength = type === 1 ? 4 : type === 4 ? 16 : type === 3 ? 1 + this.input.at(4) : -1;
    if (addressLength < 0) return failStep('bad-response', `the SOCKS5 reply has an unknown address type (${type})`);
    const total = 4 + addressLength + 2;
    if (this.input.length < total) return WAIT;
    this.input.take(total);
    this.stage = 'done';
    return { kind: 'open', rest: this.input.rest() };
  }
}

/** SOCKS 4A CONNECT: a name travels after the user id with the address 0.0.0.1; IPv4 literals go as SOCKS 4. */
export class Socks4aHandshake implements SocksHandshake {
  private readonly input = new Input();
  private done = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly userId: string
  ) {}

  start(): SocksStep {
    const address = parseIpAddress(this.host);
    if (address !== null && address.family === 6) return failStep('refused', 'a SOCKS4a proxy cannot reach IPv6 addresses');
    const user = Buffer.from(`${this.userId}\0`, 'utf8');
    const ip = address === null ? Buffer.from([0, 0, 0, 1]) : addressBytes(address.value, 4);
    const name = address === null ? Buffer.from(`${this.host}\0`, 'utf8') : Buffer.alloc(0);
    return { kind: 'send', bytes: Buffer.concat([Buffer.from([4, 1]), portBytes(this.port), ip, user, name]) };
  }

  /** The 8-byte reply: VN (0), CD, DSTPORT, DSTIP. */
  push(chunk: Buffer): SocksStep {
    this.input.add(chunk);
    if (this.done || this.input.length < 8) return WAIT;
    const reply = this.input.take(8);
    if (reply[0] !== 0 && reply[0] !== 4) return failStep('bad-response', 'the proxy does not speak SOCKS4');
    const code = reply[1];
    if (code === 90) {
      this.done = true;
      return { kind: 'open', rest: this.input.rest() };
    }
    const known = SOCKS4_REPLIES[code];
    if (known === undefined) return failStep('bad-response', `the SOCKS4a proxy sent an unknown reply code (${code})`, code);
    return failStep(known[0], `SOCKS4a proxy: ${known[1]} (reply ${code})`, code);
  }
}
