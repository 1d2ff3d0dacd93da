/**
 * Logins and what they may do. `admin` may do everything; the others are listed
 * per route (see ROLE_MATRIX, which the OpenAPI document and README repeat).
 */
export const ROLES = ['operator', 'commander', 'engineer', 'unit', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_MATRIX = {
  'alarms.read': ['operator', 'commander', 'engineer'],
  'incidents.read': ['operator', 'commander', 'unit'],
  /** acknowledge, false_alarm, dispatched (manual) */
  'incidents.triage': ['operator', 'commander'],
  /** on_scene, resolved: the unit on site reports these */
  'incidents.field': ['operator', 'commander', 'unit'],
  /** closed, cancelled */
  'incidents.command': ['commander'],
  'deadletters.read': ['engineer'],
  'metrics.read': ['engineer'],
  'stream.read': ['operator', 'commander', 'engineer', 'unit'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof ROLE_MATRIX;

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

/** Whether a role may move an incident to `to`. */
export function mayTransition(role: string, to: string): boolean {
  if (role === 'admin') return true;
  const perm = (TRANSITION_PERMISSION as Record<string, Permission>)[to];
  return perm !== undefined && (ROLE_MATRIX[perm] as readonly string[]).includes(role);
}
