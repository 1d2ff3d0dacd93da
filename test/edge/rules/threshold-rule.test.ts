import { describe, it, expect } from 'vitest';
import { createThresholdRule, type RuleEvent } from '../../../edge/rules/threshold-rule.ts';

function rule(extra: Partial<Parameters<typeof createThresholdRule>[0]> = {}) {
  let n = 0;
  return createThresholdRule({
    thresholds: [{ metric: 'density', warning: 2, critical: 4 }],
    hysteresis: 0.15, minDurationS: 5, clearDurationS: 10,
    newEpisode: () => `ep${++n}`,
    ...extra,
  });
}

/** Feeds one sample per second from a list of values; returns the events with their times. */
function feed(r: ReturnType<typeof rule>, values: number[], metric = 'density', start = 0): RuleEvent[] {
  return values.flatMap((v, i) => r.update(start + i, { [metric]: v }));
}

describe('threshold rule', () => {
  it('raises only after the minimum duration', () => {
    const r = rule();
    const ev = feed(r, [1, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'raised', level: 'warning', episode: 'ep1', t: 6, metric: 'density', threshold: 2 });
  });

  it('does not raise on a spike shorter than the minimum duration', () => {
    const r = rule();
    expect(feed(r, [1, 3, 3, 3, 1, 3, 3, 1, 1])).toEqual([]);
  });

  it('does not flap while the value hovers between the clear level and the threshold', () => {
    const r = rule();
    const hover = Array.from({ length: 60 }, (_, i) => (i % 2 ? 2.1 : 1.75)); // 1.75 > 2×0.85 = 1.7
    const ev = feed(r, [2.5, 2.5, 2.5, 2.5, 2.5, 2.5, ...hover]);
    expect(ev.map((e) => e.type)).toEqual(['raised']);
  });

  it('clears after the clear duration below the hysteresis level, in the same episode', () => {
    const r = rule();
    const ev = feed(r, [...Array(6).fill(2.5), ...Array(12).fill(1.0)]);
    expect(ev.map((e) => e.type)).toEqual(['raised', 'cleared']);
    expect(ev[1]).toMatchObject({ episode: ev[0]!.episode, t: 16, level: 'warning' });
    expect(r.state).toEqual({ level: null, episode: null });
  });

  it('a short dip below the clear level does not clear', () => {
    const r = rule();
    const ev = feed(r, [...Array(6).fill(2.5), ...Array(5).fill(1.0), ...Array(20).fill(2.5)]);
    expect(ev.map((e) => e.type)).toEqual(['raised']);
  });

  it('escalates warning → critical in the same episode and clears once', () => {
    const r = rule();
    const ev = feed(r, [...Array(8).fill(2.5), ...Array(8).fill(5), ...Array(15).fill(0.5)]);
    expect(ev.map((e) => [e.type, e.level])).toEqual([['raised', 'warning'], ['raised', 'critical'], ['cleared', 'critical']]);
    expect(new Set(ev.map((e) => e.episode)).size).toBe(1);
    expect(ev[1]).toMatchObject({ escalation: true, threshold: 4 });
  });

  it('eases back to warning quietly, and a second surge to critical raises again in the same episode', () => {
    const r = rule();
    const ev = feed(r, [...Array(7).fill(5), ...Array(12).fill(2.5), ...Array(7).fill(5), ...Array(12).fill(0)]);
    expect(ev.map((e) => `${e.type}:${e.level}`)).toEqual(['raised:critical', 'raised:critical', 'cleared:critical']);
    expect(new Set(ev.map((e) => e.episode)).size).toBe(1);
    expect(ev[1]).toMatchObject({ escalation: true });
  });

  it('jumps straight to critical when critical holds from the start', () => {
    const r = rule();
    const ev = feed(r, Array(8).fill(5));
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'raised', level: 'critical', escalation: false });
  });

  it('a new occurrence after a clear gets a new episode', () => {
    const r = rule();
    const ev = feed(r, [...Array(6).fill(3), ...Array(12).fill(0), ...Array(6).fill(3)]);
    expect(ev.map((e) => `${e.type}:${e.episode}`)).toEqual(['raised:ep1', 'cleared:ep1', 'raised:ep2']);
  });

  it('count thresholds raise alongside density ones', () => {
    const r = rule({ thresholds: [{ metric: 'density', warning: 2, critical: 4 }, { metric: 'count', warning: 50 }] });
    const ev = [...Array(7)].flatMap((_, i) => r.update(i, { density: 0.5, count: 60 }));
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ level: 'warning', metric: 'count', threshold: 50, value: 60 });
  });

  it('flush clears an open episode and is a no-op otherwise', () => {
    const r = rule();
    expect(r.flush(0)).toEqual([]);
    feed(r, Array(7).fill(2.5));
    expect(r.flush(9)).toEqual([{ type: 'cleared', level: 'warning', episode: 'ep1', t: 9 }]);
    expect(r.flush(10)).toEqual([]);
  });

  it('minimum duration 0 raises on the first sample; bad options are refused by name', () => {
    const r = rule({ minDurationS: 0 });
    expect(r.update(0, { density: 2 })).toHaveLength(1);
    expect(() => rule({ hysteresis: 1 })).toThrow(/hysteresis/);
    expect(() => rule({ thresholds: [{ metric: 'density' }] })).toThrow(/thresholds/);
  });
});
