import type { Kysely } from 'kysely';
import type { Clock } from '../../common/clock.ts';
import { StoreError, ValidationError } from '../../common/errors.ts';
import type { Database, IncidentRow, IncidentStatus } from '../store/schema.ts';
import { INCIDENT_STATUSES } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import type { HubEvents } from '../events.ts';
import { assertTransition, GATHERING } from './lifecycle.ts';
import { resolveWarning, warningKey } from '../reports/warnings-store.ts';
import { alarmDto, auditDto, incidentDto, toSummary, type AlarmDto, type AuditDto, type IncidentDto } from './incident-view.ts';

export interface IncidentFilter {
  site?: string;
  /** only these sites (a login's scope); null or absent: every site */
  sites?: readonly string[] | null;
  zone?: string;
  kind?: string;
  status?: readonly IncidentStatus[];
  severity?: string;
  /** ms since epoch; incidents opened at or after */
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
  /** keyset paging: incidents opened before this one's (opened_at_ms, id) */
  before?: { openedAtMs: number; id: string };
  /** only the incidents on this role's board */
  assignedRole?: 'operator' | 'engineer';
}

export interface TimelineEntry {
  at: string | null;
  type: 'alarm' | 'audit';
  alarm?: AlarmDto;
  audit?: AuditDto;
}

export interface IncidentDetail {
  incident: IncidentDto;
  alarms: AlarmDto[];
  audit: AuditDto[];
  /** alarms and audit entries merged in time order */
  timeline: TimelineEntry[];
}

export interface TransitionRequest {
  to: IncidentStatus;
  actor: string;
  note?: string | null;
  /** refuse if the incident changed since this version was read */
  expectVersion?: number;
}

export interface IncidentService {
  list(filter?: IncidentFilter): Promise<IncidentDto[]>;
  get(id: string): Promise<IncidentDetail>;
  getRow(id: string): Promise<IncidentRow>;
  /** Moves an incident along its lifecycle; a wrong move throws TransitionError. Audited. */
  transition(id: string, request: TransitionRequest): Promise<IncidentDto>;
  /** Adds a note to the incident's audit trail without changing it. */
  addNote(id: string, actor: string, note: string): Promise<void>;
}

export interface IncidentServiceOptions {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  clock: Clock;
  events: HubEvents;
}

export function createIncidentService(options: IncidentServiceOptions): IncidentService {
  const { db, dialect, clock, events } = options;

  async function getRow(id: string): Promise<IncidentRow> {
    const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('incident', id);
    return row;
  }

  return Object.freeze({
    getRow,

    async list(filter: IncidentFilter = {}) {
      let q = db.selectFrom('incidents').selectAll();
      if (filter.site) q = q.where('site', '=', filter.site);
      if (filter.sites) q = q.where('site', 'in', filter.sites);
      if (filter.zone) q = q.where('zone', '=', filter.zone);
      if (filter.kind) q = q.where('kind', '=', filter.kind);
      if (filter.severity) q = q.where('severity', '=', filter.severity as IncidentRow['severity']);
      if (filter.status?.length) q = q.where('status', 'in', filter.status);
      if (filter.assignedRole) q = q.where('assigned_role', '=', filter.assignedRole);
      if (filter.sinceMs !== undefined) q = q.where('opened_at_ms', '>=', filter.sinceMs);
      if (filter.untilMs !== undefined) q = q.where('opened_at_ms', '<', filter.untilMs);
      if (filter.before) {
        const b = filter.before;
        q = q.where((eb) => eb.or([eb('opened_at_ms', '<', b.openedAtMs), eb.and([eb('opened_at_ms', '=', b.openedAtMs), eb('id', '<', b.id)])]));
      }
      const rows = await q.orderBy('opened_at_ms', 'desc').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000)).execute();
      return rows.map(incidentDto);
    },

    async get(id: string) {
      const row = await getRow(id);
      const alarms = await db.selectFrom('incident_alarms').innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
        .selectAll('alarms').where('incident_alarms.incident_id', '=', id).orderBy('alarms.captured_at_ms').orderBy('alarms.id').execute();
      const audit = await db.selectFrom('audit_log').selectAll().where('entity', '=', 'incident').where('entity_id', '=', id).orderBy('id').execute();
      const timeline: (TimelineEntry & { ms: number; rank: number })[] = [
        ...alarms.map((a, i) => ({ ms: a.captured_at_ms, rank: i, at: new Date(a.captured_at_ms).toISOString(), type: 'alarm' as const, alarm: alarmDto(a) })),
        ...audit.map((e, i) => ({ ms: e.at_ms, rank: alarms.length + i, at: new Date(e.at_ms).toISOString(), type: 'audit' as const, audit: auditDto(e) })),
      ].sort((x, y) => x.ms - y.ms || x.rank - y.rank);
      return {
        incident: incidentDto(row),
        alarms: alarms.map(alarmDto),
        audit: audit.map(auditDto),
        timeline: timeline.map(({ ms: _ms, rank: _rank, ...e }) => e),
      };
    },

    async transition(id: string, req: TransitionRequest) {
      if (!INCIDENT_STATUSES.includes(req.to)) throw new ValidationError('to', `must be one of ${INCIDENT_STATUSES.join(', ')}`);
      const now = clock.now();
      const { before, after } = await db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('incidents').selectAll().where('id', '=', id);
        if (dialect === 'postgres') q = q.forUpdate();
        const cur = await q.executeTakeFirst();
        if (!cur) throw new NotFoundError('incident', id);
        if (req.expectVersion !== undefined && req.expectVersion !== cur.version) {
          throw new StoreError('STORE_CONFLICT', `incident ${id} changed since it was read (version ${cur.version}, expected ${req.expectVersion}); reload and try again`);
        }
        assertTransition(cur.status, req.to);
        // Acknowledging by a person (not the hub falling back when no unit answered) stops the escalation clock.
        const acks = req.to === 'acknowledged' && cur.acked_at_ms === null && !req.actor.startsWith('system:');
        const next: IncidentRow = {
          ...cur,
          status: req.to,
          correlation_key: GATHERING.has(req.to) ? cur.correlation_key : null,
          closed_at_ms: req.to === 'closed' ? now : cur.closed_at_ms,
          acked_at_ms: acks ? now : cur.acked_at_ms,
          acked_by: acks ? req.actor : cur.acked_by,
          updated_at_ms: now,
          version: cur.version + 1,
        };
        // The status guard makes the move atomic even without row locks (SQLite).
        const res = await trx.updateTable('incidents')
          .set({ status: next.status, correlation_key: next.correlation_key, closed_at_ms: next.closed_at_ms, acked_at_ms: next.acked_at_ms, acked_by: next.acked_by, updated_at_ms: now, version: next.version })
          .where('id', '=', id).where('status', '=', cur.status).where('version', '=', cur.version)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) throw new StoreError('STORE_CONFLICT', `incident ${id} changed during the transition; try again`);
        await appendAudit(trx, { atMs: now, actor: req.actor, action: 'incident.transition', entity: 'incident', entityId: id, note: req.note ?? null, data: { from: cur.status, to: req.to } });
        if (acks || !GATHERING.has(req.to)) await resolveWarning(trx, warningKey.unacknowledgedIncident(id), now);
        return { before: cur, after: next };
      });
      events.emit('incident.updated', { incident: toSummary(after), change: 'transition', from: before.status, to: after.status, actor: req.actor }, { site: after.site });
      return incidentDto(after);
    },

    async addNote(id: string, actor: string, note: string) {
      await getRow(id);
      await appendAudit(db, { atMs: clock.now(), actor, action: 'incident.note', entity: 'incident', entityId: id, note });
    },
  });
}
