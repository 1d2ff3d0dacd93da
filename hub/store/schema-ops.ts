/**
 * Tables owned by hub-ops (units, dispatch, reports, drills). hub/store/schema.ts
 * extends this so both halves share one Kysely<Database>. Conventions as there:
 * `*_ms` integer epoch milliseconds, JSON as text, booleans as 0/1 integers
 * (portable between SQLite and PostgreSQL).
 */
export const UNIT_STATUSES = ['available', 'dispatched', 'en_route', 'on_scene', 'unavailable', 'off_duty'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

export interface UnitTable {
  /** also the NATS token in vigil.dispatch.<unit>, so unique across sites */
  id: string;
  site: string;
  name: string;
  /** JSON [{id, name, role?}] */
  members: string;
  /** JSON [{name, start, end, onDuty[], leader}]: the live roster (the config's, or a commander's edit) */
  roster: string;
  /** the roster as last read from the site config; a changed config roster replaces an edited one */
  config_roster: string;
  /** JSON string[] */
  equipment: string;
  x: number;
  y: number;
  lat: number | null;
  lon: number | null;
  /** map units per second; NULL uses the dispatch policy's speed */
  speed: number | null;
  status: UnitStatus;
  status_at_ms: number;
  /** first seen; a unit never drilled is due six months after this */
  created_at_ms: number;
  updated_at_ms: number;
}

/**
 * ordered → acknowledged → en_route → on_scene → released; an order that is not
 * acknowledged in time becomes not_responding; any active one may be cancelled.
 */
export const DISPATCH_STATES = ['ordered', 'acknowledged', 'en_route', 'on_scene', 'released', 'not_responding', 'cancelled'] as const;
export type DispatchState = (typeof DISPATCH_STATES)[number];
export const ACTIVE_DISPATCH_STATES: readonly DispatchState[] = ['ordered', 'acknowledged', 'en_route', 'on_scene'];

export interface DispatchTable {
  id: string;
  /** the incident, or for a drill the drill's synthetic incident reference */
  incident_id: string;
  site: string;
  unit_id: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  /** 1 for a readiness drill */
  drill: number;
  drill_id: string | null;
  state: DispatchState;
  /** `system:dispatch`, or the operator who sent it */
  ordered_by: string;
  distance: number | null;
  eta_s: number | null;
  /** JSON of the order as published */
  order_json: string;
  ordered_at_ms: number;
  ack_by_ms: number;
  acked_at_ms: number | null;
  en_route_at_ms: number | null;
  on_scene_at_ms: number | null;
  /** the plan's target: dispatch + 30 min */
  on_scene_by_ms: number;
  closed_at_ms: number | null;
  /** the dispatch that replaced this one after it did not respond */
  replaced_by: string | null;
}

export interface IncidentReportTable {
  incident_id: string;
  kind: 'first' | 'written';
  site: string;
  opened_at_ms: number;
  due_at_ms: number;
  submitted_at_ms: number | null;
  submitted_by: string | null;
  /** JSON ReportBody */
  body: string | null;
}

export const DRILL_STATES = ['scheduled', 'running', 'completed', 'no_ack', 'not_on_scene', 'skipped'] as const;
export type DrillState = (typeof DRILL_STATES)[number];

export interface DrillTable {
  id: string;
  site: string;
  unit_id: string;
  /** local "YYYY-MM" it was planned for */
  month: string;
  reason: 'due' | 'random' | 'manual';
  scheduled_at_ms: number;
  state: DrillState;
  started_at_ms: number | null;
  dispatch_id: string | null;
  acked_at_ms: number | null;
  on_scene_at_ms: number | null;
  finished_at_ms: number | null;
  /** why a drill was skipped or failed, free text */
  outcome: string | null;
}

/** One row per overdue item; its primary key is what makes a warning fire once. */
export interface OpsWarningTable {
  key: string;
  site: string;
  /** report.first, report.written, dispatch.unacknowledged, dispatch.on_scene_overdue, incident.unacknowledged */
  kind: string;
  entity: string;
  entity_id: string;
  due_at_ms: number;
  raised_at_ms: number;
  /** set when the item was later done (report submitted, unit on scene) */
  resolved_at_ms: number | null;
  detail: string | null;
}

/** Which site-months have their drill plan written; the key makes planning once-only across replicas. */
export interface DrillPlanTable {
  site: string;
  month: string;
  planned_at_ms: number;
}

export const SUPPRESSION_TYPES = ['shelved', 'out_of_service'] as const;
export type SuppressionType = (typeof SUPPRESSION_TYPES)[number];

/** A shelved alarm source (returns by itself at until_ms) or a source out of service (until returned). */
export interface AlarmSuppressionTable {
  id: string;
  type: SuppressionType;
  site: string;
  /** camera or sensor id, as in the alarm's `camera` */
  source: string;
  /** null: every kind from the source */
  kind: string | null;
  reason: string;
  created_by: string;
  created_at_ms: number;
  /** shelving only; null for out of service */
  until_ms: number | null;
  ended_at_ms: number | null;
  /** a user, or system:shelving when the shelf expired */
  ended_by: string | null;
}

/** The flood guard's counter per source and kind (site|source|kind), written in the ingest transaction. */
export interface AlarmFloodTable {
  key: string;
  site: string;
  source: string;
  kind: string;
  window_start_ms: number;
  last_at_ms: number;
  count: number;
  suppressed: number;
}

export const NOTIFICATION_STATES = ['pending', 'delivered', 'dead'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

/** The webhook outbox: a row per notification and webhook, retried with backoff until delivered or dead. */
export interface NotificationTable {
  id: string;
  webhook: string;
  event: string;
  site: string;
  incident_id: string | null;
  payload: string;
  state: NotificationState;
  attempts: number;
  next_at_ms: number;
  created_at_ms: number;
  delivered_at_ms: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface OpsTables {
  alarm_suppressions: AlarmSuppressionTable;
  alarm_floods: AlarmFloodTable;
  notifications: NotificationTable;
  drill_plans: DrillPlanTable;
  units: UnitTable;
  dispatches: DispatchTable;
  incident_reports: IncidentReportTable;
  drills: DrillTable;
  ops_warnings: OpsWarningTable;
}
