import { TransitionError } from '../../common/errors.ts';
import type { IncidentStatus } from '../store/schema.ts';

/**
 * open → acknowledged → dispatched → on_scene → resolved → closed, with
 * false_alarm and cancelled beside the main line. Dispatch may come straight
 * from open (automatic nearest-unit dispatch), and a dispatch that every unit
 * declines falls back to acknowledged. An acknowledged incident that needed no
 * unit (a camera fault fixed, every alarm cleared) may be resolved directly.
 */
export const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = Object.freeze({
  open: ['acknowledged', 'dispatched', 'false_alarm', 'cancelled'],
  acknowledged: ['dispatched', 'resolved', 'false_alarm', 'cancelled'],
  dispatched: ['on_scene', 'acknowledged', 'false_alarm', 'cancelled'],
  on_scene: ['resolved', 'false_alarm', 'cancelled'],
  resolved: ['closed'],
  false_alarm: ['closed'],
  cancelled: ['closed'],
  closed: [],
});

/** Statuses in which new alarms still join the incident. */
export const GATHERING: ReadonlySet<IncidentStatus> = new Set(['open', 'acknowledged', 'dispatched', 'on_scene']);

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

export function assertTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (!canTransition(from, to)) {
    const allowed = TRANSITIONS[from]?.length ? TRANSITIONS[from].join(', ') : 'nothing (final)';
    const err = new TransitionError(from, to);
    err.message = `incident cannot go from ${from} to ${to}; from ${from} it may go to ${allowed}`;
    throw err;
  }
}
