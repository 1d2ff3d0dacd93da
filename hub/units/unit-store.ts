import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { UnitStatus, UnitTable } from '../store/schema-ops.ts';
import type { UnitConfig } from '../../common/config/site.ts';
import type { RosterShift } from './readiness.ts';
import { StoreError } from '../../common/errors.ts';

export interface Unit {
  id: string;
  site: string;
  name: string;
  members: { id: string; name: string; role?: string | undefined }[];
  roster: RosterShift[];
  equipment: string[];
  position: { x: number; y: number; lat?: number | undefined; lon?: number | undefined };
  speed: number | null;
  status: UnitStatus;
  statusAt: number;
  createdAt: number;
  updatedAt: number;
}

export function unitFromRow(r: Selectable<UnitTable>): Unit {
  return {
    id: r.id, site: r.site, name: r.name,
    members: JSON.parse(r.members), roster: JSON.parse(r.roster), equipment: JSON.parse(r.equipment),
    position: { x: Number(r.x), y: Number(r.y), ...(r.lat !== null ? { lat: Number(r.lat) } : {}), ...(r.lon !== null ? { lon: Number(r.lon) } : {}) },
    speed: r.speed === null ? null : Number(r.speed),
    status: r.status, statusAt: Number(r.status_at_ms), createdAt: Number(r.created_at_ms), updatedAt: Number(r.updated_at_ms),
  };
}

/** Wraps a driver failure in a StoreError that says what was being done. */
export async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_QUERY', `${what}: ${(err as Error).message}`, { cause: err });
  }
}

export async function listUnits(db: Kysely<Database>, site?: string): Promise<Unit[]> {
  return storeCall('list units', async () => {
    let q = db.selectFrom('units').selectAll().orderBy('site').orderBy('id');
    if (site) q = q.where('site', '=', site);
    return (await q.execute()).map(unitFromRow);
  });
}

export async function getUnit(db: Kysely<Database>, id: string): Promise<Unit | null> {
  return storeCall(`read unit ${id}`, async () => {
    const r = await db.selectFrom('units').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? unitFromRow(r) : null;
  });
}

export async function setUnitStatus(db: Kysely<Database>, id: string, status: UnitStatus, at: number): Promise<void> {
  await storeCall(`set unit ${id} status`, () => db.updateTable('units').set({ status, status_at_ms: at, updated_at_ms: at }).where('id', '=', id).execute());
}

export async function setUnitRoster(db: Kysely<Database>, id: string, roster: readonly RosterShift[], at: number): Promise<void> {
  await storeCall(`set unit ${id} roster`, () => db.updateTable('units').set({ roster: JSON.stringify(roster), updated_at_ms: at }).where('id', '=', id).execute());
}

/**
 * Inserts or refreshes a unit from the site config. The config owns who is in
 * the unit, its kit and post. The roster follows the config too, except that a
 * commander's edit (PUT /api/units/:id/roster) survives restarts until the
 * config's own roster changes. The live status is kept.
 */
export async function upsertUnit(db: Kysely<Database>, site: string, u: UnitConfig, at: number, speed: number | null = null): Promise<void> {
  const configRoster = JSON.stringify(u.roster);
  const fields = {
    site, name: u.name,
    members: JSON.stringify(u.members), equipment: JSON.stringify(u.equipment),
    x: u.position.x, y: u.position.y, lat: u.position.lat ?? null, lon: u.position.lon ?? null, speed,
    updated_at_ms: at,
  };
  await storeCall(`upsert unit ${u.id}`, () => db.transaction().execute(async (trx) => {
    const cur = await trx.selectFrom('units').select(['config_roster']).where('id', '=', u.id).executeTakeFirst();
    if (!cur) {
      await trx.insertInto('units').values({ id: u.id, ...fields, roster: configRoster, config_roster: configRoster, status: u.status, status_at_ms: at, created_at_ms: at }).execute();
      return;
    }
    const roster = cur.config_roster === configRoster ? {} : { roster: configRoster, config_roster: configRoster };
    await trx.updateTable('units').set({ ...fields, ...roster }).where('id', '=', u.id).execute();
  }));
}
