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
import { localName, type Locale } from '../../common/locale.ts';
import { translator } from '../i18n/catalogue.ts';
import { formatDateTime } from '../i18n/dates.ts';
import { alarmMessage, kindLabel, placeOf, planLevelLabel, severityLabel, siteLike, statusLabel } from '../i18n/describe.ts';
import { resolveWarning, warningKey } from './warnings-store.ts';
import { backgroundWork, type BackgroundWork } from '../background-work.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';

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
  locale: Locale;
  /** the site's: every time in the draft is written in it */
  timezone: string;
  body: ReportBody;
  submittedAt: string | null;
  submittedBy: string | null;
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
 * The plan's reports: a first report within 1 h of the plan's activation and a
 * written report within 2 h. Deadlines are rows, written by the activation
 * itself (hub/plan/plan-service.ts), so an overdue check needs no timer state,
 * and an incident whose plan was never activated has no report clock at all.
 */
export class ReportService {
  readonly #o: Readonly<ReportServiceOptions>;
  #offs: (() => void)[] = [];
  // A deadline row that failed to be written is back-filled at the next start.
  readonly #work: BackgroundWork;

  constructor(options: ReportServiceOptions) {
    this.#o = Object.freeze({ ...options });
    this.#work = backgroundWork((err) => (options.logger ?? silentLogger).error('report work failed', { err: errorMessage(err) }));
  }

  async start(): Promise<void> {
    this.#offs.push(this.#o.events.on('incident.updated', (e) => {
      if (e.data.change === 'transition' && e.data.to && WAIVED.has(e.data.to)) this.#track(this.#waive(e.data.incident.id, e.data.to));
    }));
    // Activated incidents whose deadline rows are missing (a store restored from before this table existed).
    const missing = await storeCall('find activated incidents without report deadlines', () => this.#o.db.selectFrom('incidents')
      .leftJoin('incident_reports', 'incident_reports.incident_id', 'incidents.id')
      .select(['incidents.id']).where('incident_reports.incident_id', 'is', null).where('incidents.plan_activated_at_ms', 'is not', null).execute());
    for (const m of missing) await this.ensureDeadlines(m.id);
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  async idle(): Promise<void> {
    await this.#work.idle();
  }

  /** Writes the deadline rows of an activated incident (the activation does this itself; this repairs a gap). */
  async ensureDeadlines(incidentId: string): Promise<void> {
    const inc = await readIncident(this.#o.db, incidentId);
    if (!inc) throw new NotFoundError('incident', incidentId);
    if (inc.plan_activated_at_ms === null) return;
    const opened = Number(inc.plan_activated_at_ms);
    await storeCall(`write report deadlines of ${incidentId}`, () => this.#o.db.insertInto('incident_reports')
      .values(REPORT_KINDS.map((kind) => ({ incident_id: incidentId, kind, site: inc.site, opened_at_ms: opened, due_at_ms: reportDueAt(kind, opened), submitted_at_ms: null, submitted_by: null, body: null })))
      .onConflict((oc) => oc.columns(['incident_id', 'kind']).doNothing())
      .execute());
  }

  /** The report clocks of an incident; none until the plan is activated for it. */
  async deadlines(incidentId: string): Promise<ReportDeadline[]> {
    const now = this.#o.clock.now();
    const rows = await this.#rows(incidentId);
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
    if (!(await this.deadlines(incidentId)).some((d) => d.kind === kind)) {
      throw new ValidationError('plan', 'the emergency plan is not activated for this incident; its reports follow the activation', { key: 'error.plan_not_activated' });
    }
    const now = this.#o.clock.now();
    await storeCall(`submit ${kind} report of ${incidentId}`, () => this.#o.db.transaction().execute(async (trx) => {
      await trx.updateTable('incident_reports').set({ submitted_at_ms: now, submitted_by: actor, body: JSON.stringify(parsed) })
        .where('incident_id', '=', incidentId).where('kind', '=', kind).execute();
      await resolveWarning(trx, warningKey.report(kind, incidentId), now);
      await appendAudit(trx, { atMs: now, actor, action: `report.${kind}.submitted`, entity: 'incident', entityId: incidentId, data: parsed });
    }));
    const d = (await this.deadlines(incidentId)).find((x) => x.kind === kind)!;
    const inc = await readIncident(this.#o.db, incidentId);
    this.#o.events.emit('report.submitted', { incidentId, kind, late: d.late }, { site: inc?.site });
    return d;
  }

  /**
   * A draft in the plan's headings, pre-filled with what the hub knows
   * (alarms, densities and trend, units and their times), in the reader's
   * language and the site's time zone. A submitted report comes back as it was.
   */
  async draft(incidentId: string, kind: ReportKind = 'first', locale: Locale = 'en'): Promise<ReportDraft> {
    const { db } = this.#o;
    const inc = await readIncident(db, incidentId);
    if (!inc) throw new NotFoundError('incident', incidentId);
    const t = translator(locale);
    const cfg = this.#o.sites.find((s) => s.site.id === inc.site);
    const site = siteLike(cfg);
    const tz = cfg?.site.timezone ?? 'UTC';
    const when = (ms: number | null) => (ms === null ? null : formatDateTime(ms, tz, locale));
    const alarms = await storeCall('read incident alarms', () => db.selectFrom('incident_alarms').innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
      .selectAll('alarms').where('incident_alarms.incident_id', '=', incidentId).orderBy('alarms.captured_at_ms').execute());
    const dispatches = (await listDispatches(db, { incidentId, drill: false })).sort((a, b) => a.orderedAt - b.orderedAt);
    const facts: ReportDraft['facts'] = { alarms: [], densities: [], units: [] };
    let peakCount: number | null = null;
    let camera: string | null = null;
    const lines: string[] = [];
    for (const a of alarms) {
      camera = a.camera;
      const at = Number(a.captured_at_ms);
      const p = JSON.parse(a.payload) as Parameters<typeof alarmMessage>[2] & { crowd?: { density: number; los: string; trendPerMin: number; count: number; level: string; threshold: number } };
      const message = alarmMessage(t, site, p);
      facts.alarms.push({ at: iso(at)!, kind: a.kind, severity: a.severity, state: a.state, camera: a.camera, zone: a.zone, message });
      lines.push(t.t('report.draft.alarm', { time: when(at), kind: kindLabel(t, a.kind), state: a.state, severity: severityLabel(t, a.severity), message: message || 'none' }));
      if (p.crowd) {
        facts.densities.push({ at: iso(at)!, density: p.crowd.density, los: p.crowd.los, trendPerMin: p.crowd.trendPerMin, count: p.crowd.count });
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
      ? t.t('report.draft.trend', {
        density: last.density.toFixed(2), los: last.los ?? '', rate: (last.trendPerMin ?? 0).toFixed(2), peak: (inc.peak_density ?? last.density).toFixed(2),
        direction: last.trendPerMin! > 0.05 ? 'rising' : last.trendPerMin! < -0.05 ? 'falling' : 'stable',
      })
      : '';
    const plan = inc.plan_activated_at_ms === null
      ? t.t('report.draft.planNone')
      : t.t('report.draft.plan', { time: when(Number(inc.plan_activated_at_ms)), by: inc.plan_activated_by === 'system:policy' ? t.t('report.byPolicy') : inc.plan_activated_by ?? '', level: planLevelLabel(t, inc.plan_level) });
    const body: ReportBody = {
      situation: t.t('report.draft.situation', {
        time: when(Number(inc.opened_at_ms)), place: placeOf(t, site, inc.site, inc.zone || null, camera),
        kind: kindLabel(t, inc.kind), severity: severityLabel(t, inc.severity), status: statusLabel(t, inc.status), plan,
      }),
      whatHappened: lines.join('\n'),
      people: { involved: peakCount, casualties: null, notes: '' },
      losses: '',
      cause: '',
      trend,
      measures: dispatches.map((d) => ({
        taken: t.t('report.draft.measure', {
          unit: unitName(cfg, d.unitId, locale), ordered: when(d.orderedAt), acked: when(d.ackedAt) ?? 'none', onScene: when(d.onSceneAt) ?? 'none',
          minutes: d.onSceneAt === null ? 0 : Math.round((d.onSceneAt - d.orderedAt) / 6000) / 10, state: t.lookup(`dispatchState.${d.state}`) ?? d.state,
        }),
        effect: '',
      })),
      nextSteps: '',
      other: '',
    };
    const saved = await this.submitted(incidentId, kind);
    return { incidentId, kind, locale, timezone: tz, body: saved?.body ?? body, submittedAt: iso(saved?.submittedAt ?? null), submittedBy: saved?.submittedBy ?? null, facts };
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
    this.#work.track(p);
  }
}

function unitName(site: SiteConfig | undefined, id: string, locale: Locale): string {
  const u = site?.units.find((x) => x.id === id);
  return u ? localName(u, locale) : id;
}

export function createReportService(options: ReportServiceOptions): ReportService {
  return new ReportService(options);
}
