// Counts node:zlib raw deflate/inflate streams for the leak tests: a stream is tracked from its first piece of work
// until its 'close' event (when zlib frees the handle), by wrapping the prototypes' _transform once per process.
import zlib from 'node:zlib';

let state = null;

/**
 * Starts tracking (idempotent) and returns the live state: `open` is the set of streams that did work and have
 * not closed yet; `used` counts streams that did work (tests may reset it to 0).
 */
export function trackZlibStreams() {
  if (state !== null) return state;
  state = { open: new Set(), used: 0 };
  const tracked = new WeakSet();
  for (const Stream of [zlib.DeflateRaw, zlib.InflateRaw]) {
    const original = Stream.prototype._transform;
    Stream.prototype._transform = function (...args) {
      if (!tracked.has(this)) {
        tracked.add(this);
        state.used++;
        state.open.add(this);
        this.once('close', () => state.open.delete(this));
      }
      return original.apply(this, args);
    };
  }
  return state;
}
