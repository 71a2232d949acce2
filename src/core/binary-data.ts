/** Shapes a finished binary message the way `binaryType` asks (WHATWG WebSocket `binaryType`, plus ws's extras). */
import { Blob } from 'node:buffer';
import type { BinaryType } from './constants';
import { EMPTY_BUFFER } from './constants';

/** What a binary `'message'` carries, per `binaryType`. */
export type BinaryMessage = Buffer | ArrayBuffer | Buffer[] | Blob;

/** One Buffer holding the first `totalLength` bytes of `list` (the seed's `BufferUtil.concat`). */
export function concat(list: readonly Buffer[], totalLength: number): Buffer {
  if (list.length === 0) return EMPTY_BUFFER;
  if (list.length === 1 && list[0].length === totalLength) return list[0];
  const target = Buffer.allocUnsafe(totalLength);
  let offset = 0;
  for (let i = 0; i < list.length && offset < totalLength; i++) {
    const piece = list[i];
    const take = Math.min(piece.length, totalLength - offset);
    piece.copy(target, offset, 0, take);
    offset += take;
  }
  return offset < totalLength ? target.subarray(0, offset) : target;
}

/** The bytes of `buffer` as an ArrayBuffer, without a copy when the Buffer spans its whole backing store. */
export function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) return buffer.buffer as ArrayBuffer;
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

/** Build the `'message'` data for a binary message made of `fragments`. */
export function shapeBinary(fragments: Buffer[], totalLength: number, binaryType: BinaryType): BinaryMessage {
  switch (binaryType) {
    case 'nodebuffer':
      return concat(fragments, totalLength);
    case 'arraybuffer':
      return toArrayBuffer(concat(fragments, totalLength));
    case 'blob':
      return new Blob(fragments);
    case 'fragments':
      return fragments;
  }
}
