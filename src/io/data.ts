/** Normalising what `send()` accepts into bytes (ws accepts strings, Buffers, ArrayBuffers, views and Blobs). */
import { Blob } from 'node:buffer';

/** Anything `send()`, `ping()` and `pong()` accept. */
// `readonly unknown[]` as in @types/ws's BufferLike, so that `ws.send(data)` type-checks with `data: RawData`.
export type SendData = string | Buffer | ArrayBuffer | SharedArrayBuffer | ArrayBufferView | Blob | readonly unknown[];

/** True for a `Blob` (Node's, or one from another realm that looks like it). */
export function isBlob(value: unknown): value is Blob {
  return (
    value instanceof Blob ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Blob).arrayBuffer === 'function' &&
      typeof (value as Blob).size === 'number' &&
      (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Blob')
  );
}

/** Bytes of `data` and whether they belong to the caller (then masking must not write over them). */
export function toBytes(data: Exclude<SendData, Blob>): { bytes: Buffer; readOnly: boolean } {
  if (typeof data === 'string') return { bytes: Buffer.from(data), readOnly: false };
  if (Buffer.isBuffer(data)) return { bytes: data, readOnly: true };
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) {
    return { bytes: Buffer.from(data), readOnly: true };
  }
  if (ArrayBuffer.isView(data)) {
    return { bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength), readOnly: true };
  }
  return { bytes: Buffer.from(data as number[]), readOnly: false };
}

/** Byte length of `data` without converting it (for `bufferedAmount`). */
export function byteLengthOf(data: SendData): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (isBlob(data)) return data.size;
  return toBytes(data).bytes.length;
}
