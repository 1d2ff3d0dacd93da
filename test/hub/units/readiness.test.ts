import { describe, expect, it } from 'vitest';
import { assessReadiness, currentShift, type ReadinessSubject } from '../../../hub/units/readiness.ts';
import { monthBounds, zonedToEpoch, addMonths } from '../../../hub/units/zoned-time.ts';

const members = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `m${i + 1}`, name: `M${i + 1}` }));
const unit = (over: Partial<ReadinessSubject> = {}): ReadinessSubject => ({
  members: members(5),
  roster: [
    { name: 'day', start: '07:00', end: '19:00', onDuty: ['m1', 'm2', 'm3'], leader: 'm1' },
    { name: 'night', start: '19:00', end: '07:00', onDuty: ['m4', 'm5', 'm1'], leader: 'm4' },
  ],
  ...over,
});
const at = (iso: string) => Date.parse(iso);

describe('unit readiness', () => {
  it('is ready with 5 members and 3 on duty including the duty leader', () => {
    const r = assessReadiness(unit(), at('2026-03-02T10:00:00Z'), 'UTC');
    expect(r).toMatchObject({ ready: true, shift: 'day', members: 5, onDuty: 3, leader: 'm1', reasons: [] });
  });

  it('needs at least 5 members', () => {
    const r = assessReadiness(unit({ members: members(4) }), at('2026-03-02T10:00:00Z'), 'UTC');
    expect(r.ready).toBe(false);
    expect(r.reasons).toContain('has 4 members, needs at least 5');
  });

  it('needs 3 members on duty; people who are not members do not count', () => {
    const r = assessReadiness(unit({ roster: [{ name: 'day', start: '00:00', end: '00:00', onDuty: ['m1', 'm2', 'stranger'], leader: 'm1' }] }), at('2026-03-02T10:00:00Z'), 'UTC');
    expect(r).toMatchObject({ ready: false, onDuty: 2 });
    expect(r.reasons[0]).toMatch(/2 members on duty in shift day, needs at least 3/);
  });

  it('needs the named leader on duty', () => {
    const r = assessReadiness(unit({ roster: [{ name: 'day', start: '00:00', end: '00:00', onDuty: ['m1', 'm2', 'm3'], leader: 'm5' }] }), at('2026-03-02T10:00:00Z'), 'UTC');
    expect(r.ready).toBe(false);
    expect(r.reasons).toContain('duty leader m5 is not on duty in shift day');
  });

  it('takes the shift at the clock time in the site time zone, across midnight', () => {
    expect(currentShift(unit().roster, at('2026-03-02T23:30:00Z'), 'UTC')!.name).toBe('night');
    expect(currentShift(unit().roster, at('2026-03-02T03:00:00Z'), 'UTC')!.name).toBe('night');
    // 06:30 UTC is 07:30 in Paris (winter): the day shift.
    expect(currentShift(unit().roster, at('2026-01-15T06:30:00Z'), 'Europe/Paris')!.name).toBe('day');
    expect(assessReadiness(unit(), at('2026-01-15T18:30:00Z'), 'Europe/Paris')).toMatchObject({ shift: 'night', leader: 'm4', ready: true });
  });

  it('is not ready when no shift covers the time', () => {
    const r = assessReadiness(unit({ roster: [{ name: 'day', start: '08:00', end: '16:00', onDuty: ['m1', 'm2', 'm3'], leader: 'm1' }] }), at('2026-03-02T20:00:00Z'), 'UTC');
    expect(r).toMatchObject({ ready: false, shift: null });
    expect(r.reasons).toContain('no roster shift covers the current time');
  });
});

describe('zoned time helpers', () => {
  it('finds local month bounds and wall times across DST', () => {
    const b = monthBounds(at('2026-03-15T12:00:00Z'), 'Europe/Paris');
    expect(new Date(b.start).toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(new Date(b.end).toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect(b.key).toBe('2026-03');
    expect(new Date(zonedToEpoch(2026, 7, 1, 9, 0, 'Europe/Paris')).toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(new Date(addMonths(at('2026-08-31T10:00:00Z'), 6)).toISOString()).toBe('2027-02-28T10:00:00.000Z');
  });
});
