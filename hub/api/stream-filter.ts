import type { AnyHubEvent } from '../events.ts';
import type { ApiUser } from './deps.ts';

/**
 * Who sees what on the live stream. Operators, commanders and admins see
 * everything; engineers see alarms, technical warnings, shelving and the
 * incidents on their own board; a unit login sees incidents and the traffic
 * addressed to its own unit, never another unit's.
 */
export function eventVisibleTo(event: AnyHubEvent, user: ApiUser): boolean {
  // A login scoped to sites hears only of those sites (and of its own unit).
  if (user.sites && !(event.site !== undefined ? user.sites.includes(event.site) : user.role === 'unit' && event.unit !== undefined && event.unit === user.unit)) return false;
  // Drills are unannounced: only command roles hear of them (hub-ops).
  if ((event.type as string).startsWith('drill.')) return user.role === 'admin' || user.role === 'commander';
  if (user.role === 'admin' || user.role === 'operator' || user.role === 'commander') return true;
  const type = event.type as string;
  if (user.role === 'engineer') {
    if (event.type === 'incident.created' || event.type === 'incident.updated') return event.data.incident.assignedRole === 'engineer';
    return type.startsWith('alarm.') || type.startsWith('warning.') || type.startsWith('ingest.') || type.startsWith('suppression.') || type.startsWith('notification.');
  }
  if (user.role === 'unit') {
    if (event.unit !== undefined) return event.unit === user.unit;
    return type.startsWith('incident.');
  }
  return false;
}
