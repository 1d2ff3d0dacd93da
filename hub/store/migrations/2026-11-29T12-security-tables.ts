import type { Kysely } from 'kysely';

/**
 * Hardening (issue 12): the store's write probe, login limits shared by all
 * replicas, sessions and one-use stream tickets. Frozen once shipped.
 */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  const ms = pg ? 'bigint' : 'integer';

  await db.schema.createTable('store_probe')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at_ms', ms, (c) => c.notNull())
    .addColumn('data', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .execute();

  await db.schema.createTable('login_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start_ms', ms, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('locked_until_ms', ms, (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at_ms', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_limits_updated').on('login_limits').column('updated_at_ms').execute();

  await db.schema.createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('credential', 'text', (c) => c.notNull())
    .addColumn('user_view', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', ms, (c) => c.notNull())
    .addColumn('expires_at_ms', ms, (c) => c.notNull())
    .addColumn('refresh_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prev_refresh_hash', 'text')
    .addColumn('refreshed_at_ms', ms, (c) => c.notNull())
    .addColumn('revoked_at_ms', ms)
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_name').execute();
  await db.schema.createIndex('sessions_prev_refresh').on('sessions').column('prev_refresh_hash').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at_ms').execute();

  await db.schema.createTable('stream_tickets')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('expires_at_ms', ms, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['stream_tickets', 'sessions', 'login_limits', 'store_probe']) await db.schema.dropTable(t).ifExists().execute();
}
