import type { AlarmRow, AuditRow, IncidentRow } from '../store/schema.ts';
import type { IncidentSummary } from '../events.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toSummary(r: IncidentRow): IncidentSummary {
  return { id: r.id, site: r.site, zone: r.zone, kind: r.kind, status: r.status, severity: r.severity, alarmCount: r.alarm_count, escalationLevel: r.escalation_level };
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
    alarm: JSON.parse(r.payload) as unknown,
  };
}

export function auditDto(r: AuditRow) {
  return { id: r.id, at: iso(r.at_ms), actor: r.actor, action: r.action, entity: r.entity, entityId: r.entity_id, note: r.note, data: r.data === null ? null : (JSON.parse(r.data) as unknown) };
}

export type IncidentDto = ReturnType<typeof incidentDto>;
export type AlarmDto = ReturnType<typeof alarmDto>;
export type AuditDto = ReturnType<typeof auditDto>;
