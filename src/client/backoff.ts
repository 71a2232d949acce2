/**
 * When to try again: exponential backoff with full jitter, the first retry of a failure streak randomised on its own
 * (RFC 6455 §7.2.3), and the server's `Retry-After` (RFC 9110 §10.2.3). Pure functions over resolved options.
 */

/** Backoff settings, all in milliseconds except `factor`. */
export interface BackoffSettings {
  /** Smallest delay of the backoff (every retry after the first waits at least this long). */
  minDelay: number;
  /** Largest delay of the backoff. */
  maxDelay: number;
  /** Growth of the delay ceiling per failure. */
  factor: number;
  /** The first retry after a stable connection (or at start) waits a random 0–`initialJitter` ms. */
  initialJitter: number;
}

/** Node timers overflow past 2^31 − 1 ms (and then fire at once): no delay may exceed it. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * Delay before the retry that follows failure number `failures` of a streak (1 = the first failure). The first
 * retry waits `random() × initialJitter`; later ones a uniform random time between `minDelay` and the ceiling
 * `min(maxDelay, minDelay × factor^(failures − 1))` ("full jitter" above a floor, so a failing server never sees a
 * tight loop and a fleet of clients spreads out).
 */
export function backoffDelay(failures: number, settings: BackoffSettings, random: () => number = Math.random): number {
  if (failures <= 1) return random() * settings.initialJitter;
  const ceiling = Math.min(settings.maxDelay, settings.minDelay * settings.factor ** (failures - 1));
  return settings.minDelay + random() * Math.max(0, ceiling - settings.minDelay);
}

/**
 * `Retry-After` in milliseconds from now (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), or undefined when the
 * header is absent or malformed. Clamped to what a timer can wait.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  let delay: number;
  if (/^\d+$/.test(text)) delay = Number(text) * 1000;
  else {
    // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name; Date.parse alone takes "-5".
    const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(date)) return undefined;
    delay = Math.max(0, date - now);
  }
  return Math.min(delay, MAX_TIMER_DELAY);
}

/** Throw a RangeError unless the settings describe a usable backoff. */
export function validateBackoff(settings: BackoffSettings): void {
  for (const name of ['minDelay', 'maxDelay', 'initialJitter'] as const) {
    const value = settings[name];
    if (typeof value !== 'number' || !(value >= 0) || value > MAX_TIMER_DELAY) {
      throw new RangeError(`The "${name}" option must be a number of milliseconds from 0 to ${MAX_TIMER_DELAY}`);
    }
  }
  if (settings.maxDelay < settings.minDelay) throw new RangeError('The "maxDelay" option must not be below "minDelay"');
  if (typeof settings.factor !== 'number' || !(settings.factor >= 1) || !Number.isFinite(settings.factor)) {
    throw new RangeError('The "factor" option must be a finite number of at least 1');
  }
}
