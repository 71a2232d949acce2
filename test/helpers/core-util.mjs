// Shared helpers for the core tests: hex vectors, a seeded PRNG, chunking, and recorders that turn what a frame
// parser reports (ours or ws's) into one comparable list of strings.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The built sockwire core modules and ws's receiver (for differential checks). */
export const { MessageReader } = require('../../dist/cjs/core/message-reader.js');
export const { encodeFrame, writeHeader, headerSize } = require('../../dist/cjs/core/frame.js');
export const { Receiver } = require('../../dist/cjs/api/receiver.js');
export const WsReceiver = require('ws').Receiver;

/** Buffer from hex written with optional spaces: hex('81 05 48'). */
export function hex(text) {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Deterministic PRNG (mulberry32): same seed, same sequence. */
export function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Integer in [min, max]. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    bool: (p = 0.5) => next() < p,
    bytes: (length) => {
      const out = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
      return out;
    }
  };
}

/** Cut `bytes` into pieces at the given offsets (fresh copies, so in-place unmasking cannot leak between runs). */
export function splitAt(bytes, offsets) {
  const pieces = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    pieces.push(Buffer.from(bytes.subarray(start, offset)));
    start = offset;
  }
  return pieces;
}

/** Cut `bytes` into random pieces (1..maxPiece bytes each). */
export function randomChunks(random, bytes, maxPiece) {
  const offsets = [];
  let at = 0;
  for (;;) {
    at += random.int(1, maxPiece);
    if (at >= bytes.length) break;
    offsets.push(at);
  }
  return splitAt(bytes, offsets);
}

/** One byte per piece. */
export function byteChunks(bytes) {
  const pieces = [];
  for (let i = 0; i < bytes.length; i++) pieces.push(Buffer.from([bytes[i]]));
  return pieces;
}

function dataHex(data) {
  if (Array.isArray(data)) return Buffer.concat(data).toString('hex');
  return Buffer.from(data).toString('hex');
}

/** The close status ws hides on its errors under a module-private symbol. */
function wsStatusCode(error) {
  const symbol = Object.getOwnPropertySymbols(error).find((s) => s.description === 'status-code');
  return symbol === undefined ? undefined : error[symbol];
}

/** A ReaderSink that records events as strings, plus `onIdle` calls. */
export function createRecordingSink() {
  const events = [];
  return {
    events,
    failures: [],
    idle: 0,
    onMessage(data, isBinary) {
      events.push(`message:${isBinary ? 'binary' : 'text'}:${dataHex(data)}`);
    },
    onPing(data) {
      events.push(`ping:${data.toString('hex')}`);
    },
    onPong(data) {
      events.push(`pong:${data.toString('hex')}`);
    },
    onClose(code, reason) {
      events.push(`close:${code}:${reason.toString('hex')}`);
    },
    onFailure(failure) {
      this.failures.push(failure);
      const kind = failure.code === 'WS_ERR_INVALID_UTF8' ? 'Error' : 'RangeError';
      events.push(`error:${kind}:${failure.code}:${failure.closeCode}:${failure.message}`);
    },
    onIdle() {
      this.idle++;
    }
  };
}

/** Feed `chunks` to a fresh MessageReader and return the recorded events (synchronous). */
export function runReader(chunks, options) {
  const sink = createRecordingSink();
  const reader = new MessageReader(sink, options);
  for (const chunk of chunks) {
    if (reader.finished) break;
    reader.receive(chunk);
  }
  return { events: sink.events, reader, sink };
}

/**
 * Feed `chunks` to a ws-style Receiver (ws's or ours) and return the recorded events once everything was emitted.
 * Errors become `error:<class>:<code>:<close code>:<message>`, as from {@link createRecordingSink}.
 */
export async function runReceiver(ReceiverClass, chunks, options) {
  const receiver = new ReceiverClass(options);
  const events = [];
  receiver.on('message', (data, isBinary) => events.push(`message:${isBinary ? 'binary' : 'text'}:${dataHex(data)}`));
  receiver.on('ping', (data) => events.push(`ping:${data.toString('hex')}`));
  receiver.on('pong', (data) => events.push(`pong:${data.toString('hex')}`));
  receiver.on('conclude', (code, reason) => events.push(`close:${code}:${reason.toString('hex')}`));
  receiver.on('error', (error) => {
    const closeCode = ReceiverClass === WsReceiver ? wsStatusCode(error) : error.closeCode;
    events.push(`error:${error.constructor.name}:${error.code}:${closeCode}:${error.message}`);
  });
  for (const chunk of chunks) {
    if (receiver.writableEnded || receiver.destroyed) break;
    receiver.write(chunk);
  }
  // Errors travel through the write callback and deferred events (allowSynchronousEvents: false) take one turn
  // each: wait until nothing new arrived for 5 turns (bounded at 2000 turns).
  let quiet = 0;
  for (let turn = 0; turn < 2000 && quiet < 5; turn++) {
    const before = events.length;
    await new Promise((resolve) => setImmediate(resolve));
    quiet = events.length === before ? quiet + 1 : 0;
  }
  receiver.destroy();
  return events;
}
