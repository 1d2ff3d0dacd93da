import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.ts';
import { ACTIVE_DISPATCH_STATES, type DispatchState, type DispatchTable } from '../store/schema-ops.ts';
import { storeCall } from '../units/unit-store.ts';

export interface Dispatch {
  id: string;
  incidentId: string;
  site: string;
  unitId: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  drill: boolean;
  drillId: string | null;
  state: DispatchState;
  orderedBy: string;
  distance: number | null;
  etaS: number | null;
  orderedAt: number;
  ackBy: number;
  ackedAt: number | null;
  enRouteAt: number | null;
  onSceneAt: number | null;
  onSceneBy: number;
  closedAt: number | null;
  replacedBy: string | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

export function dispatchFromRow(r: Selectable<DispatchTable>): Dispatch {
  return {
    id: r.id, incidentId: r.incident_id, site: r.site, unitId: r.unit_id, kind: r.kind, severity: r.severity,
    drill: Number(r.drill) === 1, drillId: r.drill_id, state: r.state, orderedBy: r.ordered_by,
    distance: num(r.distance), etaS: num(r.eta_s),
    orderedAt: Number(r.ordered_at_ms), ackBy: Number(r.ack_by_ms), ackedAt: num(r.acked_at_ms), enRouteAt: num(r.en_route_at_ms),
    onSceneAt: num(r.on_scene_at_ms), onSceneBy: Number(r.on_scene_by_ms), closedAt: num(r.closed_at_ms), replacedBy: r.replaced_by,
  };
}

export interface DispatchFilter {
  incidentId?: string;
  unitId?: string;
  site?: string;
  state?: DispatchState;
  active?: boolean;
  drill?: boolean;
  limit?: number;
}

export async function listDispatches(db: Kysely<Database>, f: DispatchFilter = {}): Promise<Dispatch[]> {
  return storeCall('list dispatches', async () => {
    let q = db.selectFrom('dispatches').selectAll();
    if (f.incidentId) q = q.where('incident_id', '=', f.incidentId);
    if (f.unitId) q = q.where('unit_id', '=', f.unitId);
    if (f.site) q = q.where('site', '=', f.site);
    if (f.state) q = q.where('state', '=', f.state);
    if (f.active) q = q.where('state', 'in', [...ACTIVE_DISPATCH_STATES]);
    if (f.drill !== undefined) q = q.where('drill', '=', f.drill ? 1 : 0);
    const rows = await q.orderBy('ordered_at_ms', 'desc').orderBy('id').limit(f.limit ?? 500).execute();
    return rows.map(dispatchFromRow);
  });
}

export async function getDispatch(db: Kysely<Database>, id: string): Promise<Dispatch | null> {
  return storeCall(`read dispatch ${id}`, async () => {
    const r = await db.selectFrom('dispatches').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? dispatchFromRow(r) : null;
  });
}

/** Moves a dispatch only if it is still in one of `from`; false when another writer got there first. */
export async function updateDispatchIf(db: Kysely<Database>, id: string, from: readonly DispatchState[], set: Partial<Selectable<DispatchTable>>): Promise<boolean> {
  return storeCall(`update dispatch ${id}`, async () => {
    const r = await db.updateTable('dispatches').set(set).where('id', '=', id).where('state', 'in', [...from]).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  });
}
