import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { DrillState, DrillTable } from '../store/schema-ops.ts';
import { storeCall } from '../units/unit-store.ts';

export interface Drill {
  id: string;
  site: string;
  unitId: string;
  month: string;
  reason: 'due' | 'random' | 'manual';
  scheduledAt: number;
  state: DrillState;
  startedAt: number | null;
  dispatchId: string | null;
  ackedAt: number | null;
  onSceneAt: number | null;
  finishedAt: number | null;
  outcome: string | null;
  /** seconds from order to acknowledgement / on scene */
  ackS: number | null;
  onSceneS: number | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

export function drillFromRow(r: Selectable<DrillTable>): Drill {
  const started = num(r.started_at_ms);
  const acked = num(r.acked_at_ms);
  const on = num(r.on_scene_at_ms);
  return {
    id: r.id, site: r.site, unitId: r.unit_id, month: r.month, reason: r.reason, scheduledAt: Number(r.scheduled_at_ms), state: r.state,
    startedAt: started, dispatchId: r.dispatch_id, ackedAt: acked, onSceneAt: on, finishedAt: num(r.finished_at_ms), outcome: r.outcome,
    ackS: started !== null && acked !== null ? (acked - started) / 1000 : null,
    onSceneS: started !== null && on !== null ? (on - started) / 1000 : null,
  };
}

/** Drills that ran (whatever the outcome): what counts towards "drilled every six months". */
export const RAN: readonly DrillState[] = ['running', 'completed', 'no_ack', 'not_on_scene'];

export async function listDrills(db: Kysely<Database>, f: { site?: string; unitId?: string; month?: string; states?: readonly DrillState[]; limit?: number } = {}): Promise<Drill[]> {
  return storeCall('list drills', async () => {
    let q = db.selectFrom('drills').selectAll();
    if (f.site) q = q.where('site', '=', f.site);
    if (f.unitId) q = q.where('unit_id', '=', f.unitId);
    if (f.month) q = q.where('month', '=', f.month);
    if (f.states) q = q.where('state', 'in', [...f.states]);
    return (await q.orderBy('scheduled_at_ms').orderBy('id').limit(f.limit ?? 10_000).execute()).map(drillFromRow);
  });
}
