import type { Kysely } from 'kysely';
import type { Clock } from '../../common/clock.ts';
import { PLAN_LEVELS, type PlanLevel } from '../../common/config/alarm-policy.ts';
import { TransitionError, ValidationError, errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { Actor } from '../actor.ts';
import { backgroundWork, type BackgroundWork } from '../background-work.ts';
import type { AlarmPolicies } from '../alarms/alarm-policy.ts';
import type { HubEvents, IncidentSummary } from '../events.ts';
import { FINAL_INCIDENT } from '../dispatch/incident-port.ts';
import { toSummary } from '../incidents/incident-view.ts';
import type { Database, IncidentRow } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { storeCall } from '../units/unit-store.ts';
import { ON_SCENE_MS, REPORT_KINDS, reportDueAt } from '../reports/deadlines.ts';

export interface PlanServiceOptions {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  clock: Clock;
  events: HubEvents;
  policies: AlarmPolicies;
  logger?: Logger;
}

export interface PlanActivation {
  level: PlanLevel;
  note: string | null;
}

const POLICY: Actor = { name: 'system:policy', role: 'system' };

/**
 * The emergency plan's activation authority. An incident starts as "alarm
 * raised"; a commander (or, for the severities the site's policy names, the
 * policy) activates the plan with a level and a note, and only then do the
 * plan's clocks run: on scene within 30 min, first report within 1 h, written
 * report within 2 h, all from the activation. Activation is one transaction:
 * the incident's plan fields, the report deadlines and the audit entry.
 */
export class PlanService {
  readonly #o: Readonly<PlanServiceOptions>;
  readonly #log: Logger;
  readonly #work: BackgroundWork;
  #offs: (() => void)[] = [];

  constructor(options: PlanServiceOptions) {
    this.#o = Object.freeze({ ...options });
    this.#log = (options.logger ?? silentLogger).child({ component: 'plan' });
    // An incident that ended before its activation got through is not an error.
    this.#work = backgroundWork((err) => { if (!(err instanceof TransitionError)) this.#log.error('plan activation failed', { err: errorMessage(err) }); });
  }

  /** Activates by policy: on a new incident, and on one that escalates into a severity the policy names. */
  start(): void {
    const auto = (inc: IncidentSummary) => {
      if (inc.planLevel !== null) return;
      const level = this.#o.policies.forSite(inc.site).autoActivation(inc.severity as 'info' | 'warning' | 'critical');
      // No note: who activated it (system:policy) says why, in any language.
      if (level) this.#track(this.activate(inc.id, { level }, POLICY, { auto: true }));
    };
    this.#offs.push(this.#o.events.on('incident.created', (e) => auto(e.data.incident)));
    this.#offs.push(this.#o.events.on('incident.updated', (e) => { if (e.data.change === 'escalated') auto(e.data.incident); }));
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  async idle(): Promise<void> {
    await this.#work.idle();
  }

  /**
   * Activates the plan, or changes the level of an activated one (the clocks
   * keep running from the first activation). A finished incident cannot be
   * activated; activating twice at the same level changes nothing.
   */
  async activate(incidentId: string, request: { level: string; note?: string | null }, actor: Actor, options: { auto?: boolean } = {}): Promise<IncidentRow> {
    if (!PLAN_LEVELS.includes(request.level as PlanLevel)) throw new ValidationError('level', `must be one of ${PLAN_LEVELS.join(', ')}`);
    const level = request.level as PlanLevel;
    const note = request.note?.trim() || null;
    const now = this.#o.clock.now();
    const { row, changed, first } = await storeCall(`activate the plan for ${incidentId}`, () => this.#o.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('incidents').selectAll().where('id', '=', incidentId);
      if (this.#o.dialect === 'postgres') q = q.forUpdate();
      const cur = await q.executeTakeFirst();
      if (!cur) throw new NotFoundError('incident', incidentId);
      if (FINAL_INCIDENT.has(cur.status)) throw new TransitionError(cur.status, 'plan activated');
      if (cur.plan_activated_at_ms !== null) {
        // The policy never overrides a commander's level.
        if (options.auto || cur.plan_level === level) return { row: cur, changed: false, first: false };
        const next = { ...cur, plan_level: level, plan_note: note ?? cur.plan_note, updated_at_ms: now, version: cur.version + 1 };
        await trx.updateTable('incidents').set({ plan_level: level, plan_note: next.plan_note, updated_at_ms: now, version: next.version }).where('id', '=', incidentId).execute();
        await appendAudit(trx, { atMs: now, actor: actor.name, action: 'plan.level_changed', entity: 'incident', entityId: incidentId, note, data: { from: cur.plan_level, to: level } });
        return { row: next, changed: true, first: false };
      }
      const next: IncidentRow = {
        ...cur, plan_level: level, plan_activated_at_ms: now, plan_activated_by: actor.name, plan_note: note,
        on_scene_due_ms: now + ON_SCENE_MS, updated_at_ms: now, version: cur.version + 1,
      };
      await trx.updateTable('incidents').set({
        plan_level: level, plan_activated_at_ms: now, plan_activated_by: actor.name, plan_note: note, on_scene_due_ms: next.on_scene_due_ms, updated_at_ms: now, version: next.version,
      }).where('id', '=', incidentId).execute();
      // The report clocks start here, not when the first alarm came in.
      await trx.insertInto('incident_reports')
        .values(REPORT_KINDS.map((kind) => ({ incident_id: incidentId, kind, site: cur.site, opened_at_ms: now, due_at_ms: reportDueAt(kind, now), submitted_at_ms: null, submitted_by: null, body: null })))
        .onConflict((oc) => oc.columns(['incident_id', 'kind']).doNothing())
        .execute();
      await appendAudit(trx, {
        atMs: now, actor: actor.name, action: 'plan.activated', entity: 'incident', entityId: incidentId, note,
        data: { level, by: actor.name, auto: Boolean(options.auto), onSceneDue: now + ON_SCENE_MS, firstReportDue: reportDueAt('first', now), writtenReportDue: reportDueAt('written', now) },
      });
      return { row: next, changed: true, first: true };
    }));
    if (changed) {
      this.#o.events.emit('incident.updated', { incident: toSummary(row), change: 'activated', actor: actor.name, level, ...(first ? {} : { from: 'level' }) }, { site: row.site });
      this.#log.info(first ? 'plan activated' : 'plan level changed', { incident: incidentId, level, by: actor.name });
    }
    return row;
  }

  #track(p: Promise<unknown>): void {
    this.#work.track(p);
  }
}

export function createPlanService(options: PlanServiceOptions): PlanService {
  return new PlanService(options);
}

/**
 * Plan deadlines that started without an activation: report clocks on an
 * incident that was never activated or whose clock predates its activation,
 * and on-scene deadlines set without one. The figure the issue asks to be 0.
 */
export async function deadlinesWithoutActivation(db: Kysely<Database>): Promise<number> {
  const reports = await db.selectFrom('incident_reports').innerJoin('incidents', 'incidents.id', 'incident_reports.incident_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb.or([eb('incidents.plan_activated_at_ms', 'is', null), eb('incident_reports.opened_at_ms', '<', eb.ref('incidents.plan_activated_at_ms'))]))
    .executeTakeFirstOrThrow();
  const onScene = await db.selectFrom('incidents').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('on_scene_due_ms', 'is not', null).where('plan_activated_at_ms', 'is', null).executeTakeFirstOrThrow();
  // Overdue warnings of plan clocks (reports, on scene) about incidents that were never activated.
  const warnings = await db.selectFrom('ops_warnings').select(['kind', 'detail']).where('kind', 'in', ['report.first', 'report.written', 'dispatch.on_scene_overdue']).execute();
  const inactive = new Set((await db.selectFrom('incidents').select('id').where('plan_activated_at_ms', 'is', null).execute()).map((r) => r.id));
  const warned = warnings.filter((w) => inactive.has((JSON.parse(w.detail ?? '{}') as { incident?: string }).incident ?? '')).length;
  return Number(reports.n) + Number(onScene.n) + warned;
}
