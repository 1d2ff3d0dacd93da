import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { upsertUnit } from './unit-store.ts';

/**
 * Seeds (or refreshes) the site's units from its config at hub start-up. Members,
 * roster, equipment and position follow the config; the live status is kept.
 */
export async function seedUnits(db: Kysely<Database>, site: SiteConfig, now = Date.now()): Promise<number> {
  for (const u of site.units) await upsertUnit(db, site.site.id, u, now);
  return site.units.length;
}
