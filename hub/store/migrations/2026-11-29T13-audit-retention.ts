import { sql, type Kysely } from 'kysely';

/**
 * Retention (issue 12). The audit log stays append-only, with one exception:
 * rows already written to an export file (recorded in audit_exports, with the
 * file's SHA-256) may be deleted, and only those. UPDATE and TRUNCATE are still
 * refused by the database. Frozen once shipped.
 */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  const ms = pg ? 'bigint' : 'integer';
  await db.schema.createTable('audit_exports')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('from_id', ms, (c) => c.notNull().unique())
    .addColumn('upto_id', ms, (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('at_ms', ms, (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dead_letters_time').on('dead_letters').column('at_ms').execute();
  await db.schema.createIndex('audit_log_time').on('audit_log').column('at_ms').execute();

  if (pg) {
    await sql`create or replace function audit_log_guard() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.id <= coalesce((select max(upto_id) from audit_exports), 0) then return old; end if;
        raise exception 'audit_log is append-only (% refused; only exported rows may be deleted)', tg_op;
      end $$`.execute(db);
    await sql`drop trigger if exists audit_log_no_update on audit_log`.execute(db);
    await sql`create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_guard()`.execute(db);
  } else {
    await sql`drop trigger if exists audit_log_no_delete`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log
      when old.id > coalesce((select max(upto_id) from audit_exports), 0)
      begin select raise(abort, 'audit_log is append-only (DELETE refused; only exported rows may be deleted)'); end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop trigger if exists audit_log_no_update on audit_log`.execute(db);
    await sql`create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_append_only()`.execute(db);
    await sql`drop function if exists audit_log_guard()`.execute(db);
  } else {
    await sql`drop trigger if exists audit_log_no_delete`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log begin select raise(abort, 'audit_log is append-only (DELETE refused)'); end`.execute(db);
  }
  await db.schema.dropIndex('audit_log_time').ifExists().execute();
  await db.schema.dropIndex('dead_letters_time').ifExists().execute();
  await db.schema.dropTable('audit_exports').ifExists().execute();
}
