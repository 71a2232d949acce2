/**
 * The pub/sub envelope: what one server sends the others for one `wss.publish()`. A 16-byte header, then the
 * payload bytes as they are (binary on the broker: never base64 or JSON).
 *
 * ```text
 * offset size
 *  0      1   version (1)
 *  1      1   flags: bit 0 binary (else text), bit 1 compress allowed
 *  2      6   origin server id (48 random bits), big-endian
 *  8      8   sequence number of this message on this topic from this origin (1, 2, ...), big-endian
 * 16      -   payload
 * ```
 */
import { randomBytes } from 'node:crypto';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_BYTES = 16;
const FLAG_BINARY = 1;
const FLAG_COMPRESS = 2;
const TWO_POW_32 = 0x100000000;

/** A decoded envelope; `payload` is a view into the received buffer. */
export interface Envelope {
  origin: number;
  sequence: number;
  binary: boolean;
  compress: boolean;
  payload: Buffer;
}

/** A fresh server id: 48 random bits (collisions are negligible for any realistic number of servers). */
export function createNodeId(): number {
  return randomBytes(6).readUIntBE(0, 6);
}

/** The id as events and logs show it: 12 hex digits. */
export function formatNodeId(id: number): string {
  return id.toString(16).padStart(12, '0');
}

/** Build the envelope for one message (one copy of the payload). */
export function encodeEnvelope(origin: number, sequence: number, binary: boolean, compress: boolean, payload: Buffer): Buffer {
  const envelope = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + payload.length);
  envelope[0] = ENVELOPE_VERSION;
  envelope[1] = (binary ? FLAG_BINARY : 0) | (compress ? FLAG_COMPRESS : 0);
  envelope.writeUIntBE(origin, 2, 6);
  envelope.writeUInt32BE(Math.floor(sequence / TWO_POW_32), 8);
  envelope.writeUInt32BE(sequence >>> 0, 12);
  payload.copy(envelope, ENVELOPE_HEADER_BYTES);
  return envelope;
}

/** Decode an envelope, or return null when it is not one this version understands. */
export function decodeEnvelope(envelope: Buffer): Envelope | null {
  if (envelope.length < ENVELOPE_HEADER_BYTES || envelope[0] !== ENVELOPE_VERSION) return null;
  const flags = envelope[1];
  const high = envelope.readUInt32BE(8);
  if (high >= 0x200000) return null; // beyond 2^53: not a sequence we could have written
  return {
    origin: envelope.readUIntBE(2, 6),
    sequence: high * TWO_POW_32 + envelope.readUInt32BE(12),
    binary: (flags & FLAG_BINARY) !== 0,
    compress: (flags & FLAG_COMPRESS) !== 0,
    payload: envelope.subarray(ENVELOPE_HEADER_BYTES)
  };
}
