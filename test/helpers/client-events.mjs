// Small event helpers for client tests: every wait is bounded, so a missing event fails the test instead of hanging.

/** Resolves with the arguments of the next `event` on `emitter`; rejects after `ms`. */
export function once(emitter, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
    }, ms);
    const listener = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, listener);
  });
}

/**
 * Records the listed events of `emitter` in order as `[name, ...args]`. `done` resolves when `until` (default
 * 'close') has fired, or rejects after `ms`.
 */
export function record(emitter, names, { until = 'close', ms = 3000 } = {}) {
  const log = [];
  let finish;
  let fail;
  const done = new Promise((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms; saw ${JSON.stringify(eventNames(log))}`)), ms);
  for (const name of names) {
    emitter.on(name, (...args) => {
      log.push([name, ...args]);
      if (name === until) {
        clearTimeout(timer);
        // Let a listener that fires right after (a bug we want to catch) land in the log first.
        setImmediate(() => finish(log));
      }
    });
  }
  return { log, done };
}

/** Only the event names of a log from `record`. */
export function eventNames(log) {
  return log.map((entry) => entry[0]);
}

/** Rejects after `ms` unless `promise` settles first. */
export function within(promise, ms, label = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${label} did not finish within ${ms} ms`)), ms);
    })
  ]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` (used only to let a negative outcome have a chance to happen, never to assert speed). */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
