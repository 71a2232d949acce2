// Byte-level helpers for the compat harness: frame encoding/decoding (RFC 6455 §5.2), the handshake accept key
// (RFC 6455 §4.2.2), HTTP head parsing and the normalisations that make two runs comparable (no Date, no random
// keys, no ports). Nothing here touches the implementation under test.
import { createHash } from 'node:crypto';
import { buildFrame, parseFrames } from '../helpers/frame-bytes.mjs';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Fixed mask key: raw clients mask with it and impl clients get it through `generateMask`, so bytes repeat. */
export const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A `generateMask` option value that always yields {@link MASK}. */
export function fixedMask(buf) {
  MASK.copy(buf);
}

/** The fixed Sec-WebSocket-Key raw clients send (RFC 6455 §1.3 sample nonce). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Opcodes, RFC 6455 §5.2. */
export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/** RFC 6455 §4.2.2: the Sec-WebSocket-Accept value for `key`. */
export function acceptKey(key) {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Close payload (RFC 6455 §5.5.1): 2-byte code then the UTF-8 (or raw Buffer) reason. */
export function closePayload(code, reason = '') {
  const why = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, why]);
}

/**
 * Encodes one frame (RFC 6455 §5.2). `mask` true uses {@link MASK}, a Buffer uses itself, falsy sends unmasked.
 * `length` overrides the encoded payload length (for malformed-length tests); `rsv` is 3 bits (RSV1 = 4).
 */
export function frame({ fin = true, rsv = 0, op, payload = Buffer.alloc(0), mask = false, length }) {
  const key = mask === true ? MASK : mask || null;
  return buildFrame({ fin, rsv, opcode: op, payload, key, length });
}

/** Short stable text for a payload: hex when small, else length + SHA-1 + first bytes (keeps diffs readable). */
export function bytesRepr(buf) {
  if (buf.length <= 64) return buf.toString('hex');
  const sha = createHash('sha1').update(buf).digest('hex').slice(0, 16);
  return `len=${buf.length} sha1=${sha} head=${buf.subarray(0, 8).toString('hex')}`;
}

/**
 * Splits a byte stream into frames. Returns `{ frames, rest }`; each frame is `{ fin, rsv, op, mask, len, data }`
 * with `mask` the key in hex (or null) and `data` the unmasked payload, as a Buffer.
 */
export function splitFrames(bytes) {
  const { frames, rest } = parseFrames(bytes);
  return {
    frames: frames.map(({ fin, rsv, opcode, key, length, payload }) => ({
      fin,
      rsv,
      op: opcode,
      mask: key ? key.toString('hex') : null,
      len: length,
      data: payload
    })),
    rest
  };
}

/** Frames as comparable plain objects (payload through {@link bytesRepr}); trailing partial bytes as `rest`. */
export function describeFrames(bytes) {
  const { frames, rest } = splitFrames(bytes);
  const out = frames.map(({ fin, rsv, op, mask, len, data }) => ({ fin, rsv, op, mask, len, data: bytesRepr(data) }));
  if (rest.length > 0) out.push({ rest: bytesRepr(rest) });
  return out;
}

/** Parses an HTTP head (text up to the blank line) into a start line and [name, value] pairs. */
export function parseHead(text) {
  const [start, ...lines] = text.split('\r\n');
  const headers = lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  return { start, headers };
}

/** Whether `key` is a valid Sec-WebSocket-Key: base64 of exactly 16 bytes (RFC 6455 §4.1). */
export function isValidKey(key) {
  return typeof key === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/**
 * Normalises header pairs for comparison: lower-case names, sorted, Date dropped, ports in Host replaced, the
 * random key reduced to its validity and the accept value to whether it matches `key`.
 */
export function normalizeHeaders(pairs, key) {
  const out = [];
  for (const [rawName, rawValue] of pairs) {
    const name = rawName.toLowerCase();
    let value = String(rawValue);
    if (name === 'date') continue;
    if (name === 'host') value = value.replace(/:\d+$/, ':PORT');
    if (name === 'sec-websocket-key') value = isValidKey(value) ? '<valid key>' : value;
    if (name === 'sec-websocket-accept') {
      // With a known key the value must match; otherwise (random client key) only its shape is comparable.
      if (key !== undefined) value = value === acceptKey(key) ? '<matching accept>' : value;
      else if (/^[A-Za-z0-9+/]{27}=$/.test(value)) value = '<accept>';
    }
    out.push(`${name}: ${value}`);
  }
  return out.sort();
}

/** `IncomingMessage` headers (an object) as the same normalised list. */
export function normalizeHeaderObject(headers, key) {
  const pairs = [];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, v]);
  }
  return normalizeHeaders(pairs, key);
}
