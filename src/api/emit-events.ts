/**
 * The reader's sink methods that only re-emit, shared by `WebSocket` and `Receiver` (installed on their prototypes,
 * `this` is the emitter).
 */
import type { EventEmitter } from 'node:events';
import type { BinaryMessage } from '../core/binary-data';

const EMITTERS = { onMessage: emitMessage, onPing: emitPing, onPong: emitPong } as const;

/** Install `names` (default: `onMessage`/`onPing`/`onPong`) on a prototype, non-enumerable like class methods. */
export function installEmitters(proto: object, names: ReadonlyArray<keyof typeof EMITTERS> = ['onMessage', 'onPing', 'onPong']): void {
  for (const name of names) {
    Object.defineProperty(proto, name, { value: EMITTERS[name], writable: true, configurable: true, enumerable: false });
  }
}

/** `'message'(data, isBinary)`. */
function emitMessage(this: EventEmitter, data: BinaryMessage, isBinary: boolean): void {
  this.emit('message', data, isBinary);
}

/** `'ping'(data)`. */
function emitPing(this: EventEmitter, data: Buffer): void {
  this.emit('ping', data);
}

/** `'pong'(data)`. */
function emitPong(this: EventEmitter, data: Buffer): void {
  this.emit('pong', data);
}
