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

/**
 * The flood guard: per source (camera or sensor) and kind, at most the
 * policy's `maxAlarms` raised alarms are shown per window; beyond that they
 * are stored and still correlate into their incident, but only a summary is
 * shown. Counters live in the store (alarm_floods), written in the ingest
 * transaction, so hub replicas and restarts count the same window. Takes the
 * fresh alarms of a batch, returns the ids to suppress and a summary per
 * flooding source.
 */
export async function applyFloodGuard(trx: Kysely<Database> | Transaction<Database>, alarms: readonly Alarm[], policies: AlarmPolicies, dialect: 'sqlite' | 'postgres'): Promise<{ suppressed: Set<string>; summaries: FloodSummary[] }> {
  const suppressed = new Set<string>();
  const summaries: FloodSummary[] = [];
  if (!alarms.length) return { suppressed, summaries };
  const groups = new Map<string, Alarm[]>();
  for (const a of alarms) {
    const k = floodKey(a.site, a.camera, a.kind);
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  const keys = [...groups.keys()].sort();
  let q = trx.selectFrom('alarm_floods').selectAll().where('key', 'in', keys).orderBy('key');
  if (dialect === 'postgres') q = q.forUpdate();
  const rows = new Map((await q.execute()).map((r) => [r.key, r]));
  for (const key of keys) {
    const group = groups.get(key)!.sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt));
    const first = group[0]!;
    const policy = policies.forSite(first.site);
    const prior = rows.get(key);
    const st = prior
      ? { window: Number(prior.window_start_ms), last: Number(prior.last_at_ms), count: Number(prior.count), suppressed: Number(prior.suppressed) }
      : null;
    let cur = st;
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
          suppressed.add(a.id);
          touched++;
        }
      } else if (flooding) {
        // A clear while the source floods stays as quiet as its raises.
        suppressed.add(a.id);
        touched++;
      }
    }
    const row = { key, site: first.site, source: first.camera, kind: first.kind, window_start_ms: cur!.window, last_at_ms: cur!.last, count: cur!.count, suppressed: cur!.suppressed };
    await trx.insertInto('alarm_floods').values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet({ window_start_ms: row.window_start_ms, last_at_ms: row.last_at_ms, count: row.count, suppressed: row.suppressed }))
      .execute();
    if (touched) {
      summaries.push({
        site: row.site, source: row.source, kind: row.kind, windowStartMs: row.window_start_ms, lastAtMs: row.last_at_ms,
        count: row.count, suppressed: row.suppressed, maxAlarms: policy.floodMax, windowS: policy.floodWindowMs / 1000, started,
      });
    }
  }
  return { suppressed, summaries };
}
