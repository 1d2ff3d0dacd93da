/**
 * Logins and what they may do: the one role matrix. Every route checks a
 * permission from here (`can(...)` in auth.ts); the OpenAPI document, the
 * README and the dashboard read the same table. `admin` may do everything.
 */
export const ROLES = ['operator', 'commander', 'engineer', 'unit', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_MATRIX = {
  'alarms.read': ['operator', 'commander', 'engineer'],
  /** acknowledge one alarm, or all of an incident */
  'alarms.ack': ['operator', 'commander', 'engineer'],
  /** shelve a source for at most 8 h, and unshelve it */
  'alarms.shelve': ['operator', 'commander', 'engineer'],
  /** take a camera or sensor out of service for maintenance, and return it */
  'sources.service': ['commander', 'engineer'],
  /** the ISA-18.2 alarm-rate figures */
  'alarms.rates': ['operator', 'commander', 'engineer'],
  /** engineers read the incidents on the engineers' board only */
  'incidents.read': ['operator', 'commander', 'unit', 'engineer'],
  /** acknowledge, false_alarm, dispatched (manual) */
  'incidents.triage': ['operator', 'commander'],
  /** on_scene, resolved: the unit on site reports these */
  'incidents.field': ['operator', 'commander', 'unit'],
  /** closed, cancelled */
  'incidents.command': ['commander'],
  /** acknowledge, resolve, false alarm and close the incidents on the engineers' board (camera and sensor faults) */
  'incidents.technical': ['engineer'],
  /** activate the emergency plan for an incident, with a level and a note */
  'plan.activate': ['commander'],
  'deadletters.read': ['engineer'],
  'metrics.read': ['engineer'],
  'stream.read': ['operator', 'commander', 'engineer', 'unit'],
  'units.read': ['operator', 'commander', 'engineer'],
  /** one unit's card: a unit login sees its own only */
  'units.detail': ['operator', 'commander', 'engineer', 'unit'],
  /** available, unavailable, off duty: a unit login sets its own only */
  'units.status': ['operator', 'commander', 'unit'],
  'units.roster': ['commander'],
  /** dispatch records; a unit login sees its own, drills are hidden from all but command */
  'dispatch.read': ['operator', 'commander', 'engineer', 'unit'],
  /** send units, rank candidates, release a unit */
  'dispatch.send': ['operator', 'commander'],
  /** acknowledged, en route, on scene: the unit, or a commander on the radio for it */
  'dispatch.report': ['unit', 'commander'],
  'overdue.read': ['operator', 'commander', 'engineer'],
  'reports.write': ['operator', 'commander'],
  /** drills are unannounced: their schedule and results are for command only */
  'drills.command': ['commander'],
  /** site maps, plans, camera health, zone densities, snapshots */
  'live.read': ['operator', 'commander', 'engineer', 'unit'],
  /** a camera's live picture (1–2 fps, persons blurred where the site asks) */
  'live.video': ['operator', 'commander', 'engineer'],
  'replay.use': ['engineer'],
  /** the webhook outbox and its dead letters */
  'notifications.read': ['commander', 'engineer'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof ROLE_MATRIX;

/** Whether a role holds a permission (admin holds all). The dashboard uses this too, to show only what the API allows. */
export function roleHas(role: string, permission: Permission): boolean {
  return role === 'admin' || (ROLE_MATRIX[permission] as readonly string[]).includes(role);
}

/**
 * Which permission each target status of an incident needs. The dashboard
 * imports this too, so the buttons it shows are exactly what the API allows.
 */
export const TRANSITION_PERMISSION = {
  open: 'incidents.command',
  acknowledged: 'incidents.triage',
  dispatched: 'incidents.triage',
  false_alarm: 'incidents.triage',
  on_scene: 'incidents.field',
  resolved: 'incidents.field',
  cancelled: 'incidents.command',
  closed: 'incidents.command',
} as const satisfies Record<string, Permission>;

/** What engineers may do to the incidents on their own board. */
const TECHNICAL_STEPS: ReadonlySet<string> = new Set(['acknowledged', 'resolved', 'false_alarm', 'closed']);

/**
 * Whether a role may move an incident to `to`. An engineer may take the
 * technical steps on an incident assigned to the engineers, and nothing else.
 */
export function mayTransition(role: string, to: string, assignedRole?: string | null): boolean {
  if (role === 'admin') return true;
  const perm = (TRANSITION_PERMISSION as Record<string, Permission>)[to];
  if (perm !== undefined && roleHas(role, perm)) return true;
  return assignedRole === 'engineer' && TECHNICAL_STEPS.has(to) && roleHas(role, 'incidents.technical');
}

/** Engineers see the engineers' board; every other reader sees all incidents. */
export function mayReadIncident(role: string, assignedRole: string | null | undefined): boolean {
  if (!roleHas(role, 'incidents.read')) return false;
  return role !== 'engineer' || assignedRole === 'engineer';
}
