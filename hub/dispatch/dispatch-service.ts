import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { TransitionError, ValidationError, errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { HubEvents } from '../events.ts';
import type { Database, IncidentRow } from '../store/schema.ts';
import type { DispatchState } from '../store/schema-ops.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { getUnit, storeCall } from '../units/unit-store.ts';
import type { UnitService, UnitWithReadiness } from '../units/unit-service.ts';
import { resolveWarning, warningKey } from '../reports/warnings-store.ts';
import type { Actor } from '../actor.ts';
import { backgroundWork, type BackgroundWork } from '../background-work.ts';
import type { Dialect } from '../store/database.ts';
import { cancelTimer, claimDueTimers, scheduleTimer, sweepFiredTimers, timerFired } from '../store/due-timers.ts';
import { getDispatch, listDispatches, updateDispatchIf, type Dispatch } from './dispatch-store.ts';
import { FINAL_INCIDENT, latestAlarm, readIncident, type IncidentPort } from './incident-port.ts';
import { locateIncident, type MapLocation } from './location.ts';
import type { Ranked } from './nearest.ts';
import { ackSubject, type DispatchOrder } from './order.ts';
import type { DispatchPolicy } from './policy.ts';
import type { OpsPublisher } from './publisher.ts';

export type UnitReport = 'acknowledged' | 'en_route' | 'on_scene';

export interface DispatchServiceOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  policy: DispatchPolicy;
  units: UnitService;
  publisher: OpsPublisher;
  /** incident transitions; when absent, incidents are only read */
  incidents?: IncidentPort;
  logger?: Logger;
  /** how due timers are claimed (row locks on PostgreSQL); @default sqlite */
  dialect?: Dialect;
  /**
   * Acknowledgement deadlines are rows in due_timers, claimed with a lease by
   * whichever replica sees them due; `owner` names this replica.
   */
  timers?: { owner?: string; leaseMs?: number; pollMs?: number };
}

/** What an order is about: an incident, or a drill (which has no incident behind it). */
interface OrderTarget {
  incidentId: string;
  site: string;
  kind: string;
  severity: IncidentRow['severity'];
  /** null for a drill */
  incident: IncidentRow | null;
}

const targetOf = (inc: IncidentRow): OrderTarget => ({ incidentId: inc.id, site: inc.site, kind: inc.kind, severity: inc.severity, incident: inc });

export interface DrillOrder {
  drillId: string;
  unitId: string;
  location: MapLocation | null;
}

const SYSTEM = 'system:dispatch';
const ACK_TIMER = 'dispatch.ack';
const FIRED_KEPT_MS = 7 * 24 * 3600 * 1000;
/** Who may see drill dispatches (drills are unannounced). */
const COMMAND_ROLES: ReadonlySet<string> = new Set(['commander', 'admin', 'system']);
const FROM: Record<UnitReport, readonly DispatchState[]> = {
  acknowledged: ['ordered'],
  // Reporting progress implies the order was received.
  en_route: ['ordered', 'acknowledged'],
  on_scene: ['ordered', 'acknowledged', 'en_route'],
};
const UNIT_STATUS_FOR: Record<UnitReport, 'dispatched' | 'en_route' | 'on_scene'> = { acknowledged: 'dispatched', en_route: 'en_route', on_scene: 'on_scene' };

/**
 * Nearest-first dispatch with acknowledgement deadlines. Every deadline lives
 * in the dispatches table, so start() re-arms the timers after a restart; work
 * on one incident is serialised so that an escalation and an operator's manual
 * dispatch cannot both pick the same "next nearest" unit.
 */
export class DispatchService {
  readonly #o: Readonly<DispatchServiceOptions>;
  readonly #log: Logger;
  readonly #sites: ReadonlyMap<string, SiteConfig>;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #work: BackgroundWork;
  #offs: (() => void)[] = [];
  #stopped = false;
  #drillListeners: ((d: Dispatch) => void)[] = [];
  readonly #owner: string;
  #poll: TimerHandle | null = null;
  #firing: Promise<void> | null = null;
  #fireAgain = false;
  #polls = 0;

  constructor(options: DispatchServiceOptions) {
    this.#o = Object.freeze({ ...options });
    this.#log = (options.logger ?? silentLogger).child({ component: 'dispatch' });
    this.#work = backgroundWork((err) => this.#log.error('dispatch work failed', { err: errorMessage(err) }));
    this.#sites = new Map(options.sites.map((s) => [s.site.id, s]));
    this.#owner = options.timers?.owner ?? `hub-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  get policy(): DispatchPolicy { return this.#o.policy; }

  /**
   * Subscribes to incident events and re-arms acknowledgement timers stored
   * before a restart. Units go out by themselves only for incidents whose
   * alarm policy outcome is `dispatch`; the rest wait for an operator.
   */
  async start(): Promise<void> {
    const { events } = this.#o;
    this.#stopped = false;
    this.#offs.push(events.on('incident.created', (e) => { if (e.data.incident.outcome === 'dispatch') this.#track(this.autoDispatch(e.data.incident.id)); }));
    this.#offs.push(events.on('incident.updated', (e) => {
      const { incident, change, to } = e.data;
      if (change === 'escalated' && incident.outcome === 'dispatch') this.#track(this.autoDispatch(incident.id, 'top_up'));
      else if (change === 'transition' && to && FINAL_INCIDENT.has(to)) this.#track(this.releaseIncident(incident.id, `incident ${to}`));
    }));
    const open = await listDispatches(this.#o.db, { state: 'ordered', limit: 100_000 });
    for (const d of open) this.#arm(d);
    // Local wake-ups fire this replica's own deadlines on time; the poll takes over those of a replica that died.
    this.#poll = this.#o.clock.setInterval(() => this.#fireDue(), this.#o.timers?.pollMs ?? 1000);
    this.#log.info('dispatcher started', { rearmed: open.length, owner: this.#owner });
  }

  stop(): void {
    this.#stopped = true;
    for (const off of this.#offs) off();
    this.#offs = [];
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#poll?.cancel();
    this.#poll = null;
  }

  /** Resolves when every piece of background work started so far (event handlers, timers) has settled. */
  async idle(): Promise<void> {
    await this.#work.idle();
  }

  /** Called for every change to a drill dispatch; the drill scheduler records ack and on-scene times from it. */
  onDrillDispatch(fn: (d: Dispatch) => void): () => void {
    this.#drillListeners.push(fn);
    return () => { this.#drillListeners = this.#drillListeners.filter((f) => f !== fn); };
  }

  /** The ready units an operator would pick from for an incident, nearest (by ETA) first, with where the incident is. */
  async candidates(incidentId: string): Promise<{ location: MapLocation | null; candidates: Ranked<UnitWithReadiness>[] }> {
    const inc = await this.#incident(incidentId);
    const location = await this.#where(inc);
    return { location, candidates: location ? await this.#o.units.candidates(inc.site, location) : [] };
  }

  /**
   * Sends as many units as the policy asks for the incident's kind and severity,
   * less those already active on it; `top_up` after a severity escalation.
   */
  async autoDispatch(incidentId: string, reason: 'auto' | 'top_up' = 'auto'): Promise<Dispatch[]> {
    return this.#locked(incidentId, async () => {
      const inc = await this.#incident(incidentId);
      if (FINAL_INCIDENT.has(inc.status)) return [];
      const want = this.#o.policy.unitsFor(inc.kind, inc.severity);
      if (want === 0) return [];
      const active = (await listDispatches(this.#o.db, { incidentId, active: true })).length;
      if (active >= want) return [];
      return this.#sendNearest(targetOf(inc), want - active, SYSTEM, reason);
    });
  }

  /**
   * An operator's dispatch: named units (each must be ready and available, or
   * the whole request is refused naming the unit and why), or the `count` nearest.
   */
  async dispatch(incidentId: string, request: { actor: Actor; units?: readonly string[]; count?: number }): Promise<Dispatch[]> {
    return this.#locked(incidentId, async () => {
      const inc = await this.#incident(incidentId);
      if (FINAL_INCIDENT.has(inc.status)) throw new TransitionError(inc.status, 'dispatched');
      const target = targetOf(inc);
      if (!request.units?.length) {
        const sent = await this.#sendNearest(target, request.count ?? 1, request.actor.name, 'manual');
        if (sent.length === 0) throw new ValidationError('count', `no ready and available unit at site ${inc.site}`, { key: 'error.no_ready_unit', params: { site: inc.site } });
        return sent;
      }
      const where = await this.#where(inc);
      const active = new Set((await listDispatches(this.#o.db, { incidentId, active: true })).map((d) => d.unitId));
      const picked: Ranked<UnitWithReadiness>[] = [];
      for (const [i, id] of request.units.entries()) {
        const unit = await getUnit(this.#o.db, id);
        if (!unit || unit.site !== inc.site) throw new ValidationError(`units.${i}`, `unit ${id} does not exist at site ${inc.site}`, { key: 'error.unit_unknown', params: { unit: id, site: inc.site } });
        const readiness = this.#o.units.readiness(unit);
        if (!readiness.ready) throw new ValidationError(`units.${i}`, `unit ${id} is not ready: ${readiness.reasons.join('; ')}`, { key: 'error.unit_not_ready', params: { unit: id, reasons: readiness.reasons.join('; ') } });
        if (active.has(id)) throw new ValidationError(`units.${i}`, `unit ${id} is already dispatched to this incident`, { key: 'error.unit_already', params: { unit: id } });
        if (unit.status !== 'available') throw new ValidationError(`units.${i}`, `unit ${id} is ${unit.status}, not available`, { key: 'error.unit_busy', params: { unit: id, status: unit.status } });
        const distance = where ? Math.hypot(unit.position.x - where.x, unit.position.y - where.y) : NaN;
        picked.push({ unit: { ...unit, readiness }, distance, etaS: distance / this.#o.units.speedOf(unit) });
      }
      const out: Dispatch[] = [];
      for (const [i, r] of picked.entries()) out.push(await this.#send(target, where, r, request.actor.name, active.size + i + 1, 'manual'));
      return out;
    });
  }

  /**
   * A unit's acknowledgement or progress report. A unit (from its login or its
   * NATS subject) reports only on its own dispatches; to it, another unit's
   * dispatch does not exist.
   */
  async report(dispatchId: string, status: UnitReport, actor: Actor): Promise<Dispatch> {
    const d0 = await getDispatch(this.#o.db, dispatchId);
    const ownUnit = actor.role === 'unit' ? actor.unit ?? '\u0000' : actor.unit;
    if (!d0 || (ownUnit !== undefined && d0.unitId !== ownUnit)) throw new NotFoundError('dispatch', dispatchId);
    return this.#locked(d0.incidentId, async () => {
      const d = (await getDispatch(this.#o.db, dispatchId))!;
      const now = this.#o.clock.now();
      const order: DispatchState[] = ['ordered', 'acknowledged', 'en_route', 'on_scene'];
      // Repeating a report (a retried request) is harmless and changes nothing.
      if (order.indexOf(d.state) >= order.indexOf(status) && order.includes(d.state)) return d;
      if (!FROM[status].includes(d.state)) throw new TransitionError(d.state, status, 'dispatch');
      const set = {
        state: status,
        acked_at_ms: d.ackedAt ?? now,
        ...(status === 'en_route' || status === 'on_scene' ? { en_route_at_ms: d.enRouteAt ?? now } : {}),
        ...(status === 'on_scene' ? { on_scene_at_ms: now } : {}),
      };
      if (!(await updateDispatchIf(this.#o.db, d.id, FROM[status], set))) throw new TransitionError(d.state, status, 'dispatch');
      this.#timers.get(d.id)?.cancel();
      this.#timers.delete(d.id);
      const unitStatus = d.drill ? null : UNIT_STATUS_FOR[status];
      await storeCall('record unit report', () => this.#o.db.transaction().execute(async (trx) => {
        await cancelTimer(trx, ACK_TIMER, d.id);
        if (unitStatus) await this.#o.units.record(trx, d.unitId, unitStatus, now);
        if (status === 'on_scene') await resolveWarning(trx, warningKey.onScene(d.id), now);
        await appendAudit(trx, { atMs: now, actor: actor.name, action: `dispatch.${status}`, entity: 'dispatch', entityId: d.id, data: { incident: d.incidentId, unit: d.unitId, drill: d.drill, afterMs: now - d.orderedAt } });
      }));
      const updated = (await getDispatch(this.#o.db, d.id))!;
      this.#announce(updated, d.state);
      if (unitStatus) this.#o.units.announce(d.unitId, d.site, unitStatus);
      if (!d.drill && status === 'on_scene') await this.#incidentTo(d.incidentId, 'on_scene', actor.name, `unit ${d.unitId} on scene`);
      return updated;
    });
  }

  /** Ends every active dispatch of a finished incident and frees its units. */
  async releaseIncident(incidentId: string, why: string, actor: string = SYSTEM): Promise<number> {
    return this.#locked(incidentId, async () => {
      const active = await listDispatches(this.#o.db, { incidentId, active: true });
      for (const d of active) await this.#close(d, d.state === 'on_scene' ? 'released' : 'cancelled', actor, why);
      return active.length;
    });
  }

  /** Stands one unit down (released when on scene, cancelled before). */
  async release(dispatchId: string, actor: Actor, why = 'released by operator'): Promise<Dispatch> {
    const d0 = await getDispatch(this.#o.db, dispatchId);
    // Drills stay unannounced: to anyone but command, a drill dispatch does not exist.
    if (!d0 || (d0.drill && !COMMAND_ROLES.has(actor.role ?? 'system'))) throw new NotFoundError('dispatch', dispatchId);
    return this.#locked(d0.incidentId, async () => {
      const d = (await getDispatch(this.#o.db, dispatchId))!;
      if (!['ordered', 'acknowledged', 'en_route', 'on_scene'].includes(d.state)) throw new TransitionError(d.state, 'released', 'dispatch');
      await this.#close(d, d.state === 'on_scene' ? 'released' : 'cancelled', actor.name, why);
      return (await getDispatch(this.#o.db, d.id))!;
    });
  }

  /**
   * A readiness drill goes down the same order path. The order looks like any
   * other (no drill flag), so the unit's response is the real one; the drill is
   * revealed when the unit reports on scene. The order's incident reference is
   * a fresh id with no incident behind it, and the unit's status is left alone
   * so that a real incident can still take the unit (which cancels the drill).
   */
  async dispatchDrill(drill: DrillOrder): Promise<Dispatch> {
    const unit = await getUnit(this.#o.db, drill.unitId);
    if (!unit) throw new NotFoundError('unit', drill.unitId);
    const target: OrderTarget = { incidentId: randomUUID(), site: unit.site, kind: 'sensor.input', severity: 'warning', incident: null };
    const where = drill.location ?? { x: unit.position.x, y: unit.position.y, from: 'post' };
    const distance = Math.hypot(unit.position.x - where.x, unit.position.y - where.y);
    const ranked = { unit: { ...unit, readiness: this.#o.units.readiness(unit) }, distance, etaS: distance / this.#o.units.speedOf(unit) };
    return this.#locked(target.incidentId, () => this.#send(target, where, ranked, 'system:drills', 1, 'auto', drill.drillId));
  }

  async #sendNearest(target: OrderTarget, k: number, actor: string, reason: 'auto' | 'manual' | 'escalation' | 'top_up'): Promise<Dispatch[]> {
    const where = target.incident ? await this.#where(target.incident) : null;
    if (!where) {
      this.#log.warn('incident has no map location; waiting for an operator', { incident: target.incidentId });
      await appendAudit(this.#o.db, { atMs: this.#o.clock.now(), actor: SYSTEM, action: 'dispatch.no_location', entity: 'incident', entityId: target.incidentId });
      return [];
    }
    const involved = new Set((await listDispatches(this.#o.db, { incidentId: target.incidentId, limit: 100_000 })).map((d) => d.unitId));
    const ranked = (await this.#o.units.candidates(target.site, where, involved)).slice(0, k);
    if (ranked.length < k) {
      await appendAudit(this.#o.db, { atMs: this.#o.clock.now(), actor: SYSTEM, action: 'dispatch.short', entity: 'incident', entityId: target.incidentId, note: `wanted ${k} units, ${ranked.length} ready and available`, data: { wanted: k, found: ranked.length, reason } });
    }
    const out: Dispatch[] = [];
    for (const [i, r] of ranked.entries()) out.push(await this.#send(target, where, r, actor, involved.size + i + 1, reason));
    return out;
  }

  async #send(target: OrderTarget, where: MapLocation | null, r: Ranked<UnitWithReadiness>, actor: string, rank: number, reason: 'auto' | 'manual' | 'escalation' | 'top_up', drillId: string | null = null): Promise<Dispatch> {
    const { db, clock, policy } = this.#o;
    const now = clock.now();
    const id = randomUUID();
    const drill = drillId !== null;
    const order = await this.#order(target, where, r, id, now);
    const distance = Number.isFinite(r.distance) ? r.distance : null;
    const etaS = Number.isFinite(r.etaS) ? r.etaS : null;
    // A real call takes a unit out of any drill it is running.
    const drills = drill ? [] : await listDispatches(db, { unitId: r.unit.id, active: true, drill: true });
    await storeCall(`dispatch unit ${r.unit.id}`, () => db.transaction().execute(async (trx) => {
      await trx.insertInto('dispatches').values({
        id, incident_id: target.incidentId, site: target.site, unit_id: r.unit.id, kind: target.kind, severity: target.severity,
        drill: drill ? 1 : 0, drill_id: drillId, state: 'ordered', ordered_by: actor, distance, eta_s: etaS,
        order_json: JSON.stringify(order), ordered_at_ms: now, ack_by_ms: now + policy.ackTimeoutMs,
        acked_at_ms: null, en_route_at_ms: null, on_scene_at_ms: null, on_scene_by_ms: now + policy.onSceneTargetMs, closed_at_ms: null, replaced_by: null,
      }).execute();
      await scheduleTimer(trx, ACK_TIMER, id, now + policy.ackTimeoutMs);
      if (!drill) await this.#o.units.record(trx, r.unit.id, 'dispatched', now);
      await appendAudit(trx, {
        atMs: now, actor, action: drill ? 'drill.dispatch.sent' : 'dispatch.sent', entity: drill ? 'drill' : 'incident', entityId: drillId ?? target.incidentId,
        note: `unit ${r.unit.id} (${reason}, rank ${rank})`, data: { dispatch: id, unit: r.unit.id, distance, etaS, reason, ackBy: now + policy.ackTimeoutMs },
      });
    }));
    for (const dd of drills) await this.#close(dd, 'cancelled', SYSTEM, `unit taken by incident ${target.incidentId}`);
    const d = (await getDispatch(db, id))!;
    this.#arm(d);
    try {
      await this.#o.publisher.order(order);
    } catch (err) {
      // The ack deadline still runs: if the unit never hears of the order, the next unit goes.
      this.#log.error('order not published', { dispatch: id, unit: r.unit.id, err: errorMessage(err) });
    }
    if (drill) this.#notifyDrill(d);
    else {
      this.#o.events.emit('dispatch.sent', { dispatch: d, rank, reason }, { site: d.site, unit: d.unitId });
      this.#o.units.announce(d.unitId, d.site, 'dispatched');
      await this.#incidentTo(target.incidentId, 'dispatched', actor, `unit ${r.unit.id} dispatched`);
    }
    return d;
  }

  async #order(target: OrderTarget, where: MapLocation | null, r: Ranked<UnitWithReadiness>, id: string, now: number): Promise<DispatchOrder> {
    const { policy } = this.#o;
    let snapshot: DispatchOrder['snapshot'] = null;
    const known: Record<string, unknown> = {};
    const inc = target.incident;
    if (!inc) {
      known.message = 'Assistance requested at this location; report on arrival.';
    } else {
      known.alarmCount = inc.alarm_count;
      if (inc.peak_density !== null) known.peakDensity = inc.peak_density;
      const alarm = await latestAlarm(this.#o.db, inc.id);
      if (alarm) {
        const a = JSON.parse(alarm.payload) as Record<string, unknown> & { snapshot?: { bucket: string; name: string } | null };
        if (a.snapshot) snapshot = { bucket: a.snapshot.bucket, name: a.snapshot.name };
        for (const k of ['message', 'crowd', 'object', 'sensor', 'health', 'capturedAt', 'camera', 'zone']) if (a[k] !== undefined) known[k] = a[k];
      }
    }
    return {
      v: 1, dispatchId: id, incident: target.incidentId, site: target.site, unit: r.unit.id, kind: target.kind, severity: target.severity,
      location: where, snapshot, known,
      distance: Number.isFinite(r.distance) ? Math.round(r.distance * 10) / 10 : null,
      etaS: Number.isFinite(r.etaS) ? Math.round(r.etaS) : null,
      orderedAt: new Date(now).toISOString(), ackBy: new Date(now + policy.ackTimeoutMs).toISOString(),
      onSceneBy: new Date(now + policy.onSceneTargetMs).toISOString(), ackSubject: ackSubject(r.unit.id),
    };
  }

  #arm(d: Dispatch): void {
    this.#timers.get(d.id)?.cancel();
    // Work still in flight at stop() must not leave a timer behind; the deadline is in the table and start() re-arms it.
    if (this.#stopped) return;
    const delay = Math.max(0, d.ackBy - this.#o.clock.now());
    this.#timers.set(d.id, this.#o.clock.setTimeout(() => {
      this.#timers.delete(d.id);
      this.#fireDue();
    }, delay));
  }

  /**
   * Claims every due acknowledgement timer not held by a live replica and
   * fires it; one run at a time in this process (a call meanwhile runs again
   * after it). A replica that dies holding a claim loses it when the lease
   * ends, and the next poll anywhere takes it; #ackExpired changes nothing for
   * a dispatch no longer `ordered`, so a second firing after a lost claim is harmless.
   */
  #fireDue(): void {
    if (this.#stopped) return;
    if (this.#firing) { this.#fireAgain = true; return; }
    const { db, clock } = this.#o;
    const leaseMs = this.#o.timers?.leaseMs ?? 5000;
    const run = (async () => {
      do {
        this.#fireAgain = false;
        for (;;) {
          const claimed = await claimDueTimers(db, this.#o.dialect ?? 'sqlite', { owner: this.#owner, now: clock.now(), leaseMs, limit: 50, kinds: [ACK_TIMER] });
          for (const t of claimed) {
            await this.#ackExpired(t.ref);
            if (!(await timerFired(db, t.id, this.#owner, clock.now()))) this.#log.warn('timer claim lost before it was marked fired', { timer: t.id });
          }
          if (claimed.length < 50 || this.#stopped) break;
        }
      } while (this.#fireAgain && !this.#stopped);
      if (++this.#polls % 3600 === 0) await sweepFiredTimers(db, clock.now() - FIRED_KEPT_MS);
    })();
    this.#firing = run.finally(() => { this.#firing = null; });
    this.#track(this.#firing);
  }

  /** No acknowledgement in time: mark the unit not_responding and send the next nearest ready unit. */
  async #ackExpired(dispatchId: string): Promise<void> {
    const d0 = await getDispatch(this.#o.db, dispatchId);
    if (!d0 || d0.state !== 'ordered') return;
    await this.#locked(d0.incidentId, async () => {
      const now = this.#o.clock.now();
      if (!(await updateDispatchIf(this.#o.db, dispatchId, ['ordered'], { state: 'not_responding', closed_at_ms: now }))) return;
      const d = (await getDispatch(this.#o.db, dispatchId))!;
      await storeCall('record not_responding', () => this.#o.db.transaction().execute(async (trx) => {
        // A unit that let an order lapse is not sent again until someone clears it.
        if (!d.drill) await this.#o.units.record(trx, d.unitId, 'unavailable', now);
        await appendAudit(trx, { atMs: now, actor: SYSTEM, action: d.drill ? 'drill.dispatch.not_responding' : 'dispatch.not_responding', entity: d.drill ? 'drill' : 'incident', entityId: d.drillId ?? d.incidentId, note: `unit ${d.unitId} did not acknowledge within ${this.#o.policy.config.ackTimeoutS} s`, data: { dispatch: d.id, unit: d.unitId } });
      }));
      if (d.drill) { this.#notifyDrill(d); return; }
      this.#o.units.announce(d.unitId, d.site, 'unavailable');
      const inc = await readIncident(this.#o.db, d.incidentId);
      let next: Dispatch | undefined;
      if (inc && !FINAL_INCIDENT.has(inc.status)) {
        [next] = await this.#sendNearest(targetOf(inc), 1, SYSTEM, 'escalation');
        if (next) {
          await updateDispatchIf(this.#o.db, d.id, ['not_responding'], { replaced_by: next.id });
          await appendAudit(this.#o.db, { atMs: now, actor: SYSTEM, action: 'dispatch.escalated', entity: 'incident', entityId: d.incidentId, note: `unit ${d.unitId} replaced by ${next.unitId}`, data: { from: d.id, to: next.id } });
        } else if ((await listDispatches(this.#o.db, { incidentId: d.incidentId, active: true })).length === 0 && inc.status === 'dispatched' && this.#o.incidents) {
          // Nobody is on the way any more: hand the incident back to the operators.
          try {
            await this.#o.incidents.transition(d.incidentId, 'acknowledged', SYSTEM, `no unit responded (last: ${d.unitId}); dispatch needed`);
          } catch (err) {
            if (!(err instanceof TransitionError)) throw err;
          }
        }
      }
      this.#o.events.emit('dispatch.not_responding', { dispatch: { ...d, replacedBy: next?.id ?? null }, replacedBy: next?.id ?? null }, { site: d.site, unit: d.unitId });
    });
  }

  async #close(d: Dispatch, to: 'released' | 'cancelled', actor: string, why: string): Promise<void> {
    const now = this.#o.clock.now();
    if (!(await updateDispatchIf(this.#o.db, d.id, ['ordered', 'acknowledged', 'en_route', 'on_scene'], { state: to, closed_at_ms: now }))) return;
    this.#timers.get(d.id)?.cancel();
    this.#timers.delete(d.id);
    await storeCall('close dispatch', () => this.#o.db.transaction().execute(async (trx) => {
      await cancelTimer(trx, ACK_TIMER, d.id);
      if (!d.drill) await this.#o.units.record(trx, d.unitId, 'available', now, ['dispatched', 'en_route', 'on_scene']);
      await appendAudit(trx, { atMs: now, actor, action: d.drill ? `drill.dispatch.${to}` : `dispatch.${to}`, entity: d.drill ? 'drill' : 'incident', entityId: d.drillId ?? d.incidentId, note: why, data: { dispatch: d.id, unit: d.unitId } });
    }));
    const updated = (await getDispatch(this.#o.db, d.id))!;
    this.#announce(updated, d.state);
    if (!d.drill) this.#o.units.announce(d.unitId, d.site, 'available');
  }

  #announce(d: Dispatch, from: string): void {
    if (d.drill) this.#notifyDrill(d);
    else this.#o.events.emit('dispatch.updated', { dispatch: d, from }, { site: d.site, unit: d.unitId });
  }

  #notifyDrill(d: Dispatch): void {
    for (const fn of this.#drillListeners) {
      try { fn(d); } catch (err) { this.#log.error('drill listener failed', { err: errorMessage(err) }); }
    }
  }

  async #incident(id: string): Promise<IncidentRow> {
    const inc = this.#o.incidents ? await this.#o.incidents.get(id) : await readIncident(this.#o.db, id);
    if (!inc) throw new NotFoundError('incident', id);
    return inc;
  }

  /** Where an incident is on its site's map, or null when the config does not place it. */
  async locate(incidentId: string): Promise<MapLocation | null> {
    return this.#where(await this.#incident(incidentId));
  }

  async #where(inc: IncidentRow): Promise<MapLocation | null> {
    const site = this.#sites.get(inc.site);
    if (!site) return null;
    const alarm = await latestAlarm(this.#o.db, inc.id);
    return locateIncident(site, alarm?.camera ?? '', alarm?.zone ?? (inc.zone || null));
  }

  async #incidentTo(id: string, to: 'dispatched' | 'on_scene', actor: string, note: string): Promise<void> {
    const port = this.#o.incidents;
    if (!port) return;
    const inc = await port.get(id);
    const from = to === 'dispatched' ? ['open', 'acknowledged'] : ['dispatched'];
    if (!inc || !from.includes(inc.status)) return;
    try {
      await port.transition(id, to, actor, note);
    } catch (err) {
      // Someone else moved the incident meanwhile (an operator, another unit); the dispatch stands.
      if (!(err instanceof TransitionError)) throw err;
      this.#log.info('incident transition skipped', { incident: id, to, err: err.message });
    }
  }

  #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    // The caller gets `run` and its error; the queue only needs to know it settled.
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => { if (this.#locks.get(key) === tail) this.#locks.delete(key); });
    return run;
  }

  #track(p: Promise<unknown>): void {
    this.#work.track(p);
  }
}

export function createDispatchService(options: DispatchServiceOptions): DispatchService {
  return new DispatchService(options);
}
