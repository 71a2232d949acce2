// Seeded generators of WebSocket traffic for the core property and differential tests: a model of messages and
// control frames, its encoding with sockwire's encodeFrame, the events a correct receiver reports for it, and a
// plain frame walker used to classify mutated streams.
import { encodeFrame } from './core-util.mjs';
import { parseFrames } from './frame-bytes.mjs';

/** Payload sizes worth hitting: the length-encoding boundaries of RFC 6455 §5.2 and some ordinary ones. */
const EDGE_SIZES = [0, 1, 2, 3, 4, 5, 125, 126, 127, 1023, 1024, 1025, 65535, 65536];

/** A random size: edges, small, medium, rarely 64 KiB+ (kept rare so runs stay short). */
export function randomSize(random, allowLarge) {
  const roll = random.next();
  if (allowLarge && roll < 0.06) return random.pick([65535, 65536, 70001]);
  if (roll < 0.35) {
    const size = random.pick(EDGE_SIZES);
    return size > 1025 && !allowLarge ? random.int(0, 300) : size;
  }
  if (roll < 0.85) return random.int(0, 300);
  return random.int(300, 5000);
}

const CODE_POINTS = [
  0x41, 0x7a, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f4a9, 0x10ffff
];

/** Valid UTF-8 of exactly `size` bytes, mixing 1- to 4-byte code points (padded with ASCII). */
export function randomText(random, size) {
  const parts = [];
  let length = 0;
  while (size - length >= 4) {
    const cp = random.bool(0.5) ? random.int(0x20, 0x7e) : random.pick(CODE_POINTS);
    const bytes = Buffer.from(String.fromCodePoint(cp));
    parts.push(bytes);
    length += bytes.length;
  }
  parts.push(Buffer.alloc(size - length, 0x2e));
  return Buffer.concat(parts);
}

/** Cut `payload` into `count` fragments at random points (empty fragments allowed). */
function fragment(random, payload, count) {
  const cuts = [];
  for (let i = 1; i < count; i++) cuts.push(random.int(0, payload.length));
  cuts.sort((a, b) => a - b);
  const pieces = [];
  let start = 0;
  for (const cut of [...cuts, payload.length]) {
    pieces.push(payload.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

function randomControl(random) {
  const opcode = random.bool() ? 0x9 : 0xa;
  const size = random.bool(0.3) ? random.pick([0, 125]) : random.int(0, 20);
  return { opcode, fin: true, payload: random.bytes(size) };
}

/**
 * A random conversation: data messages (possibly fragmented, with pings/pongs between fragments), optionally ending
 * with a close frame and bytes after it. Returns the frames and the events a receiver must report.
 */
export function randomConversation(random, { allowLarge = true, maxMessages = 6 } = {}) {
  const frames = [];
  const events = [];
  const count = random.int(1, maxMessages);
  for (let m = 0; m < count; m++) {
    while (random.bool(0.2)) {
      const control = randomControl(random);
      frames.push(control);
      events.push(`${control.opcode === 0x9 ? 'ping' : 'pong'}:${control.payload.toString('hex')}`);
    }
    const isBinary = random.bool();
    const size = randomSize(random, allowLarge);
    const payload = isBinary ? random.bytes(size) : randomText(random, size);
    const pieces = random.bool(0.5) ? [payload] : fragment(random, payload, random.int(2, 6));
    pieces.forEach((piece, i) => {
      frames.push({ opcode: i === 0 ? (isBinary ? 0x2 : 0x1) : 0x0, fin: i === pieces.length - 1, payload: piece });
      if (i < pieces.length - 1 && random.bool(0.3)) {
        const control = randomControl(random);
        frames.push(control);
        events.push(`${control.opcode === 0x9 ? 'ping' : 'pong'}:${control.payload.toString('hex')}`);
      }
    });
    events.push(`message:${isBinary ? 'binary' : 'text'}:${payload.toString('hex')}`);
  }
  if (random.bool(0.4)) {
    const roll = random.next();
    let payload;
    if (roll < 0.2) {
      payload = Buffer.alloc(0);
      events.push('close:1005:');
    } else {
      const code = random.pick([
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999
      ]);
      const reason = randomText(random, random.int(0, 123));
      payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), reason]);
      events.push(`close:${code}:${reason.toString('hex')}`);
    }
    frames.push({ opcode: 0x8, fin: true, payload });
    // Anything after the close frame is never read.
    if (random.bool()) frames.push({ opcode: 0x1, fin: true, payload: Buffer.from([0xff]) });
  }
  return { frames, events };
}

/**
 * Encode frames with encodeFrame; `masked` for client-to-server traffic. The mask key comes from a fixed buffer,
 * a generateMask callback, or the crypto pool, chosen at random; sources are copied first because large payloads
 * are masked in place.
 */
export function encodeFrames(random, frames, masked) {
  const out = [];
  for (const frame of frames) {
    const options = { opcode: frame.opcode, fin: frame.fin, mask: masked, rsv1: frame.rsv1 === true };
    if (masked) {
      const how = random.int(0, 3);
      if (how === 0) options.maskBuffer = random.bytes(4);
      else if (how === 1) options.maskBuffer = Buffer.alloc(4);
      else if (how === 2) {
        const key = random.bytes(4);
        options.generateMask = (target) => key.copy(target);
      }
      options.readOnly = random.bool();
    }
    for (const piece of encodeFrame(Buffer.from(frame.payload), options)) out.push(piece);
  }
  return Buffer.concat(out);
}

/**
 * Walk the frames of `bytes` without validating anything but lengths (payloads unmasked into copies). Stops at a
 * truncated frame. Used to tell where a fragmented text message first becomes invalid UTF-8.
 */
export function walkFrames(bytes) {
  return parseFrames(bytes).frames;
}

/**
 * True when the stream holds a text message whose UTF-8 becomes invalid before its final frame is complete: in a
 * non-final fragment, or in the received part of a frame the stream ends inside. There sockwire fails at once,
 * ws only once the final frame is complete (SPEC.md §10, README: differences).
 */
export function hasEarlyUtf8Failure(bytes) {
  const { frames, partial } = parseFrames(bytes, { partial: true });
  let decoder = null;
  const rejects = (payload) => {
    try {
      decoder.decode(payload, { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  for (const frame of frames) {
    if (frame.opcode >= 0x8) continue;
    if (frame.opcode === 0x1) decoder = frame.fin ? null : new TextDecoder('utf-8', { fatal: true });
    else if (frame.opcode !== 0x0) decoder = null;
    if (decoder === null) continue;
    if (rejects(frame.payload) && !frame.fin) return true;
    if (frame.fin) decoder = null;
  }
  if (partial === null || (partial.rsv & 4) !== 0) return false;
  if (partial.opcode === 0x1) decoder = new TextDecoder('utf-8', { fatal: true });
  else if (partial.opcode !== 0x0) return false;
  return decoder !== null && rejects(partial.payload);
}
