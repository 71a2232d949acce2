// A raw HTTP/2 peer over cleartext TCP for hostile tests: writes the connection preface and hand-built frames
// (RFC 9113 §4, §6) with header blocks as HPACK literals (RFC 7541 §6.2.2: literal without indexing, new name, no
// Huffman), so any header list can be sent — missing pseudo-headers, odd values, more streams than allowed. Reads
// the server's frames back; `:status` is read from the first byte when it is an indexed static entry (§A).
import net from 'node:net';
import { once } from 'node:events';

export const TYPE = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 };
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 };
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** RFC 7541 Appendix A: static table indices of the `:status` values. */
const STATIC_STATUS = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };

/** One frame: 9-byte header and payload. */
export function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function hpackLength(length) {
  if (length < 127) return Buffer.from([length]);
  const bytes = [127];
  let rest = length - 127;
  while (rest >= 128) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** An HPACK header block of literals for `[name, value]` pairs, in order. */
export function headerBlock(pairs) {
  return Buffer.concat(
    pairs.flatMap(([name, value]) => {
      const n = Buffer.from(name, 'latin1');
      const v = Buffer.from(value, 'latin1');
      return [Buffer.from([0x00]), hpackLength(n.length), n, hpackLength(v.length), v];
    })
  );
}

/** A masked client WebSocket frame (RFC 6455 §5.2) with a zero mask, so payload bytes go out as they are. */
export function maskedFrame(opcode, payload, declaredLength = payload.length) {
  if (declaredLength > 125) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | declaredLength, 0, 0, 0, 0]), payload]);
}

/**
 * Connect to an h2c server, send the preface and empty SETTINGS, collect the server's frames. The server's SETTINGS
 * are acknowledged unless `ack` is false (its limits then are not yet in force, RFC 9113 §6.5.3).
 */
export async function rawH2(port, { ack = true } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const frames = [];
  const waiters = [];
  let buffered = Buffer.alloc(0);
  let closedFlag = false;
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < 9 + length) break;
      const parsed = { type: buffered[3], flags: buffered[4], streamId: buffered.readUInt32BE(5) & 0x7fffffff, payload: buffered.subarray(9, 9 + length) };
      buffered = buffered.subarray(9 + length);
      // ACK the server's SETTINGS so it applies its own (RFC 9113 §6.5.3).
      if (ack && parsed.type === TYPE.SETTINGS && !(parsed.flags & FLAG.ACK)) socket.write(frame(TYPE.SETTINGS, FLAG.ACK, 0));
      frames.push(parsed);
    }
    for (const waiter of waiters.splice(0)) waiter();
  });
  socket.on('close', () => {
    closedFlag = true;
    for (const waiter of waiters.splice(0)) waiter();
  });
  socket.on('error', () => {});
  socket.write(Buffer.concat([PREFACE, frame(TYPE.SETTINGS, 0, 0)]));
  const peer = {
    socket,
    frames,
    get closed() {
      return closedFlag;
    },
    send: (...buffers) => socket.write(Buffer.concat(buffers)),
    /** HEADERS for a stream (END_HEADERS, no END_STREAM: a CONNECT stays open). */
    headers: (streamId, pairs) => socket.write(frame(TYPE.HEADERS, FLAG.END_HEADERS, streamId, headerBlock(pairs))),
    data: (streamId, payload, flags = 0) => socket.write(frame(TYPE.DATA, flags, streamId, payload)),
    rst: (streamId, code) => {
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(code);
      socket.write(frame(TYPE.RST_STREAM, 0, streamId, payload));
    },
    /** Wait (bounded) until `predicate(frames)` holds or the connection closes. */
    async until(predicate, what, ms = 8000) {
      const deadline = Date.now() + ms;
      while (!predicate(frames)) {
        if (closedFlag) throw new Error(`connection closed while waiting for ${what}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    /** What happened to a stream: `{ status }` (first HEADERS), `{ reset: code }`, or undefined so far. */
    outcome(streamId) {
      for (const f of frames) {
        if (f.streamId !== streamId) continue;
        if (f.type === TYPE.HEADERS) return { status: STATIC_STATUS[f.payload[0]] ?? `literal 0x${f.payload[0].toString(16)}` };
        if (f.type === TYPE.RST_STREAM) return { reset: f.payload.readUInt32BE(0) };
      }
      return undefined;
    },
    /** The WebSocket bytes the server sent on a stream (its DATA payloads, concatenated). */
    dataOf: (streamId) => Buffer.concat(frames.filter((f) => f.type === TYPE.DATA && f.streamId === streamId).map((f) => f.payload)),
    close: () => socket.destroy()
  };
  return peer;
}

/** The header list of a valid WebSocket extended CONNECT (RFC 8441 §5), with `[name, value]` pairs replaced/dropped. */
export function connectPairs(path = '/', changes = {}) {
  const base = { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': path, ':authority': 'localhost', 'sec-websocket-version': '13' };
  const merged = { ...base, ...changes };
  return Object.entries(merged).filter(([, value]) => value !== null);
}
