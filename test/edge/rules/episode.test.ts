import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { createEpisode, holds } from '../../../edge/rules/episode.ts';

/** Steps a fake clock at 1 s and feeds the episode `value(t)` against a threshold of 10 with 20 % hysteresis. */
function run(seconds: number, value: (t: number) => number, o: { minDurationS?: number; clearDurationS?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const start = clock.now();
  let n = 0;
  const ep = createEpisode({ ...o, newEpisode: () => `ep${++n}` });
  const events: string[] = [];
  for (let i = 0; i <= seconds; i++) {
    const t = (clock.now() - start) / 1000;
    const v = value(t);
    const e = ep.update(t, v >= 10, holds(v, 10, 0.2));
    if (e) events.push(`${e.type}@${e.t}:${e.episode}:since${e.since}`);
    clock.advance(1000);
  }
  return { events, ep };
}

describe('episode', () => {
  it('raises after the minimum duration and clears after the clear duration, in one episode', () => {
    const { events } = run(30, (t) => (t >= 5 && t < 15 ? 12 : 2), { minDurationS: 3, clearDurationS: 4 });
    expect(events).toEqual(['raised@8:ep1:since5', 'cleared@19:ep1:since5']);
  });

  it('does not raise on a blip shorter than the minimum duration', () => {
    expect(run(30, (t) => (t >= 5 && t < 7 ? 12 : 2), { minDurationS: 3 }).events).toEqual([]);
  });

  it('holds through values between the clear level and the threshold (hysteresis), and flaps on none', () => {
    // 12 raises; 9 (above 10 × 0.8) holds; 7 clears.
    const { events } = run(40, (t) => (t < 5 ? 2 : t < 10 ? 12 : t < 25 ? (t % 2 ? 9 : 11) : 7), { minDurationS: 2, clearDurationS: 3 });
    expect(events).toEqual(['raised@7:ep1:since5', 'cleared@28:ep1:since5']);
  });

  it('opens a new episode for a new raise', () => {
    const { events } = run(40, (t) => ((t >= 2 && t < 6) || (t >= 20 && t < 24) ? 12 : 0), { minDurationS: 1, clearDurationS: 1 });
    expect(events).toEqual(['raised@3:ep1:since2', 'cleared@7:ep1:since2', 'raised@21:ep2:since20', 'cleared@25:ep2:since20']);
  });

  it('raises and clears at once on events, and only once', () => {
    let n = 0;
    const ep = createEpisode({ newEpisode: () => `e${++n}` });
    expect(ep.raiseNow(5, 3)).toEqual({ type: 'raised', episode: 'e1', t: 5, since: 3 });
    expect(ep.raiseNow(6)).toBeNull();
    expect(ep).toMatchObject({ open: true, episode: 'e1', raisedAt: 5, since: 3 });
    expect(ep.clearNow(9)).toEqual({ type: 'cleared', episode: 'e1', t: 9, since: 3 });
    expect(ep.clearNow(10)).toBeNull();
    expect(ep).toMatchObject({ open: false, episode: null, raisedAt: null });
  });

  it('refuses negative durations', () => {
    expect(() => createEpisode({ minDurationS: -1, newEpisode: () => 'x' })).toThrow(/minDurationS/);
  });
});
