import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { OpsTables } from './schema-ops.ts';
import type { SecurityTables } from './schema-security.ts';

/**
 * The hub's tables. Conventions shared with hub-ops:
 * - times are integer milliseconds since the epoch in `*_ms` columns (bigint in
 *   PostgreSQL, parsed back to number by hub/store/database.ts);
 * - structured payloads are JSON text;
 * - ids are text (alarm ids come from the edge; incident ids are UUIDs).
 */
export interface AlarmTable {
  id: string;
  site: string;
  camera: string;
  zone: string | null;
  kind: string;
  state: 'raised' | 'cleared';
  severity: 'info' | 'warning' | 'critical';
  episode: string;
  edge: string;
  captured_at_ms: number;
  media_time: number | null;
  received_at_ms: number;
  /** crowd density when kind = crowd.density, for filtering and escalation */
  density: number | null;
  message: string | null;
  /** the whole validated alarm as JSON */
  payload: string;
  /** JetStream stream sequence of the first delivery that stored it */
  stream_seq: number | null;
  /** what the site's alarm policy made of it: feed, incident or dispatch (null before policies existed) */
  outcome: 'feed' | 'incident' | 'dispatch' | null;
  /** stored but not presented: flood (summarised), shelved or out_of_service; null when shown */
  suppressed: 'flood' | 'shelved' | 'out_of_service' | null;
  acked_at_ms: number | null;
  acked_by: string | null;
}

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'dispatched', 'on_scene', 'resolved', 'closed', 'false_alarm', 'cancelled'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface IncidentTable {
  id: string;
  site: string;
  /** '' when the alarm had no zone, so that it can take part in the correlation key */
  zone: string;
  kind: string;
  status: IncidentStatus;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  /**
   * `site|zone|kind` while the incident still gathers alarms, NULL otherwise.
   * A UNIQUE index on it makes "one open incident per key" hold across hub replicas.
   */
  correlation_key: string | null;
  opened_at_ms: number;
  updated_at_ms: number;
  first_alarm_at_ms: number;
  last_alarm_at_ms: number;
  alarm_count: number;
  peak_density: number | null;
  escalation_level: number;
  /** capture time of the last `cleared` alarm; shown, but it does not close the incident */
  cleared_at_ms: number | null;
  closed_at_ms: number | null;
  /** bumped on every change, for optimistic checks */
  version: number;
  /** incident or dispatch (the alarm policy's outcome, raised with the severity) */
  outcome: 'incident' | 'dispatch' | null;
  /** whose board it is on: operator or engineer */
  assigned_role: 'operator' | 'engineer' | null;
  /** the emergency plan: null while the incident is only "alarm raised"; I–IV once activated */
  plan_level: 'I' | 'II' | 'III' | 'IV' | null;
  /** the plan's clocks (on scene 30 min, reports 1 h and 2 h) run from here */
  plan_activated_at_ms: number | null;
  plan_activated_by: string | null;
  plan_note: string | null;
  /** activation + 30 min */
  on_scene_due_ms: number | null;
  /** first acknowledgement (of the incident, or of all its alarms); stops the unacknowledged escalation */
  acked_at_ms: number | null;
  acked_by: string | null;
  /** set when every alarm of the incident has cleared (resolving is suggested); reset by a new raise */
  all_cleared_at_ms: number | null;
}

export interface IncidentAlarmTable {
  incident_id: string;
  alarm_id: string;
  joined_at_ms: number;
}

/** Append-only: UPDATE and DELETE are refused by triggers in both dialects. */
export interface AuditLogTable {
  id: Generated<number>;
  at_ms: number;
  /** user name, or `system:<component>` for automatic changes */
  actor: string;
  /** dotted verb, e.g. incident.created, incident.transition, incident.escalated, dispatch.sent */
  action: string;
  entity: string;
  entity_id: string;
  note: string | null;
  /** JSON details */
  data: string | null;
}

export interface DeadLetterTable {
  id: Generated<number>;
  at_ms: number;
  subject: string;
  stream_seq: number | null;
  msg_id: string | null;
  reason: string;
  /** the raw payload, decoded as UTF-8 (lossy for binary) */
  payload: string;
}

export interface SiteTable {
  id: string;
  name: string;
  /** the site config as JSON, as seeded at start-up */
  config: string;
  updated_at_ms: number;
}

export interface CoreTables {
  alarms: AlarmTable;
  incidents: IncidentTable;
  incident_alarms: IncidentAlarmTable;
  audit_log: AuditLogTable;
  dead_letters: DeadLetterTable;
  sites: SiteTable;
}

export interface Database extends CoreTables, OpsTables, SecurityTables {}

export type AlarmRow = Selectable<AlarmTable>;
export type IncidentRow = Selectable<IncidentTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type NewAudit = Insertable<AuditLogTable>;
export type DeadLetterRow = Selectable<DeadLetterTable>;
export type { ColumnType };
