/**
 * Time as a seam: timers in the watchdog, rules, dispatch escalation and the
 * drill scheduler all take a Clock so that tests can drive them with a fake one.
 */
export interface TimerHandle { cancel(): void }

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) { const t = setTimeout(fn, ms); return { cancel: () => clearTimeout(t) }; },
  setInterval(fn, ms) { const t = setInterval(fn, ms); return { cancel: () => clearInterval(t) }; },
};

/**
 * Real time, read as if it had started at `startAt`: timers fire after real
 * delays, but every instant the code reads (rosters, shifts, deadlines) sits
 * where a test put it, so a test that depends on the shift passes at any hour.
 */
export function anchoredClock(startAt: number, base: Clock = systemClock): Clock {
  const offset = startAt - base.now();
  return {
    now: () => base.now() + offset,
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    setInterval: (fn, ms) => base.setInterval(fn, ms),
  };
}

interface FakeTimer { id: number; at: number; every: number | null; fn: () => void }

/** A manual clock: `advance(ms)` fires due timers in time order. */
export class FakeClock implements Clock {
  #now: number;
  #timers: FakeTimer[] = [];
  #seq = 0;
  constructor(start = Date.UTC(2026, 0, 1)) { this.#now = start; }
  now(): number { return this.#now; }
  setTimeout(fn: () => void, ms: number): TimerHandle { return this.#add(fn, ms, null); }
  setInterval(fn: () => void, ms: number): TimerHandle { return this.#add(fn, ms, Math.max(1, ms)); }
  get pending(): number { return this.#timers.length; }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#now = next.at;
      if (next.every === null) this.#timers.shift();
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }
  #add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer: FakeTimer = { id: ++this.#seq, at: this.#now + Math.max(0, ms), every, fn };
    this.#timers.push(timer);
    return { cancel: () => { this.#timers = this.#timers.filter((t) => t !== timer); } };
  }
}
