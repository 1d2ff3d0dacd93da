import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../common/clock.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { StoreError } from '../../common/errors.ts';
import type { Actor } from '../actor.ts';
import { AccessDeniedError } from '../service-errors.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import { ACTIVE_DISPATCH_STATES, type UnitStatus } from '../store/schema-ops.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { rankByEta, type Ranked } from '../dispatch/nearest.ts';
import { assessReadiness, type Readiness, type RosterShift } from './readiness.ts';
import { getUnit, listUnits, storeCall, unitFromRow, upsertUnit, type Unit } from './unit-store.ts';

export interface UnitWithReadiness extends Unit {
  readiness: Readiness;
}

/** Statuses people set by hand; the others follow the unit's dispatches. */
export const MANUAL_UNIT_STATUSES = ['available', 'unavailable', 'off_duty'] as const;
export type ManualUnitStatus = (typeof MANUAL_UNIT_STATUSES)[number];

export interface UnitServiceOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  /** map units per second for a unit without a speed of its own (the dispatch policy's) */
  speedOf: (unitId: string, site: string) => number;
}

/**
 * Response units: who they are, whether the plan counts them as ready (≥ 5
 * members, ≥ 3 on duty with the duty leader, in site time), how far they are
 * from a place, and their status. Every status change writes, audits and is
 * announced in one place: the row and its audit entry in one transaction, the
 * event after it commits.
 */
export class UnitService {
  readonly #o: Readonly<UnitServiceOptions>;
  readonly #zones: ReadonlyMap<string, string>;

  constructor(options: UnitServiceOptions) {
    this.#o = Object.freeze({ ...options });
    this.#zones = new Map(options.sites.map((s) => [s.site.id, s.site.timezone]));
  }

  /** Inserts or refreshes every site's units from its config (members, roster, kit, post); the live status is kept. */
  async seed(): Promise<void> {
    const now = this.#o.clock.now();
    for (const s of this.#o.sites) for (const u of s.units) await upsertUnit(this.#o.db, s.site.id, u, now);
  }

  readiness(unit: Unit, at = this.#o.clock.now()): Readiness {
    return assessReadiness(unit, at, this.#zones.get(unit.site) ?? 'UTC');
  }

  speedOf(u: Unit): number {
    return u.speed ?? this.#o.speedOf(u.id, u.site);
  }

  async list(site?: string): Promise<UnitWithReadiness[]> {
    const now = this.#o.clock.now();
    return (await listUnits(this.#o.db, site)).map((u) => ({ ...u, readiness: this.readiness(u, now) }));
  }

  async get(id: string): Promise<UnitWithReadiness> {
    const u = await getUnit(this.#o.db, id);
    if (!u) throw new NotFoundError('unit', id);
    return { ...u, readiness: this.readiness(u) };
  }

  /** Units on an active real (not drill) dispatch. */
  async busy(site: string): Promise<Set<string>> {
    const rows = await storeCall('list busy units', () => this.#o.db.selectFrom('dispatches').select('unit_id')
      .where('site', '=', site).where('drill', '=', 0).where('state', 'in', [...ACTIVE_DISPATCH_STATES]).execute());
    return new Set(rows.map((r) => r.unit_id));
  }

  /** Ready, available, not busy units of a site, by ETA from `at` (nearest first), leaving out `exclude`. */
  async candidates(site: string, at: { x: number; y: number }, exclude: ReadonlySet<string> = new Set()): Promise<Ranked<UnitWithReadiness>[]> {
    const busy = await this.busy(site);
    const free = (await this.list(site))
      .filter((u) => u.status === 'available' && u.readiness.ready && !exclude.has(u.id) && !busy.has(u.id))
      .map((u) => ({ ...u, x: u.position.x, y: u.position.y }));
    const speeds = new Map(free.map((u) => [u.id, this.speedOf(u)]));
    return rankByEta(free, at, (id) => speeds.get(id)!);
  }

  /**
   * A status set by hand (available, unavailable, off duty). A unit login may
   * set its own only; a unit on an active dispatch must be released first.
   */
  async setStatus(id: string, status: ManualUnitStatus, actor: Actor, note: string | null = null): Promise<UnitWithReadiness> {
    this.#ownUnit(actor, id);
    const now = this.#o.clock.now();
    const { site } = await storeCall(`set unit ${id} status`, () => this.#o.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('units').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('unit', id);
      const active = await trx.selectFrom('dispatches').select('id').where('unit_id', '=', id).where('drill', '=', 0).where('state', 'in', [...ACTIVE_DISPATCH_STATES]).execute();
      if (active.length) throw new StoreError('STORE_CONFLICT', `unit ${id} has ${active.length} active dispatch(es); release them first`);
      await trx.updateTable('units').set({ status, status_at_ms: now, updated_at_ms: now }).where('id', '=', id).execute();
      await appendAudit(trx, { atMs: now, actor: actor.name, action: 'unit.status', entity: 'unit', entityId: id, note, data: { from: row.status, to: status } });
      return { site: row.site };
    }));
    this.announce(id, site, status);
    return this.get(id);
  }

  /** A commander's roster edit; it survives restarts until the config's own roster changes. */
  async setRoster(id: string, roster: readonly RosterShift[], actor: Actor): Promise<UnitWithReadiness> {
    const now = this.#o.clock.now();
    const unit = await storeCall(`set unit ${id} roster`, () => this.#o.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('units').set({ roster: JSON.stringify(roster), updated_at_ms: now }).where('id', '=', id).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw new NotFoundError('unit', id);
      await appendAudit(trx, { atMs: now, actor: actor.name, action: 'unit.roster', entity: 'unit', entityId: id, data: roster });
      return unitFromRow((await trx.selectFrom('units').selectAll().where('id', '=', id).executeTakeFirst())!);
    }));
    this.announce(id, unit.site, unit.status);
    return { ...unit, readiness: this.readiness(unit) };
  }

  /**
   * A status that follows a dispatch, written inside the dispatch's own
   * transaction. `only` guards against overwriting a status someone set meanwhile.
   */
  async record(trx: Transaction<Database>, id: string, status: UnitStatus, at: number, only?: readonly UnitStatus[]): Promise<void> {
    let q = trx.updateTable('units').set({ status, status_at_ms: at, updated_at_ms: at }).where('id', '=', id);
    if (only) q = q.where('status', 'in', [...only]);
    await q.execute();
  }

  /** unit.updated on the hub bus, routed to the unit's own login as well; call after the change has committed. */
  announce(id: string, site: string, status: string): void {
    this.#o.events.emit('unit.updated', { unit: id, site, status }, { site, unit: id });
  }

  #ownUnit(actor: Actor, id: string): void {
    if (actor.role === 'unit' && actor.unit !== id) throw new AccessDeniedError(`a unit login may act only for its own unit`, 'error.own_unit_only');
  }
}

export function createUnitService(options: UnitServiceOptions): UnitService {
  return new UnitService(options);
}
