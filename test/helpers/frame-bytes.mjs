// Raw WebSocket frame bytes written by hand for the tests (RFC 6455 §5.2): one builder that can also lie about the
// payload length, and one walker that splits a byte stream into frames. No imports, so every suite's helpers
// (core, api, compat, hostile, features, extensions) can share them without loading anything else.

/**
 * Encodes one frame (RFC 6455 §5.2). `key` (4 bytes) masks it (RFC 6455 §5.3); null or undefined sends it unmasked.
 * `length` overrides the declared payload length (a lie); `lengthForm` (7, 16 or 64) forces the length encoding.
 * `rsv` is the 3-bit RSV field (RSV1 = 4). Fields are not range-checked, so callers can build malformed frames.
 */
export function buildFrame({ opcode, fin = true, rsv = 0, key = null, payload = Buffer.alloc(0), length, lengthForm }) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const declared = length ?? data.length;
  const form = lengthForm ?? (declared < 126 ? 7 : declared < 65536 ? 16 : 64);
  const maskBit = key ? 0x80 : 0;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  if (form === 7) head.push(maskBit | declared);
  else if (form === 16) head.push(maskBit | 126, (declared >> 8) & 0xff, declared & 0xff);
  else {
    // Split in two 32-bit halves: a Number holds lengths up to 2^53 exactly, enough for every lie the tests tell.
    const high = Math.floor(declared / 2 ** 32);
    const low = declared % 2 ** 32;
    head.push(maskBit | 127, (high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff);
    head.push((low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff);
  }
  if (!key) return Buffer.concat([Buffer.from(head), data]);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

/**
 * Splits a byte stream into frames (RFC 6455 §5.2), validating nothing but lengths. Returns `{ frames, rest }`:
 * each frame is `{ fin, rsv, opcode, masked, key, length, payload, raw }` with `payload` unmasked into a copy,
 * `key` the 4-byte mask key (or null) and `raw` the frame's bytes on the wire; `rest` is a trailing partial frame,
 * and with `{ partial: true }` also `partial`: when `rest` holds a whole header, its `{ fin, rsv, opcode, payload }`
 * with the payload bytes that did arrive, unmasked (null otherwise).
 * The loop advances at least 2 bytes a frame, so it is bounded by the input length.
 */
export function parseFrames(bytes, { partial: wantPartial = false } = {}) {
  const frames = [];
  let partial = null;
  let at = 0;
  for (let header = readHeader(bytes, at); header !== null; header = readHeader(bytes, at)) {
    const { b0, length, key } = header;
    const pos = header.payloadAt;
    const complete = pos + length <= bytes.length;
    if (!complete && !wantPartial) break;
    const payload = Buffer.from(bytes.subarray(pos, pos + length));
    if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    if (!complete) {
      partial = { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, payload };
      break;
    }
    const raw = bytes.subarray(at, pos + length);
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked: key !== null, key, length, payload, raw });
    at = pos + length;
  }
  return { frames, rest: bytes.subarray(at), partial };
}

/** The header of the frame at `at` (`{ b0, length, key, payloadAt }`), or null while it is incomplete. */
function readHeader(bytes, at) {
  if (at + 2 > bytes.length) return null;
  const b0 = bytes[at];
  const b1 = bytes[at + 1];
  let length = b1 & 0x7f;
  let pos = at + 2;
  if (length === 126) {
    if (pos + 2 > bytes.length) return null;
    length = bytes.readUInt16BE(pos);
    pos += 2;
  } else if (length === 127) {
    if (pos + 8 > bytes.length) return null;
    length = bytes.readUInt32BE(pos) * 2 ** 32 + bytes.readUInt32BE(pos + 4);
    pos += 8;
  }
  let key = null;
  if (b1 & 0x80) {
    if (pos + 4 > bytes.length) return null;
    key = bytes.subarray(pos, pos + 4);
    pos += 4;
  }
  return { b0, length, key, payloadAt: pos };
}

/** How many bytes the frame at the start of `bytes` takes on the wire, or undefined while its header is incomplete. */
export function frameLength(bytes) {
  const header = readHeader(bytes, 0);
  return header === null ? undefined : header.payloadAt + header.length;
}
