import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { SuppressionType } from '../store/schema-ops.ts';

export type SuppressionMatch = (site: string, source: string, kind: string, at: number) => SuppressionType | null;

/**
 * The shelves and out-of-service marks in force for some sites, as one
 * lookup. Read in the ingest transaction, so that an alarm arriving as a
 * source is shelved is either shown or suppressed, never half of each.
 * Out of service outranks a shelf; a shelf past its time no longer holds,
 * whether or not its expiry has been recorded yet.
 */
export async function loadSuppressions(db: Kysely<Database> | Transaction<Database>, sites: readonly string[]): Promise<SuppressionMatch> {
  if (!sites.length) return () => null;
  const rows = await db.selectFrom('alarm_suppressions').select(['type', 'site', 'source', 'kind', 'until_ms'])
    .where('ended_at_ms', 'is', null).where('site', 'in', [...new Set(sites)]).execute();
  if (!rows.length) return () => null;
  const bySource = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.site}|${r.source}`;
    bySource.set(k, [...(bySource.get(k) ?? []), r]);
  }
  return (site, source, kind, at) => {
    let found: SuppressionType | null = null;
    for (const r of bySource.get(`${site}|${source}`) ?? []) {
      if (r.kind !== null && r.kind !== kind) continue;
      if (r.type === 'out_of_service') return 'out_of_service';
      if (r.until_ms !== null && Number(r.until_ms) > at) found = 'shelved';
    }
    return found;
  };
}
