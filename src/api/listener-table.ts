/**
 * Node's EventEmitter keeps its listeners in a `{ __proto__: null }` literal, which V8 always makes a dictionary
 * (its backing store alone 347 B per idle sockwire socket in a heap snapshot, 187 B in fast mode; bench/RESULTS.md).
 * A WebSocket sees a handful of event names, so an object with the same null prototype that V8
 * keeps in its compact fast mode serves the emitter just as well: the same lookups, the same own keys for
 * `eventNames()`, the same `util.inspect` output.
 */
import type { EventEmitter } from 'node:events';

/** Replace `emitter`'s fresh listener table with a fast-mode one; call right after `super()`, before any listener. */
export function useCompactListenerTable(emitter: EventEmitter): void {
  (emitter as unknown as { _events: object })._events = Object.setPrototypeOf({}, null) as object;
}
