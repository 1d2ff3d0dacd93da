import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { storeCall } from '../units/unit-store.ts';
import type { AlarmPolicies } from './alarm-policy.ts';

/**
 * ISA-18.2 / EEMUA 191 targets: about one alarm per 10 minutes per operator
 * is manageable (two at most); more than 10 in 10 minutes is a flood.
 */
export const ISA_TARGETS = Object.freeze({ perOperatorPer10Min: 1, maxManageablePer10Min: 2, floodPer10Min: 10, floodPeriodsPctMax: 1 });
const PERIOD_MS = 10 * 60_000;

export interface AlarmRateReport {
  site: string | null;
  from: number;
  to: number;
  targets: typeof ISA_TARGETS;
  operatorPositions: number;
  /** raised alarms the policy presented to operators (incident or dispatch, not shelved, out of service or summarised) */
  presented: number;
  /** what the policy and the operators kept from them */
  feedOnly: number;
  suppressed: { flood: number; shelved: number; out_of_service: number };
  periods: number;
  avgPer10Min: number;
  avgPerOperatorPer10Min: number;
  peakPer10Min: number;
  /** share of 10-minute periods with more than 10 alarms, % */
  floodPeriodsPct: number;
  /** by the target: ok, over (above 1 per operator per 10 min), unmanageable (above 2), flood (flood periods over 1 %) */
  verdict: 'ok' | 'over' | 'unmanageable' | 'flood';
  /** acknowledgements by each user in the span, and their rate */
  operators: { name: string; acknowledged: number; perTenMin: number }[];
}

/**
 * The alarm load an operator saw over [from, to), per 10 minutes, against the
 * ISA-18.2 targets. `sites`: the sites counted (null: all); with one site, its
 * policy's operator positions divide the load.
 */
export async function alarmRates(db: Kysely<Database>, policies: AlarmPolicies, span: { from: number; to: number; sites?: readonly string[] | null }): Promise<AlarmRateReport> {
  const site = span.sites?.length === 1 ? span.sites[0]! : null;
  return storeCall('alarm rates', async () => {
    let q = db.selectFrom('alarms').select(['captured_at_ms', 'outcome', 'suppressed', 'acked_by', 'acked_at_ms', 'site'])
      .where('state', '=', 'raised').where('captured_at_ms', '>=', span.from).where('captured_at_ms', '<', span.to);
    if (span.sites) q = q.where('site', 'in', span.sites);
    const rows = await q.execute();
    const periods = Math.max(1, Math.ceil((span.to - span.from) / PERIOD_MS));
    const buckets = new Array<number>(periods).fill(0);
    let presented = 0;
    let feedOnly = 0;
    const suppressed = { flood: 0, shelved: 0, out_of_service: 0 };
    const acks = new Map<string, number>();
    for (const r of rows) {
      if (r.acked_by) acks.set(r.acked_by, (acks.get(r.acked_by) ?? 0) + 1);
      if (r.suppressed) { suppressed[r.suppressed]++; continue; }
      if (r.outcome === 'feed') { feedOnly++; continue; }
      presented++;
      buckets[Math.min(periods - 1, Math.floor((Number(r.captured_at_ms) - span.from) / PERIOD_MS))]!++;
    }
    const positions = site !== null ? policies.forSite(site).config.operatorPositions : 1;
    const avg = presented / periods;
    const perOp = avg / positions;
    const peak = Math.max(0, ...buckets);
    const floodPct = (buckets.filter((b) => b > ISA_TARGETS.floodPer10Min).length / periods) * 100;
    const verdict = floodPct > ISA_TARGETS.floodPeriodsPctMax ? 'flood' : perOp > ISA_TARGETS.maxManageablePer10Min ? 'unmanageable' : perOp > ISA_TARGETS.perOperatorPer10Min ? 'over' : 'ok';
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      site, from: span.from, to: span.to, targets: ISA_TARGETS, operatorPositions: positions,
      presented, feedOnly, suppressed, periods, avgPer10Min: round(avg), avgPerOperatorPer10Min: round(perOp), peakPer10Min: peak, floodPeriodsPct: round(floodPct), verdict,
      operators: [...acks].map(([name, n]) => ({ name, acknowledged: n, perTenMin: round(n / periods) })).sort((a, b) => b.acknowledged - a.acknowledged || a.name.localeCompare(b.name)),
    };
  });
}
