import type { Kysely } from 'kysely';
import type { Clock } from '../../common/clock.ts';
import { ValidationError } from '../../common/errors.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { storeCall } from '../units/unit-store.ts';
import { listDispatches } from '../dispatch/dispatch-store.ts';
import { readIncident } from '../dispatch/incident-port.ts';
import { REPORT_KINDS, reportDueAt, type ReportKind } from './deadlines.ts';
import { parseReportBody, type ReportBody } from './report-body.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import '../dispatch/ops-events.ts';

export interface ReportDeadline {
  kind: ReportKind;
  dueAt: number;
  submittedAt: number | null;
  submittedBy: string | null;
  overdue: boolean;
  /** submitted, but after the deadline */
  late: boolean;
}

export interface ReportDraft {
  incidentId: string;
  kind: ReportKind;
  body: ReportBody;
  /** what the hub knows, for the author to check against */
  facts: {
    alarms: { at: string; kind: string; severity: string; state: string; camera: string; zone: string | null; message: string | null }[];
    densities: { at: string; density: number; los?: string; trendPerMin?: number; count?: number }[];
    units: { unit: string; state: string; orderedAt: string; ackedAt: string | null; enRouteAt: string | null; onSceneAt: string | null; onSceneMinutes: number | null }[];
  };
}

/** Statuses whose incidents need no report: there was nothing to report on. */
const WAIVED = new Set(['false_alarm', 'cancelled']);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface ReportServiceOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  logger?: Logger;
}

/**
 * The plan's reports: a first report within 1 h of the incident opening and a
 * written report within 2 h. Deadlines are rows, written when the incident
 * opens (and back-filled at start-up), so an overdue check needs no timer state.
 */
export class ReportService {
  readonly #o: Readonly<ReportServiceOptions>;
  #offs: (() => void)[] = [];
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: ReportServiceOptions) {
    this.#o = Object.freeze({ ...options });
  }

  async start(): Promise<void> {
    this.#offs.push(this.#o.events.on('incident.created', (e) => this.#track(this.ensureDeadlines(e.data.incident.id))));
    this.#offs.push(this.#o.events.on('incident.updated', (e) => {
      if (e.data.change === 'transition' && e.data.to && WAIVED.has(e.data.to)) this.#track(this.#waive(e.data.incident.id, e.data.to));
    }));
    // Incidents opened while the hub was down, or before this table existed.
    const missing = await storeCall('find incidents without report deadlines', () => this.#o.db.selectFrom('incidents')
      .leftJoin('incident_reports', 'incident_reports.incident_id', 'incidents.id')
      .select(['incidents.id']).where('incident_reports.incident_id', 'is', null).execute());
    for (const m of missing) await this.ensureDeadlines(m.id);
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  async ensureDeadlines(incidentId: string): Promise<void> {
    const inc = await readIncident(this.#o.db, incidentId);
    if (!inc) throw new NotFoundError('incident', incidentId);
    const opened = Number(inc.opened_at_ms);
    await storeCall(`write report deadlines of ${incidentId}`, () => this.#o.db.insertInto('incident_reports')
      .values(REPORT_KINDS.map((kind) => ({ incident_id: incidentId, kind, site: inc.site, opened_at_ms: opened, due_at_ms: reportDueAt(kind, opened), submitted_at_ms: null, submitted_by: null, body: null })))
      .onConflict((oc) => oc.columns(['incident_id', 'kind']).doNothing())
      .execute());
  }

  async deadlines(incidentId: string): Promise<ReportDeadline[]> {
    const now = this.#o.clock.now();
    let rows = await this.#rows(incidentId);
    if (rows.length === 0) {
      await this.ensureDeadlines(incidentId);
      rows = await this.#rows(incidentId);
    }
    return rows.map((r) => {
      const due = Number(r.due_at_ms);
      const sub = r.submitted_at_ms === null ? null : Number(r.submitted_at_ms);
      return { kind: r.kind, dueAt: due, submittedAt: sub, submittedBy: r.submitted_by, overdue: sub === null && now > due, late: sub !== null && sub > due };
    }).sort((a, b) => a.dueAt - b.dueAt);
  }

  async submitted(incidentId: string, kind: ReportKind): Promise<{ body: ReportBody; submittedAt: number; submittedBy: string } | null> {
    const r = (await this.#rows(incidentId)).find((x) => x.kind === kind);
    if (!r || r.body === null || r.submitted_at_ms === null) return null;
    return { body: JSON.parse(r.body) as ReportBody, submittedAt: Number(r.submitted_at_ms), submittedBy: r.submitted_by ?? '' };
  }

  /** Validates and stores a report; a written report replaces nothing of the first one. Resubmitting amends it. */
  async submit(incidentId: string, kind: ReportKind, body: unknown, actor: string): Promise<ReportDeadline> {
    if (!REPORT_KINDS.includes(kind)) throw new ValidationError('kind', `must be one of ${REPORT_KINDS.join(', ')}`);
    const parsed = parseReportBody(body, kind);
    await this.deadlines(incidentId);
    const now = this.#o.clock.now();
    await storeCall(`submit ${kind} report of ${incidentId}`, () => this.#o.db.transaction().execute(async (trx) => {
      await trx.updateTable('incident_reports').set({ submitted_at_ms: now, submitted_by: actor, body: JSON.stringify(parsed) })
        .where('incident_id', '=', incidentId).where('kind', '=', kind).execute();
      await trx.updateTable('ops_warnings').set({ resolved_at_ms: now }).where('key', '=', `report.${kind}:${incidentId}`).where('resolved_at_ms', 'is', null).execute();
      await appendAudit(trx, { atMs: now, actor, action: `report.${kind}.submitted`, entity: 'incident', entityId: incidentId, data: parsed });
    }));
    const d = (await this.deadlines(incidentId)).find((x) => x.kind === kind)!;
    const inc = await readIncident(this.#o.db, incidentId);
    this.#o.events.emit('report.submitted', { incidentId, kind, late: d.late }, { site: inc?.site });
    return d;
  }

  /** A draft with what the hub knows: alarms, densities and trend, units and their times. */
  async draft(incidentId: string, kind: ReportKind = 'first'): Promise<ReportDraft> {
    const { db } = this.#o;
    const inc = await readIncident(db, incidentId);
    if (!inc) throw new NotFoundError('incident', incidentId);
    const alarms = await storeCall('read incident alarms', () => db.selectFrom('incident_alarms').innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
      .selectAll('alarms').where('incident_alarms.incident_id', '=', incidentId).orderBy('alarms.captured_at_ms').execute());
    const dispatches = (await listDispatches(db, { incidentId, drill: false })).sort((a, b) => a.orderedAt - b.orderedAt);
    const site = this.#o.sites.find((s) => s.site.id === inc.site);
    const facts: ReportDraft['facts'] = { alarms: [], densities: [], units: [] };
    let peakCount: number | null = null;
    let camera = '';
    for (const a of alarms) {
      camera = a.camera;
      facts.alarms.push({ at: iso(Number(a.captured_at_ms))!, kind: a.kind, severity: a.severity, state: a.state, camera: a.camera, zone: a.zone, message: a.message });
      const p = JSON.parse(a.payload) as { crowd?: { density: number; los: string; trendPerMin: number; count: number } };
      if (p.crowd) {
        facts.densities.push({ at: iso(Number(a.captured_at_ms))!, density: p.crowd.density, los: p.crowd.los, trendPerMin: p.crowd.trendPerMin, count: p.crowd.count });
        peakCount = Math.max(peakCount ?? 0, p.crowd.count);
      }
    }
    for (const d of dispatches) {
      facts.units.push({
        unit: d.unitId, state: d.state, orderedAt: iso(d.orderedAt)!, ackedAt: iso(d.ackedAt), enRouteAt: iso(d.enRouteAt), onSceneAt: iso(d.onSceneAt),
        onSceneMinutes: d.onSceneAt === null ? null : Math.round((d.onSceneAt - d.orderedAt) / 6000) / 10,
      });
    }
    const last = facts.densities.at(-1);
    const trend = last
      ? `density ${last.density.toFixed(2)} persons/m² (LOS ${last.los}), ${last.trendPerMin! > 0.05 ? 'rising' : last.trendPerMin! < -0.05 ? 'falling' : 'stable'} at ${last.trendPerMin!.toFixed(2)}/min; peak ${inc.peak_density ?? last.density} persons/m²`
      : '';
    const where = `${site?.site.name ?? inc.site}${inc.zone ? `, zone ${inc.zone}` : ''}${camera ? ` (camera ${camera})` : ''}`;
    const body: ReportBody = {
      situation: `${iso(Number(inc.opened_at_ms))} at ${where}: ${inc.title}; severity ${inc.severity}, status ${inc.status}.`,
      whatHappened: facts.alarms.map((a) => `${a.at} ${a.kind} ${a.state} (${a.severity})${a.message ? `: ${a.message}` : ''}`).join('\n'),
      people: { involved: peakCount, casualties: null, notes: '' },
      losses: '',
      cause: '',
      trend,
      measures: facts.units.map((u) => ({
        taken: `unit ${u.unit} dispatched ${u.orderedAt}${u.ackedAt ? `, acknowledged ${u.ackedAt}` : ''}${u.onSceneAt ? `, on scene ${u.onSceneAt} (${u.onSceneMinutes} min)` : ''} [${u.state}]`,
        effect: '',
      })),
      nextSteps: '',
      other: '',
    };
    const saved = await this.submitted(incidentId, kind);
    return { incidentId, kind, body: saved?.body ?? body, facts };
  }

  async #rows(incidentId: string) {
    return storeCall(`read report deadlines of ${incidentId}`, () => this.#o.db.selectFrom('incident_reports').selectAll().where('incident_id', '=', incidentId).execute());
  }

  async #waive(incidentId: string, status: string): Promise<void> {
    const now = this.#o.clock.now();
    await storeCall('waive reports', () => this.#o.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('incident_reports').set({ submitted_at_ms: now, submitted_by: `system:waived (${status})` })
        .where('incident_id', '=', incidentId).where('submitted_at_ms', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) await appendAudit(trx, { atMs: now, actor: 'system:reports', action: 'report.waived', entity: 'incident', entityId: incidentId, note: `incident is ${status}` });
    }));
  }

  #track(p: Promise<unknown>): void {
    // A deadline row that failed to be written is back-filled at the next start.
    const t = p.catch((err) => (this.#o.logger ?? silentLogger).error('report work failed', { err: errorMessage(err) })).finally(() => this.#pending.delete(t));
    this.#pending.add(t);
  }
}

export function createReportService(options: ReportServiceOptions): ReportService {
  return new ReportService(options);
}
