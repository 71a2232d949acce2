/**
 * A hashed timer wheel: one interval timer drives any number of coarse per-connection deadlines (heartbeats), so a
 * server with 100,000 sockets arms one Node timer instead of 100,000. Precision is one tick.
 */

/** Something the wheel can fire. The wheel owns the `wheel*` fields; the entry implements `onWheelTimer`. */
export interface WheelEntry {
  /** Slot index while scheduled, -1 otherwise. */
  wheelSlot: number;
  /** Full turns of the wheel still to wait before firing. */
  wheelRounds: number;
  /** Called once the deadline passed; `now` is {@link inputClock}'s value for this tick. */
  onWheelTimer(now: number): void;
}

/**
 * A process-wide coarse clock (ms), advanced by every running wheel at each tick and never moving backwards. Cheap
 * to read in hot paths: connections stamp their last input with it instead of calling `Date.now()` per chunk.
 */
export const inputClock = { now: 0 };

/** Clock values count from here so they stay small integers (V8 stores them unboxed for ~12 days). */
const CLOCK_ORIGIN = Date.now();

/** Advance {@link inputClock} and return it; strictly increasing so a stamp taken before a tick is always older. */
export function advanceClock(): number {
  const now = Date.now() - CLOCK_ORIGIN;
  inputClock.now = now > inputClock.now ? now : inputClock.now + 1;
  return inputClock.now;
}

/** One wheel: `slotCount` slots of `tickMs` each. */
export class TimerWheel {
  readonly tickMs: number;
  private readonly slots: Array<Set<WheelEntry>>;
  private cursor = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Wall-clock time of the slot under the cursor; ticks catch up from it when the event loop was late. */
  private cursorTime = 0;

  /** `horizonMs` is the longest delay expected; longer delays still work, using extra rounds. */
  constructor(tickMs: number, horizonMs: number) {
    this.tickMs = Math.max(1, Math.floor(tickMs));
    const count = Math.max(2, Math.ceil(horizonMs / this.tickMs) + 1);
    this.slots = Array.from({ length: count }, () => new Set<WheelEntry>());
  }

  /** Number of scheduled entries. */
  get pending(): number {
    return this.size;
  }

  /** Fire `entry` after `delayMs` (rounded up to whole ticks, at least one). Reschedules if already scheduled. */
  schedule(entry: WheelEntry, delayMs: number): void {
    if (entry.wheelSlot !== -1) this.cancel(entry);
    if (this.timer === undefined) this.start();
    const ticks = Math.max(1, Math.ceil(delayMs / this.tickMs));
    const count = this.slots.length;
    const slot = (this.cursor + ticks) % count;
    entry.wheelSlot = slot;
    entry.wheelRounds = Math.floor((ticks - 1) / count);
    this.slots[slot].add(entry);
    this.size++;
  }

  /** Forget `entry` (no-op when it is not scheduled). */
  cancel(entry: WheelEntry): void {
    const slot = entry.wheelSlot;
    if (slot === -1) return;
    entry.wheelSlot = -1;
    if (this.slots[slot].delete(entry)) this.size--;
    if (this.size === 0) this.stop();
  }

  /** Stop the timer and drop every entry. */
  clear(): void {
    for (const slot of this.slots) {
      for (const entry of slot) entry.wheelSlot = -1;
      slot.clear();
    }
    this.size = 0;
    this.stop();
  }

  private start(): void {
    this.cursorTime = advanceClock();
    this.timer = setInterval(onInterval, this.tickMs, this);
    // The wheel never keeps the process alive on its own: sockets and servers do that.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** @internal Advance over every slot whose time has come (several if the loop was blocked). */
  advance(): void {
    const now = advanceClock();
    const count = this.slots.length;
    let steps = Math.floor((now - this.cursorTime) / this.tickMs);
    // Never spin more than one full turn: beyond that every slot was visited anyway.
    if (steps > count) {
      this.cursorTime += (steps - count) * this.tickMs;
      steps = count;
    }
    for (let i = 0; i < steps && this.timer !== undefined; i++) {
      this.cursor = (this.cursor + 1) % count;
      this.cursorTime += this.tickMs;
      this.fireSlot(this.slots[this.cursor], now);
    }
  }

  private fireSlot(slot: Set<WheelEntry>, now: number): void {
    if (slot.size === 0) return;
    // Collect first: callbacks reschedule, possibly into this very slot with more rounds.
    const due: WheelEntry[] = [];
    for (const entry of slot) {
      if (entry.wheelRounds > 0) entry.wheelRounds--;
      else due.push(entry);
    }
    for (const entry of due) {
      slot.delete(entry);
      entry.wheelSlot = -1;
      this.size--;
    }
    for (const entry of due) entry.onWheelTimer(now);
    if (this.size === 0) this.stop();
  }
}

function onInterval(wheel: TimerWheel): void {
  wheel.advance();
}
