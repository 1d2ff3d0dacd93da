import { randomUUID, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import { ACTIVE_DISPATCH_STATES, type DrillState } from '../store/schema-ops.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { getUnit, listUnits, storeCall } from '../units/unit-store.ts';
import { addMonths, monthBounds } from '../units/zoned-time.ts';
import type { DispatchService } from '../dispatch/dispatch-service.ts';
import type { UnitService } from '../units/unit-service.ts';
import type { Dispatch } from '../dispatch/dispatch-store.ts';
import { locateIncident, type MapLocation } from '../dispatch/location.ts';
import { DEFAULT_DRILL_RULES, planMonth, randomWorkingTime, type DrillRules } from './planner.ts';
import { drillFromRow, listDrills, RAN, type Drill } from './drill-store.ts';

export interface DrillSchedulerOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  dispatch: DispatchService;
  units: UnitService;
  sites: readonly SiteConfig[];
  rules?: Partial<DrillRules>;
  /** uniform in [0, 1); crypto-backed by default so that drill times cannot be guessed */
  random?: () => number;
  /** sweep that arms the next day's drills and ends overdue ones; at most 24 h; @default 300000 ms */
  intervalMs?: number;
  logger?: Logger;
}

export interface DrillMonthReport {
  month: string;
  drills: number;
  units: number;
  completed: number;
  failed: number;
  medianAckS: number | null;
  medianOnSceneS: number | null;
}

export interface DrillUnitReport {
  unit: string;
  drills: number;
  completed: number;
  failed: number;
  lastDrilledAt: number | null;
  /** the latest a next drill may run: last drill + 6 months */
  nextDueBy: number;
  medianAckS: number | null;
  medianOnSceneS: number | null;
}

const SYSTEM = 'system:drills';
const ACTOR = { name: SYSTEM, role: 'system' };
const ARM_HORIZON_MS = 24 * 3_600_000;
const cryptoRandom = () => randomInt(0, 2 ** 47) / 2 ** 47;
const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Unannounced readiness drills. Each local month is planned once (planner.ts);
 * each drill then fires on its own timer, re-armed from the table at start-up.
 * A unit that is not ready or busy at drill time has its drill skipped and
 * re-planned within three days. Results (ack time, on-scene time, outcome) come
 * from the drill's dispatch, which the dispatcher reports here.
 */
export class DrillScheduler {
  readonly #o: Readonly<DrillSchedulerOptions>;
  readonly #rules: DrillRules;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #planned = new Set<string>();
  #sweep: TimerHandle | null = null;
  #monthTimer: TimerHandle | null = null;
  #off: (() => void) | null = null;
  #stopped = false;

  constructor(options: DrillSchedulerOptions) {
    this.#o = Object.freeze({ ...options });
    this.#rules = Object.freeze({ ...DEFAULT_DRILL_RULES, ...options.rules });
    this.#random = options.random ?? cryptoRandom;
    this.#log = (options.logger ?? silentLogger).child({ component: 'drills' });
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#off = this.#o.dispatch.onDrillDispatch((d) => this.#track(this.#onDispatch(d)));
    await this.tick();
    this.#sweep = this.#o.clock.setInterval(() => this.#track(this.tick()), Math.min(ARM_HORIZON_MS, this.#o.intervalMs ?? 300_000));
  }

  stop(): void {
    this.#stopped = true;
    this.#off?.();
    this.#sweep?.cancel();
    this.#monthTimer?.cancel();
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
  }

  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** Plans the current month where needed, arms a timer per scheduled drill and ends drills past the on-scene target. */
  async tick(): Promise<void> {
    const now = this.#o.clock.now();
    for (const site of this.#o.sites) await this.#planIfNeeded(site, now);
    for (const d of await listDrills(this.#o.db, { states: ['scheduled'] })) this.#arm(d);
    for (const d of await listDrills(this.#o.db, { states: ['running'] })) {
      if (d.dispatchId && d.startedAt !== null && d.onSceneAt === null) {
        const disp = await storeCall('read drill dispatch', () => this.#o.db.selectFrom('dispatches').select(['on_scene_by_ms', 'state']).where('id', '=', d.dispatchId!).executeTakeFirst());
        if (disp && Number(disp.on_scene_by_ms) <= now && disp.state !== 'not_responding') {
          await this.#finish(d.id, 'not_on_scene', 'not on scene within the 30-minute target');
          // An order already closed cannot be released (TransitionError), which would end this sweep before the other drills.
          if (ACTIVE_DISPATCH_STATES.includes(disp.state)) await this.#o.dispatch.release(d.dispatchId, ACTOR, 'drill over: on-scene target missed');
        }
      }
    }
    this.#armMonth(now);
  }

  /** Commander view: the drills still to come, with their times. Never served to unit logins. */
  async schedule(site?: string): Promise<Drill[]> {
    return listDrills(this.#o.db, { site, states: ['scheduled'] });
  }

  async history(f: { site?: string; unitId?: string; month?: string } = {}): Promise<Drill[]> {
    return (await listDrills(this.#o.db, f)).filter((d) => d.state !== 'scheduled');
  }

  async reportByMonth(site?: string): Promise<DrillMonthReport[]> {
    const by = new Map<string, Drill[]>();
    for (const d of await listDrills(this.#o.db, { site, states: [...RAN] })) by.set(d.month, [...(by.get(d.month) ?? []), d]);
    return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, ds]) => ({
      month, drills: ds.length, units: new Set(ds.map((d) => d.unitId)).size,
      completed: ds.filter((d) => d.state === 'completed').length, failed: ds.filter((d) => d.state === 'no_ack' || d.state === 'not_on_scene').length,
      medianAckS: median(ds.flatMap((d) => (d.ackS === null ? [] : [d.ackS]))), medianOnSceneS: median(ds.flatMap((d) => (d.onSceneS === null ? [] : [d.onSceneS]))),
    }));
  }

  async reportByUnit(site?: string): Promise<DrillUnitReport[]> {
    const units = await listUnits(this.#o.db, site);
    const drills = await listDrills(this.#o.db, { site, states: [...RAN] });
    return units.map((u) => {
      const ds = drills.filter((d) => d.unitId === u.id);
      const last = ds.reduce<number | null>((m, d) => Math.max(m ?? 0, d.startedAt ?? d.scheduledAt), null);
      return {
        unit: u.id, drills: ds.length, completed: ds.filter((d) => d.state === 'completed').length,
        failed: ds.filter((d) => d.state === 'no_ack' || d.state === 'not_on_scene').length,
        lastDrilledAt: last, nextDueBy: addMonths(last ?? u.createdAt, this.#rules.maxIntervalMonths),
        medianAckS: median(ds.flatMap((d) => (d.ackS === null ? [] : [d.ackS]))), medianOnSceneS: median(ds.flatMap((d) => (d.onSceneS === null ? [] : [d.onSceneS]))),
      };
    });
  }

  /** A drill set by a commander for a given time (or now). */
  async scheduleManual(unitId: string, at: number, actor: string): Promise<Drill> {
    const unit = await getUnit(this.#o.db, unitId);
    if (!unit) throw new NotFoundError('unit', unitId);
    const tz = this.#tz(unit.site);
    const d = await this.#insert(unit.site, unitId, monthBounds(at, tz).key, 'manual', at, actor);
    this.#arm(d);
    return d;
  }

  #tz(site: string): string {
    return this.#o.sites.find((s) => s.site.id === site)?.site.timezone ?? 'UTC';
  }

  async #planIfNeeded(site: SiteConfig, now: number): Promise<void> {
    const tz = site.site.timezone;
    const month = monthBounds(now, tz);
    const key = `${site.site.id}|${month.key}`;
    if (this.#planned.has(key)) return;
    const existing = await storeCall('read drill plan', () => this.#o.db.selectFrom('drills').select(['id']).where('site', '=', site.site.id).where('month', '=', month.key).where('reason', 'in', ['due', 'random']).limit(1).execute());
    if (existing.length === 0) {
      const units = await listUnits(this.#o.db, site.site.id);
      if (units.length === 0) return;
      const ran = await listDrills(this.#o.db, { site: site.site.id, states: [...RAN, 'scheduled'] });
      const last = new Map<string, number>();
      for (const d of ran) last.set(d.unitId, Math.max(last.get(d.unitId) ?? 0, d.startedAt ?? d.scheduledAt));
      // A unit never drilled counts from when the hub first knew it.
      const since = new Map(units.map((u) => [u.id, u.createdAt]));
      const plan = planMonth({
        from: now, timeZone: tz, units: units.map((u) => u.id), random: this.#random, rules: this.#rules, since: now,
        lastDrilled: new Map(units.map((u) => [u.id, last.get(u.id) ?? since.get(u.id)!])),
      });
      // All or nothing: a half-written plan would pass for a whole one at the next start.
      // The plan row is claimed first; a replica that loses the race writes nothing.
      const written = await storeCall('write drill plan', () => this.#o.db.transaction().execute(async (trx) => {
        const claim = await trx.insertInto('drill_plans').values({ site: site.site.id, month: month.key, planned_at_ms: now })
          .onConflict((oc) => oc.columns(['site', 'month']).doNothing()).executeTakeFirst();
        if (Number(claim.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
        for (const p of plan) {
          const id = randomUUID();
          await trx.insertInto('drills').values({ id, site: site.site.id, unit_id: p.unitId, month: month.key, reason: p.reason, scheduled_at_ms: p.at, state: 'scheduled', started_at_ms: null, dispatch_id: null, acked_at_ms: null, on_scene_at_ms: null, finished_at_ms: null, outcome: null }).execute();
          await appendAudit(trx, { atMs: now, actor: SYSTEM, action: 'drill.scheduled', entity: 'drill', entityId: id, data: { unit: p.unitId, reason: p.reason, month: month.key } });
        }
        return true;
      }));
      if (written) this.#log.info('drills planned', { site: site.site.id, month: month.key, drills: plan.length });
      else this.#log.info('drills already planned by another hub', { site: site.site.id, month: month.key });
    }
    this.#planned.add(key);
  }

  async #insert(site: string, unitId: string, month: string, reason: Drill['reason'], at: number, actor: string): Promise<Drill> {
    const id = randomUUID();
    const now = this.#o.clock.now();
    await storeCall('schedule drill', () => this.#o.db.transaction().execute(async (trx) => {
      await trx.insertInto('drills').values({ id, site, unit_id: unitId, month, reason, scheduled_at_ms: at, state: 'scheduled', started_at_ms: null, dispatch_id: null, acked_at_ms: null, on_scene_at_ms: null, finished_at_ms: null, outcome: null }).execute();
      await appendAudit(trx, { atMs: now, actor, action: 'drill.scheduled', entity: 'drill', entityId: id, data: { unit: unitId, reason, month } });
    }));
    const row = await this.#o.db.selectFrom('drills').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return drillFromRow(row);
  }

  /**
   * Only drills within the horizon get a timer: Node's setTimeout fires at once
   * for delays past 2^31 ms (24.8 days), and a month is longer. The sweep arms the rest.
   */
  #arm(d: Drill): void {
    const delay = Math.max(0, d.scheduledAt - this.#o.clock.now());
    // A tick or run still in flight at stop() must not leave timers behind; start() re-arms from the table.
    if (this.#stopped || this.#timers.has(d.id) || delay > ARM_HORIZON_MS) return;
    this.#timers.set(d.id, this.#o.clock.setTimeout(() => {
      this.#timers.delete(d.id);
      this.#track(this.#run(d.id));
    }, delay));
  }

  #armMonth(now: number): void {
    this.#monthTimer?.cancel();
    if (this.#stopped) return;
    const next = Math.min(...this.#o.sites.map((s) => monthBounds(now, s.site.timezone).end));
    if (!Number.isFinite(next)) return;
    this.#monthTimer = this.#o.clock.setTimeout(() => this.#track(this.tick()), Math.min(ARM_HORIZON_MS, Math.max(1, next - now + 1)));
  }

  async #run(drillId: string): Promise<void> {
    const row = await this.#o.db.selectFrom('drills').selectAll().where('id', '=', drillId).executeTakeFirst();
    if (!row || row.state !== 'scheduled') return;
    const d = drillFromRow(row);
    const unit = await getUnit(this.#o.db, d.unitId);
    const now = this.#o.clock.now();
    const why = !unit ? 'unit no longer exists'
      : unit.status !== 'available' ? `unit is ${unit.status}`
      : (() => { const r = this.#o.units.readiness(unit, now); return r.ready ? null : `not ready: ${r.reasons.join('; ')}`; })();
    if (why) {
      await this.#finish(d.id, 'skipped', why);
      if (unit) {
        // Try again soon: the six-month rule still holds for this unit.
        const at = randomWorkingTime(now + 3_600_000, now + 3 * 86_400_000, this.#tz(d.site), this.#rules, this.#random) ?? now + 86_400_000;
        this.#arm(await this.#insert(d.site, d.unitId, d.month, d.reason, at, SYSTEM));
      }
      return;
    }
    const upd = await this.#o.db.updateTable('drills').set({ state: 'running', started_at_ms: now }).where('id', '=', d.id).where('state', '=', 'scheduled').executeTakeFirst();
    if (Number(upd.numUpdatedRows) !== 1) return;
    let disp: Dispatch;
    try {
      disp = await this.#o.dispatch.dispatchDrill({ drillId: d.id, unitId: d.unitId, location: this.#drillLocation(d.site, unit!) });
    } catch (err) {
      // Otherwise the drill would stay running with no dispatch, which the sweep never ends.
      await this.#finish(d.id, 'skipped', `dispatch failed: ${errorMessage(err)}`);
      throw err;
    }
    await this.#o.db.updateTable('drills').set({ dispatch_id: disp.id }).where('id', '=', d.id).execute();
    this.#o.events.emit('drill.updated', { drillId: d.id, unit: d.unitId, state: 'running' }, { site: d.site });
  }

  /** A random spot among the site's zones, cameras and sensors, so the drill goes somewhere real. */
  #drillLocation(siteId: string, unit: { position: { x: number; y: number } }): MapLocation {
    const site = this.#o.sites.find((s) => s.site.id === siteId);
    const spots: MapLocation[] = [];
    for (const c of site?.cameras ?? []) {
      for (const z of c.zones) { const l = locateIncident(site!, c.id, z.id); if (l) spots.push(l); }
      const l = locateIncident(site!, c.id, null);
      if (l) spots.push(l);
    }
    for (const s of site?.sensors ?? []) { const l = locateIncident(site!, s.id, null); if (l) spots.push(l); }
    return spots[Math.floor(this.#random() * spots.length)] ?? { x: unit.position.x, y: unit.position.y, from: 'post' };
  }

  async #onDispatch(disp: Dispatch): Promise<void> {
    if (!disp.drillId) return;
    const drillId = disp.drillId;
    // The unit may answer before #run has stored the dispatch id on the drill.
    const set: Record<string, number | string | null> = { dispatch_id: disp.id };
    if (disp.ackedAt !== null) set.acked_at_ms = disp.ackedAt;
    if (disp.onSceneAt !== null) set.on_scene_at_ms = disp.onSceneAt;
    await this.#o.db.updateTable('drills').set(set).where('id', '=', drillId).execute();
    if (disp.state === 'on_scene') {
      await this.#finish(drillId, 'completed', `acknowledged in ${((disp.ackedAt! - disp.orderedAt) / 1000).toFixed(0)} s, on scene in ${((disp.onSceneAt! - disp.orderedAt) / 1000).toFixed(0)} s`);
      await this.#o.dispatch.release(disp.id, ACTOR, 'drill complete');
    } else if (disp.state === 'not_responding') {
      await this.#finish(drillId, 'no_ack', 'no acknowledgement within the deadline');
    } else if (disp.state === 'cancelled') {
      await this.#finish(drillId, 'skipped', 'unit taken by a real incident');
    }
  }

  async #finish(drillId: string, state: DrillState, outcome: string): Promise<void> {
    const now = this.#o.clock.now();
    const r = await storeCall('finish drill', () => this.#o.db.updateTable('drills').set({ state, outcome, finished_at_ms: now })
      .where('id', '=', drillId).where('state', 'in', ['scheduled', 'running']).executeTakeFirst());
    if (Number(r.numUpdatedRows) !== 1) return;
    const d = drillFromRow(await this.#o.db.selectFrom('drills').selectAll().where('id', '=', drillId).executeTakeFirstOrThrow());
    await appendAudit(this.#o.db, { atMs: now, actor: SYSTEM, action: `drill.${state}`, entity: 'drill', entityId: drillId, note: outcome, data: { unit: d.unitId, ackS: d.ackS, onSceneS: d.onSceneS } });
    this.#o.events.emit('drill.updated', { drillId, unit: d.unitId, state }, { site: d.site });
  }

  #track(p: Promise<unknown>): void {
    const t = p.catch((err) => this.#log.error('drill work failed', { err: errorMessage(err) })).finally(() => this.#pending.delete(t));
    this.#pending.add(t);
  }
}

export function createDrillScheduler(options: DrillSchedulerOptions): DrillScheduler {
  return new DrillScheduler(options);
}
