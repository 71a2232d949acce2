// The backoff arithmetic and Retry-After parsing (RFC 9110 §10.2.3), with a fixed `random` so values are exact.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { backoffDelay, parseRetryAfter, MAX_TIMER_DELAY } = createRequire(import.meta.url)('../../dist/cjs/client/backoff.js');
const settings = { minDelay: 1000, maxDelay: 30000, factor: 2, initialJitter: 5000 };

test('first retry: 0–initialJitter; later ones: minDelay to the capped exponential ceiling', () => {
  assert.equal(backoffDelay(1, settings, () => 0.5), 2500);
  assert.equal(backoffDelay(1, { ...settings, initialJitter: 0 }, () => 0.99), 0);
  // Failure n: uniform in [1000, min(30000, 1000 × 2^(n−1))].
  assert.deepEqual([2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, settings, () => 1)), [2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.deepEqual([2, 5, 9].map((n) => backoffDelay(n, settings, () => 0)), [1000, 1000, 1000]);
  assert.equal(backoffDelay(3, settings, () => 0.5), 2500);
  assert.equal(backoffDelay(4, { ...settings, factor: 1 }, () => 1), 1000);
});

test('Retry-After: delta-seconds, HTTP-date, junk, and the timer limit', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('120', now), 120000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('', now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter('99999999999', now), MAX_TIMER_DELAY);
});
