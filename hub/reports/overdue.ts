import type { Kysely } from 'kysely';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { storeCall } from '../units/unit-store.ts';
import type { OpsPublisher, OpsWarning } from '../dispatch/publisher.ts';
import { toSummary } from '../incidents/incident-view.ts';

export type OverdueKind = 'report.first' | 'report.written' | 'dispatch.unacknowledged' | 'dispatch.on_scene_overdue' | 'incident.unacknowledged';

export interface OverdueItem {
  /** stable per item; a warning is raised once per key */
  key: string;
  kind: OverdueKind;
  site: string;
  incidentId: string;
  unit: string | null;
  dispatchId: string | null;
  dueAt: number;
  overdueMs: number;
  message: string;
  /** when the warning went out; null before the watcher's next tick */
  warnedAt: number | null;
}

const ACTIVE_INCIDENT = ['open', 'acknowledged', 'dispatched', 'on_scene'] as const;

/** How long each site's incidents may sit unacknowledged (the site's alarm policy). */
export type UnacknowledgedLimit = (site: string) => number;

/**
 * Everything past its deadline now: unsubmitted reports and units not on scene
 * (the plan's clocks, which run only once the plan is activated for the
 * incident), orders not acknowledged in time (while their incident is still
 * live), and incidents nobody acknowledged within the site's limit (escalated
 * to the commander role). Drills are left out: they have their own record.
 */
export async function listOverdue(db: Kysely<Database>, now: number, site?: string, unacknowledgedLimit?: UnacknowledgedLimit): Promise<OverdueItem[]> {
  return storeCall('list overdue items', async () => {
    let reports = db.selectFrom('incident_reports').innerJoin('incidents', 'incidents.id', 'incident_reports.incident_id')
      .select(['incident_reports.incident_id', 'incident_reports.kind', 'incident_reports.site', 'incident_reports.due_at_ms'])
      .where('incident_reports.submitted_at_ms', 'is', null).where('incident_reports.due_at_ms', '<', now).where('incidents.plan_activated_at_ms', 'is not', null);
    // A unit's 30 minutes count from its order, but never from before the plan's activation.
    let late = db.selectFrom('dispatches').innerJoin('incidents', 'incidents.id', 'dispatches.incident_id')
      .select(['dispatches.id', 'dispatches.incident_id', 'dispatches.site', 'dispatches.unit_id', 'dispatches.on_scene_by_ms', 'incidents.on_scene_due_ms'])
      .where('dispatches.drill', '=', 0).where('dispatches.state', 'in', ['ordered', 'acknowledged', 'en_route'])
      .where('incidents.on_scene_due_ms', 'is not', null).where('incidents.on_scene_due_ms', '<', now).where('dispatches.on_scene_by_ms', '<', now);
    const limits = unacknowledgedLimit ?? (() => Infinity);
    let quiet = db.selectFrom('incidents').select(['id', 'site', 'opened_at_ms', 'kind'])
      .where('acked_at_ms', 'is', null).where('status', '=', 'open');
    let unacked = db.selectFrom('dispatches').innerJoin('incidents', 'incidents.id', 'dispatches.incident_id')
      .select(['dispatches.id', 'dispatches.incident_id', 'dispatches.site', 'dispatches.unit_id', 'dispatches.ack_by_ms'])
      .where('dispatches.drill', '=', 0).where('dispatches.acked_at_ms', 'is', null).where('dispatches.ack_by_ms', '<', now)
      .where('dispatches.state', 'in', ['ordered', 'not_responding']).where('incidents.status', 'in', [...ACTIVE_INCIDENT]);
    if (site) {
      reports = reports.where('incident_reports.site', '=', site);
      late = late.where('dispatches.site', '=', site);
      unacked = unacked.where('dispatches.site', '=', site);
      quiet = quiet.where('site', '=', site);
    }
    const items: OverdueItem[] = [];
    for (const r of await reports.execute()) {
      const due = Number(r.due_at_ms);
      items.push({ key: `report.${r.kind}:${r.incident_id}`, kind: `report.${r.kind}`, site: r.site, incidentId: r.incident_id, unit: null, dispatchId: null, dueAt: due, overdueMs: now - due, message: `${r.kind} report of incident ${r.incident_id} was due ${new Date(due).toISOString()}`, warnedAt: null });
    }
    for (const d of await late.execute()) {
      const due = Math.max(Number(d.on_scene_by_ms), Number(d.on_scene_due_ms));
      items.push({ key: `dispatch.on_scene_overdue:${d.id}`, kind: 'dispatch.on_scene_overdue', site: d.site, incidentId: d.incident_id, unit: d.unit_id, dispatchId: d.id, dueAt: due, overdueMs: now - due, message: `unit ${d.unit_id} not on scene of incident ${d.incident_id} within the 30-minute target`, warnedAt: null });
    }
    for (const d of await unacked.execute()) {
      const due = Number(d.ack_by_ms);
      items.push({ key: `dispatch.unacknowledged:${d.id}`, kind: 'dispatch.unacknowledged', site: d.site, incidentId: d.incident_id, unit: d.unit_id, dispatchId: d.id, dueAt: due, overdueMs: now - due, message: `unit ${d.unit_id} did not acknowledge its order for incident ${d.incident_id}`, warnedAt: null });
    }
    if (unacknowledgedLimit) {
      for (const i of await quiet.execute()) {
        const due = Number(i.opened_at_ms) + limits(i.site);
        if (due >= now) continue;
        items.push({ key: `incident.unacknowledged:${i.id}`, kind: 'incident.unacknowledged', site: i.site, incidentId: i.id, unit: null, dispatchId: null, dueAt: due, overdueMs: now - due, message: `incident ${i.id} (${i.kind}) not acknowledged within ${Math.round(limits(i.site) / 60_000)} min; escalated to the commander role`, warnedAt: null });
      }
    }
    if (items.length) {
      const warned = await db.selectFrom('ops_warnings').select(['key', 'raised_at_ms']).where('key', 'in', items.map((i) => i.key)).execute();
      const at = new Map(warned.map((w) => [w.key, Number(w.raised_at_ms)]));
      for (const i of items) i.warnedAt = at.get(i.key) ?? null;
    }
    return items.sort((a, b) => a.dueAt - b.dueAt || a.key.localeCompare(b.key));
  });
}

export interface OverdueWatcherOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  publisher: OpsPublisher;
  /** each site's limit for an unacknowledged incident; without it, incidents are not escalated */
  unacknowledgedLimit?: UnacknowledgedLimit;
  /** how often to look; @default 15000 ms */
  intervalMs?: number;
  logger?: Logger;
}

/**
 * Raises one warning per overdue item, on vigil.warning.<site> and the hub bus.
 * "Once" is held by the ops_warnings primary key, not by memory, so a restart
 * or a second hub replica does not warn again.
 */
export class OverdueWatcher {
  readonly #o: Readonly<OverdueWatcherOptions>;
  readonly #log: Logger;
  #timer: TimerHandle | null = null;
  #running: Promise<number> | null = null;
  #rerun: Promise<number> | null = null;

  constructor(options: OverdueWatcherOptions) {
    this.#o = Object.freeze({ ...options });
    this.#log = (options.logger ?? silentLogger).child({ component: 'overdue' });
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = this.#o.clock.setInterval(() => { void this.tick(); }, this.#o.intervalMs ?? 15_000);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  /**
   * One pass; returns how many new warnings went out. A call during a pass in
   * flight gets one more pass after it (coalesced), which sees the time of the call.
   */
  tick(): Promise<number> {
    if (this.#running) {
      this.#rerun ??= this.#running.then(() => { this.#rerun = null; return this.tick(); });
      return this.#rerun;
    }
    {
      this.#running = this.#pass().catch((err) => {
        this.#log.error('overdue check failed', { err: errorMessage(err) });
        return 0;
      }).finally(() => { this.#running = null; });
    }
    return this.#running;
  }

  /** Waits for a pass in flight. */
  async idle(): Promise<void> {
    while (this.#running || this.#rerun) await (this.#rerun ?? this.#running);
  }

  async #pass(): Promise<number> {
    const { db, clock } = this.#o;
    const now = clock.now();
    let raised = 0;
    for (const item of await listOverdue(db, now, undefined, this.#o.unacknowledgedLimit)) {
      if (item.warnedAt !== null) continue;
      const res = await storeCall('record warning', () => db.insertInto('ops_warnings').values({
        key: item.key, site: item.site, kind: item.kind, entity: item.dispatchId ? 'dispatch' : 'incident', entity_id: item.dispatchId ?? item.incidentId,
        due_at_ms: item.dueAt, raised_at_ms: now, resolved_at_ms: null, detail: JSON.stringify({ incident: item.incidentId, unit: item.unit }),
      }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst());
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) !== 1) continue;
      await appendAudit(db, { atMs: now, actor: 'system:overdue', action: `warning.${item.kind}`, entity: 'incident', entityId: item.incidentId, note: item.message, data: { key: item.key, dueAt: item.dueAt } });
      const warning: OpsWarning = {
        key: item.key, site: item.site, kind: item.kind, entity: item.dispatchId ? 'dispatch' : 'incident', entityId: item.dispatchId ?? item.incidentId,
        dueAt: new Date(item.dueAt).toISOString(), raisedAt: new Date(now).toISOString(), message: item.message,
        detail: { incident: item.incidentId, ...(item.unit ? { unit: item.unit } : {}), ...(item.kind === 'incident.unacknowledged' ? { escalatedTo: 'commander' } : {}) },
      };
      this.#o.events.emit('warning.raised', warning, { site: item.site });
      if (item.kind === 'incident.unacknowledged') await this.#escalated(item.incidentId, now);
      try {
        await this.#o.publisher.warning(warning);
      } catch (err) {
        // Recorded and on the hub bus already; NATS subscribers miss this one.
        this.#log.error('warning not published', { key: item.key, err: errorMessage(err) });
      }
      raised++;
    }
    return raised;
  }

  /** The incident's own trail says who it went to, and the stream carries the change for the banner and the notifier. */
  async #escalated(incidentId: string, now: number): Promise<void> {
    const row = await this.#o.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
    if (!row) return;
    await appendAudit(this.#o.db, { atMs: now, actor: 'system:escalation', action: 'incident.escalated_unacknowledged', entity: 'incident', entityId: incidentId, note: 'not acknowledged in time: escalated to the commander role', data: { to: 'commander' } });
    this.#o.events.emit('incident.updated', { incident: toSummary(row), change: 'unacknowledged', actor: 'system:escalation' }, { site: row.site });
  }
}

export function createOverdueWatcher(options: OverdueWatcherOptions): OverdueWatcher {
  return new OverdueWatcher(options);
}
