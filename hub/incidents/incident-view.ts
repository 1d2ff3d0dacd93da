import type { AlarmRow, AuditRow, IncidentRow } from '../store/schema.ts';
import type { IncidentSummary } from '../events.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toSummary(r: IncidentRow): IncidentSummary {
  return {
    id: r.id, site: r.site, zone: r.zone, kind: r.kind, status: r.status, severity: r.severity, alarmCount: r.alarm_count, escalationLevel: r.escalation_level,
    outcome: r.outcome ?? 'incident', assignedRole: r.assigned_role ?? 'operator', planLevel: r.plan_level, acknowledged: r.acked_at_ms !== null,
  };
}

/** The API shape of an incident: camelCase, ISO times. */
export function incidentDto(r: IncidentRow) {
  return {
    id: r.id,
    site: r.site,
    zone: r.zone || null,
    kind: r.kind,
    status: r.status,
    severity: r.severity,
    title: r.title,
    gathering: r.correlation_key !== null,
    openedAt: iso(r.opened_at_ms),
    updatedAt: iso(r.updated_at_ms),
    firstAlarmAt: iso(r.first_alarm_at_ms),
    lastAlarmAt: iso(r.last_alarm_at_ms),
    alarmCount: r.alarm_count,
    peakDensity: r.peak_density,
    escalationLevel: r.escalation_level,
    clearedAt: iso(r.cleared_at_ms),
    closedAt: iso(r.closed_at_ms),
    version: r.version,
    outcome: r.outcome ?? 'incident',
    assignedRole: r.assigned_role ?? 'operator',
    /** the emergency plan: alarm_raised until a commander (or the policy) activates it */
    plan: r.plan_activated_at_ms === null
      ? { state: 'alarm_raised' as const, level: null, activatedAt: null, activatedBy: null, note: null, onSceneDueAt: null }
      : { state: 'activated' as const, level: r.plan_level, activatedAt: iso(r.plan_activated_at_ms), activatedBy: r.plan_activated_by, note: r.plan_note, onSceneDueAt: iso(r.on_scene_due_ms) },
    ackedAt: iso(r.acked_at_ms),
    ackedBy: r.acked_by,
    /** every alarm has cleared: resolving is suggested */
    allClearedAt: iso(r.all_cleared_at_ms),
  };
}

export function alarmDto(r: AlarmRow) {
  return {
    id: r.id,
    site: r.site,
    camera: r.camera,
    zone: r.zone,
    kind: r.kind,
    state: r.state,
    severity: r.severity,
    episode: r.episode,
    edge: r.edge,
    capturedAt: iso(r.captured_at_ms),
    receivedAt: iso(r.received_at_ms),
    mediaTime: r.media_time,
    density: r.density,
    message: r.message,
    outcome: r.outcome ?? 'incident',
    suppressed: r.suppressed,
    ackedAt: iso(r.acked_at_ms),
    ackedBy: r.acked_by,
    alarm: JSON.parse(r.payload) as unknown,
  };
}

export function auditDto(r: AuditRow) {
  return { id: r.id, at: iso(r.at_ms), actor: r.actor, action: r.action, entity: r.entity, entityId: r.entity_id, note: r.note, data: r.data === null ? null : (JSON.parse(r.data) as unknown) };
}

export type IncidentDto = ReturnType<typeof incidentDto>;
export type AlarmDto = ReturnType<typeof alarmDto>;
export type AuditDto = ReturnType<typeof auditDto>;
