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
  /** report.first, report.written, dispatch.unacknowledged, dispatch.on_scene_overdue */
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

export interface OpsTables {
  drill_plans: DrillPlanTable;
  units: UnitTable;
  dispatches: DispatchTable;
  incident_reports: IncidentReportTable;
  drills: DrillTable;
  ops_warnings: OpsWarningTable;
}
