// The timer wheel behind heartbeats: entries fire in deadline order, once, after at least their delay (rounded to
// ticks); cancelled entries never fire; delays longer than one turn use rounds; the clock never goes backwards.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { withTimeout } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { TimerWheel, inputClock, advanceClock } = require('../../dist/cjs/io/timer-wheel.js');

function entry(name, fired) {
  return { wheelSlot: -1, wheelRounds: 0, onWheelTimer: (now) => fired.push([name, now]) };
}

test('entries fire in deadline order, once; cancel works; long delays wrap with rounds', { timeout: 5000 }, async () => {
  // 10 ms ticks, 4 slots: 100 ms needs extra turns of the wheel.
  const wheel = new TimerWheel(10, 30);
  const fired = [];
  const start = advanceClock();
  const late = entry('late', fired);
  const early = entry('early', fired);
  const middle = entry('middle', fired);
  const cancelled = entry('cancelled', fired);
  wheel.schedule(late, 100);
  wheel.schedule(early, 10);
  wheel.schedule(middle, 45);
  wheel.schedule(cancelled, 20);
  wheel.cancel(cancelled);
  assert.equal(wheel.pending, 3);
  assert.equal(cancelled.wheelSlot, -1);
  await withTimeout(
    new Promise((resolve) => {
      const poll = setInterval(() => wheel.pending === 0 && (clearInterval(poll), resolve()), 5);
    }),
    'wheel drained',
  );
  assert.deepEqual(fired.map(([name]) => name), ['early', 'middle', 'late']);
  const delays = Object.fromEntries(fired.map(([name, now]) => [name, now - start]));
  assert.ok(delays.early >= 10 && delays.middle >= 40 && delays.late >= 100, JSON.stringify(delays));
  for (let i = 1; i < fired.length; i++) assert.ok(fired[i][1] > fired[i - 1][1]);
  assert.ok(inputClock.now >= fired.at(-1)[1]);
});

test('rescheduling moves an entry instead of adding it twice; clear() drops everything', () => {
  const wheel = new TimerWheel(1000, 5000);
  const fired = [];
  const a = entry('a', fired);
  wheel.schedule(a, 1000);
  wheel.schedule(a, 3000);
  assert.equal(wheel.pending, 1);
  wheel.schedule(entry('b', fired), 2000);
  wheel.clear();
  assert.equal(wheel.pending, 0);
  assert.equal(a.wheelSlot, -1);
  assert.deepEqual(fired, []);
});
