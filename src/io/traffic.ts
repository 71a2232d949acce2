/**
 * Traffic counting at the transport: the few integers a connection adds to while it reads and writes, when its owner
 * gave it counters (a server's, through its hub). The connection only holds a pointer; the counters are shared by
 * every connection of one server, so counting costs an increment per chunk, message and frame, nothing per socket.
 */
import type { BinaryMessage } from '../core/binary-data';

/** Totals one server keeps for all its connections (implemented by `features/counters`). */
export interface TrafficCounters {
  /** Complete messages received (a fragmented message counts once). */
  messagesIn: number;
  /** Complete messages sent (a fragmented message counts once, at its final fragment). */
  messagesOut: number;
  /** Message payload bytes received, after inflating (RFC 7692). */
  payloadBytesIn: number;
  /** Message payload bytes sent, before deflating. */
  payloadBytesOut: number;
  /** Bytes read from the transport after the upgrade: frame headers and (possibly compressed) payloads. */
  wireBytesIn: number;
  /** Frame bytes written to the transport: data, control and close frames, headers included. */
  wireBytesOut: number;
}

/** Payload size of a delivered message, whatever its `binaryType` shape. */
export function messageByteLength(data: BinaryMessage): number {
  if (Array.isArray(data)) {
    let total = 0;
    for (const fragment of data) total += fragment.length;
    return total;
  }
  // Buffer and ArrayBuffer have byteLength; a Blob has size.
  const bytes = (data as { byteLength?: number }).byteLength;
  return bytes !== undefined ? bytes : (data as { size: number }).size;
}
