import type { Kysely } from 'kysely';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { storeCall } from '../units/unit-store.ts';
import type { OpsPublisher, OpsWarning } from '../dispatch/publisher.ts';
import '../dispatch/ops-events.ts';

export type OverdueKind = 'report.first' | 'report.written' | 'dispatch.unacknowledged' | 'dispatch.on_scene_overdue';

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

/**
 * Everything past its deadline now: unsubmitted reports, units not on scene
 * within the plan's target, and orders not acknowledged in time (while their
 * incident is still live). Drills are left out: they have their own record.
 */
export async function listOverdue(db: Kysely<Database>, now: number, site?: string): Promise<OverdueItem[]> {
  return storeCall('list overdue items', async () => {
    let reports = db.selectFrom('incident_reports').select(['incident_id', 'kind', 'site', 'due_at_ms'])
      .where('submitted_at_ms', 'is', null).where('due_at_ms', '<', now);
    let late = db.selectFrom('dispatches').select(['id', 'incident_id', 'site', 'unit_id', 'on_scene_by_ms'])
      .where('drill', '=', 0).where('state', 'in', ['ordered', 'acknowledged', 'en_route']).where('on_scene_by_ms', '<', now);
    let unacked = db.selectFrom('dispatches').innerJoin('incidents', 'incidents.id', 'dispatches.incident_id')
      .select(['dispatches.id', 'dispatches.incident_id', 'dispatches.site', 'dispatches.unit_id', 'dispatches.ack_by_ms'])
      .where('dispatches.drill', '=', 0).where('dispatches.acked_at_ms', 'is', null).where('dispatches.ack_by_ms', '<', now)
      .where('dispatches.state', 'in', ['ordered', 'not_responding']).where('incidents.status', 'in', [...ACTIVE_INCIDENT]);
    if (site) {
      reports = reports.where('site', '=', site);
      late = late.where('site', '=', site);
      unacked = unacked.where('dispatches.site', '=', site);
    }
    const items: OverdueItem[] = [];
    for (const r of await reports.execute()) {
      const due = Number(r.due_at_ms);
      items.push({ key: `report.${r.kind}:${r.incident_id}`, kind: `report.${r.kind}`, site: r.site, incidentId: r.incident_id, unit: null, dispatchId: null, dueAt: due, overdueMs: now - due, message: `${r.kind} report of incident ${r.incident_id} was due ${new Date(due).toISOString()}`, warnedAt: null });
    }
    for (const d of await late.execute()) {
      const due = Number(d.on_scene_by_ms);
      items.push({ key: `dispatch.on_scene_overdue:${d.id}`, kind: 'dispatch.on_scene_overdue', site: d.site, incidentId: d.incident_id, unit: d.unit_id, dispatchId: d.id, dueAt: due, overdueMs: now - due, message: `unit ${d.unit_id} not on scene of incident ${d.incident_id} within the 30-minute target`, warnedAt: null });
    }
    for (const d of await unacked.execute()) {
      const due = Number(d.ack_by_ms);
      items.push({ key: `dispatch.unacknowledged:${d.id}`, kind: 'dispatch.unacknowledged', site: d.site, incidentId: d.incident_id, unit: d.unit_id, dispatchId: d.id, dueAt: due, overdueMs: now - due, message: `unit ${d.unit_id} did not acknowledge its order for incident ${d.incident_id}`, warnedAt: null });
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
    for (const item of await listOverdue(db, now)) {
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
        detail: { incident: item.incidentId, ...(item.unit ? { unit: item.unit } : {}) },
      };
      this.#o.events.emit('warning.raised', warning, { site: item.site });
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
}

export function createOverdueWatcher(options: OverdueWatcherOptions): OverdueWatcher {
  return new OverdueWatcher(options);
}
