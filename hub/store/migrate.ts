import { readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { StoreError } from '../../common/errors.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const MIGRATION_NAME = /^\d{4}-\d\d-\d\dT[\w-]+\.ts$/;

/**
 * Loads every module in hub/store/migrations/. Names start with an ISO date so
 * that they sort; each exports up/down over Kysely<any> and never changes once
 * shipped (migrations are frozen in time).
 */
export function folderMigrationProvider(dir = MIGRATIONS_DIR): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      const files = (await readdir(dir)).filter((f) => MIGRATION_NAME.test(f) && !f.endsWith('.d.ts')).sort();
      for (const f of files) {
        const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as Partial<Migration>;
        if (typeof mod.up !== 'function') throw new StoreError('STORE_MIGRATION', `migration ${f} exports no up()`);
        out[f.replace(/\.ts$/, '')] = mod as Migration;
      }
      return out;
    },
  };
}

/**
 * A catalog race, not a fault of ours: Kysely's introspection reads every
 * schema in the database, and another schema dropped at that moment (another
 * tenant, a test's cleanup) fails it with "schema … does not exist" or a cache
 * lookup error. Retrying once the drop has committed succeeds.
 */
function isForeignCatalogRace(err: unknown, schema: string | undefined): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e || typeof e.message !== 'string') return false;
  if (e.code === '3F000') return !schema || !e.message.includes(`"${schema}"`);
  return e.code === 'XX000' && /cache lookup failed/.test(e.message);
}

const CATALOG_RACE_TRIES = 4;

/** Runs pending migrations at start-up; fails fast with a StoreError naming the migration. */
export async function migrateToLatest(db: Kysely<any>, provider: MigrationProvider = folderMigrationProvider()): Promise<string[]> {
  let result;
  let schema: string | undefined;
  try {
    // Kysely looks for its lock table in every schema it can see; on PostgreSQL it
    // must look in ours, or another schema's table fools it into not creating one.
    const isPg = db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
    schema = isPg ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
    // Unordered: parallel branches add migrations with nearby dates.
    const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
    for (let attempt = 1; ; attempt++) {
      // Kysely reports most failures in the result, a few by throwing: one path for both.
      result = await migrator.migrateToLatest().catch((error: unknown) => ({ error, results: undefined }));
      if (attempt >= CATALOG_RACE_TRIES || !result.error || !isForeignCatalogRace(result.error, schema)) break;
      await delay(50 * attempt);
    }
  } catch (err) {
    throw new StoreError('STORE_MIGRATION', `database migration failed: ${(err as Error).message}`, { cause: err });
  }
  const failed = result.results?.find((r) => r.status === 'Error');
  if (result.error || failed) {
    const err = result.error as Error | undefined;
    throw new StoreError('STORE_MIGRATION', `database migration ${failed?.migrationName ?? '(unknown)'} failed: ${err?.message ?? 'unknown error'}`, { cause: err });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
