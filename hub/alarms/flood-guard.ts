import type { Kysely, Transaction } from 'kysely';
import type { Alarm } from '../../common/alarm.ts';
import type { Database } from '../store/schema.ts';
import type { AlarmPolicies } from './alarm-policy.ts';

export interface FloodSummary {
  site: string;
  source: string;
  kind: string;
  windowStartMs: number;
  lastAtMs: number;
  /** raised alarms in the window */
  count: number;
  /** of which not shown one by one */
  suppressed: number;
  maxAlarms: number;
  windowS: number;
  /** true for the batch in which the source first went over its limit in this window */
  started: boolean;
}

export const floodKey = (site: string, source: string, kind: string) => `${site}|${source}|${kind}`;

interface Counter { window: number; last: number; count: number; suppressed: number }

/** What the guard would do with a batch: which alarms to summarise, and the counters it leaves. */
export interface FloodPlan {
  suppressed: Set<string>;
  summaries: FloodSummary[];
  rows: { key: string; site: string; source: string; kind: string; window_start_ms: number; last_at_ms: number; count: number; suppressed: number }[];
}

/**
 * The flood guard: per source (camera or sensor) and kind, at most the
 * policy's `maxAlarms` raised alarms are shown per window; beyond that they
 * are stored and still correlate into their incident, but only a summary is
 * shown. Counters live in the store (alarm_floods) and are written in the
 * ingest transaction, so hub replicas and restarts count the same window.
 *
 * In two steps, so that the common batch (nothing redelivered) costs no
 * second write: load the counters and plan over the batch before its alarms
 * are inserted, then, knowing which alarms were new, plan again only if some
 * were not, and write the counters.
 */
export interface FloodGuard {
  plan(alarms: readonly Alarm[]): FloodPlan;
  commit(plan: FloodPlan): Promise<void>;
}

export async function loadFloodGuard(trx: Kysely<Database> | Transaction<Database>, alarms: readonly Alarm[], policies: AlarmPolicies, dialect: 'sqlite' | 'postgres'): Promise<FloodGuard> {
  const keys = [...new Set(alarms.map((a) => floodKey(a.site, a.camera, a.kind)))].sort();
  const prior = new Map<string, Counter>();
  for (let i = 0; i < keys.length; i += 500) {
    let q = trx.selectFrom('alarm_floods').selectAll().where('key', 'in', keys.slice(i, i + 500)).orderBy('key');
    if (dialect === 'postgres') q = q.forUpdate();
    for (const r of await q.execute()) prior.set(r.key, { window: Number(r.window_start_ms), last: Number(r.last_at_ms), count: Number(r.count), suppressed: Number(r.suppressed) });
  }
  return {
    plan(batch) {
      const out: FloodPlan = { suppressed: new Set(), summaries: [], rows: [] };
      const groups = new Map<string, Alarm[]>();
      for (const a of batch) {
        const k = floodKey(a.site, a.camera, a.kind);
        groups.set(k, [...(groups.get(k) ?? []), a]);
      }
      for (const key of [...groups.keys()].sort()) {
        const group = groups.get(key)!.sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt));
        const first = group[0]!;
        const policy = policies.forSite(first.site);
        const p = prior.get(key);
        let cur: Counter | null = p ? { ...p } : null;
        let started = false;
        let touched = 0;
        for (const a of group) {
          const t = Date.parse(a.capturedAt);
          if (!cur || t >= cur.window + policy.floodWindowMs) cur = { window: t, last: t, count: 0, suppressed: 0 };
          cur.last = Math.max(cur.last, t);
          const flooding = cur.count >= policy.floodMax;
          if (a.state === 'raised') {
            cur.count++;
            if (cur.count > policy.floodMax) {
              if (cur.count === policy.floodMax + 1) started = true;
              cur.suppressed++;
              out.suppressed.add(a.id);
              touched++;
            }
          } else if (flooding) {
            // A clear while the source floods stays as quiet as its raises.
            out.suppressed.add(a.id);
            touched++;
          }
        }
        const row = { key, site: first.site, source: first.camera, kind: first.kind, window_start_ms: cur!.window, last_at_ms: cur!.last, count: cur!.count, suppressed: cur!.suppressed };
        out.rows.push(row);
        if (touched) {
          out.summaries.push({
            site: row.site, source: row.source, kind: row.kind, windowStartMs: row.window_start_ms, lastAtMs: row.last_at_ms,
            count: row.count, suppressed: row.suppressed, maxAlarms: policy.floodMax, windowS: policy.floodWindowMs / 1000, started,
          });
        }
      }
      return out;
    },
    async commit(plan) {
      for (const row of plan.rows) {
        await trx.insertInto('alarm_floods').values(row)
          .onConflict((oc) => oc.column('key').doUpdateSet({ window_start_ms: row.window_start_ms, last_at_ms: row.last_at_ms, count: row.count, suppressed: row.suppressed }))
          .execute();
      }
    },
  };
}
