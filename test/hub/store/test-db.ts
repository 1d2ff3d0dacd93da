import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, migrateToLatest, type HubDatabase } from '../../../hub/store/database.ts';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

export const PG_URL = process.env.VIGIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb extends HubDatabase {
  /** how to reopen the same store (another replica, a restarted hub) */
  options: Parameters<typeof createDatabase>[0];
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated store: a temp SQLite file, or a PostgreSQL schema
 * vigil_test_<random> dropped afterwards. `migrate: false`: empty, for tests
 * of the migrations themselves.
 */
export async function openTestDb(dialect: TestDialect, o: { migrate?: boolean } = {}): Promise<TestDb> {
  const migrate = o.migrate ?? true;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hub-'));
    const options = { dialect: 'sqlite' as const, file: path.join(dir, 'hub.db') };
    const h = createDatabase(options);
    if (migrate) await migrateToLatest(h.db);
    return { ...h, options, async cleanup() { await h.destroy(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = `vigil_test_${randomBytes(6).toString('hex')}`;
  const options = { dialect: 'postgres' as const, connectionString: PG_URL, schema, poolSize: 4 };
  const h = createDatabase(options);
  if (migrate) await migrateToLatest(h.db);
  return {
    ...h,
    options,
    async cleanup() {
      await h.destroy();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try { await c.query(`drop schema if exists "${schema}" cascade`); } finally { await c.end(); }
    },
  };
}
