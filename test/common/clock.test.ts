import { describe, it, expect } from 'vitest';
import { FakeClock } from '../../common/clock.ts';

describe('FakeClock', () => {
  it('fires timers in time order and supports cancel and intervals', () => {
    const c = new FakeClock(0);
    const fired: string[] = [];
    c.setTimeout(() => fired.push('b@200'), 200);
    const t = c.setTimeout(() => fired.push('never'), 150);
    c.setTimeout(() => fired.push('a@100'), 100);
    const i = c.setInterval(() => fired.push(`tick@${c.now()}`), 120);
    t.cancel();
    c.advance(250);
    expect(fired).toEqual(['a@100', 'tick@120', 'b@200', 'tick@240']);
    i.cancel();
    c.advance(1000);
    expect(c.pending).toBe(0);
    expect(c.now()).toBe(1250);
  });
});
