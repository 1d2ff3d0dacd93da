import { describe, expect, it } from 'vitest';
import { TransitionError } from '../../../common/errors.ts';
import { INCIDENT_STATUSES } from '../../../hub/store/schema.ts';
import { assertTransition, canTransition, GATHERING, TRANSITIONS } from '../../../hub/incidents/lifecycle.ts';
import { bumpSeverity, maxSeverity } from '../../../hub/incidents/severity.ts';

describe('incident lifecycle', () => {
  it('follows the main line open → … → closed', () => {
    const line = ['open', 'acknowledged', 'dispatched', 'on_scene', 'resolved', 'closed'] as const;
    for (let i = 0; i + 1 < line.length; i++) expect(canTransition(line[i]!, line[i + 1]!)).toBe(true);
  });
  it('puts false_alarm and cancelled beside it, before resolution, both closing', () => {
    for (const from of ['open', 'acknowledged', 'dispatched', 'on_scene'] as const) {
      expect(canTransition(from, 'false_alarm')).toBe(true);
      expect(canTransition(from, 'cancelled')).toBe(true);
    }
    expect(canTransition('resolved', 'false_alarm')).toBe(false);
    expect(canTransition('false_alarm', 'closed')).toBe(true);
    expect(canTransition('cancelled', 'closed')).toBe(true);
  });
  it('lets nothing out of closed and nothing back to open', () => {
    for (const to of INCIDENT_STATUSES) expect(canTransition('closed', to)).toBe(false);
    for (const from of INCIDENT_STATUSES) expect(canTransition(from, 'open')).toBe(false);
  });
  it('refuses a wrong move with a TransitionError that says what is allowed', () => {
    expect(() => assertTransition('open', 'resolved')).toThrow(TransitionError);
    try { assertTransition('open', 'resolved'); } catch (e) {
      const err = e as TransitionError;
      expect([err.from, err.to]).toEqual(['open', 'resolved']);
      expect(err.message).toBe('incident cannot go from open to resolved; from open it may go to acknowledged, dispatched, false_alarm, cancelled');
    }
    expect(() => assertTransition('closed', 'open')).toThrow(/nothing \(final\)/);
  });
  it('gathers alarms only while the incident is live', () => {
    expect([...GATHERING].sort()).toEqual(['acknowledged', 'dispatched', 'on_scene', 'open']);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...INCIDENT_STATUSES].sort());
  });
  it('ranks severities', () => {
    expect(maxSeverity('warning', 'critical')).toBe('critical');
    expect(maxSeverity('warning', 'info')).toBe('warning');
    expect(bumpSeverity('info')).toBe('warning');
    expect(bumpSeverity('critical')).toBe('critical');
  });
});
