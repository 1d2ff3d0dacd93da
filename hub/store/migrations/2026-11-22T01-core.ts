import { sql, type Kysely } from 'kysely';

/**
 * Core hub tables: alarms, incidents, incident_alarms, audit_log (append-only),
 * dead_letters, sites. Frozen: never edit after it ships; add a new migration.
 */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  const ms = pg ? 'bigint' : 'integer';
  const real = pg ? 'double precision' : 'real';

  await db.schema.createTable('sites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('updated_at_ms', ms, (c) => c.notNull())
    .execute();

  await db.schema.createTable('alarms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('camera', 'text', (c) => c.notNull())
    .addColumn('zone', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('episode', 'text', (c) => c.notNull())
    .addColumn('edge', 'text', (c) => c.notNull())
    .addColumn('captured_at_ms', ms, (c) => c.notNull())
    .addColumn('media_time', real)
    .addColumn('received_at_ms', ms, (c) => c.notNull())
    .addColumn('density', real)
    .addColumn('message', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('stream_seq', ms)
    .execute();
  await db.schema.createIndex('alarms_site_time').on('alarms').columns(['site', 'captured_at_ms']).execute();
  await db.schema.createIndex('alarms_time').on('alarms').column('captured_at_ms').execute();

  await db.schema.createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('correlation_key', 'text')
    .addColumn('opened_at_ms', ms, (c) => c.notNull())
    .addColumn('updated_at_ms', ms, (c) => c.notNull())
    .addColumn('first_alarm_at_ms', ms, (c) => c.notNull())
    .addColumn('last_alarm_at_ms', ms, (c) => c.notNull())
    .addColumn('alarm_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('peak_density', real)
    .addColumn('escalation_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cleared_at_ms', ms)
    .addColumn('closed_at_ms', ms)
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  // NULLs are distinct in a UNIQUE index on both dialects: only gathering incidents hold a key.
  await db.schema.createIndex('incidents_correlation_key').on('incidents').column('correlation_key').unique().execute();
  await db.schema.createIndex('incidents_status').on('incidents').columns(['status', 'updated_at_ms']).execute();
  await db.schema.createIndex('incidents_site').on('incidents').columns(['site', 'opened_at_ms']).execute();

  await db.schema.createTable('incident_alarms')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('alarm_id', 'text', (c) => c.notNull().references('alarms.id'))
    .addColumn('joined_at_ms', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_alarms_pk', ['incident_id', 'alarm_id'])
    .execute();
  await db.schema.createIndex('incident_alarms_alarm').on('incident_alarms').column('alarm_id').execute();

  await db.schema.createTable('audit_log')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('at_ms', ms, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('data', 'text')
    .execute();
  await db.schema.createIndex('audit_log_entity').on('audit_log').columns(['entity', 'entity_id', 'id']).execute();

  await db.schema.createTable('dead_letters')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('at_ms', ms, (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('stream_seq', ms)
    .addColumn('msg_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();

  // The audit trail has no update or delete path, in the code or in the database.
  if (pg) {
    await sql`create or replace function audit_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_log is append-only (% refused)', tg_op; end $$`.execute(db);
    await sql`create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_append_only()`.execute(db);
    await sql`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_log_no_update before update on audit_log begin select raise(abort, 'audit_log is append-only (UPDATE refused)'); end`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log begin select raise(abort, 'audit_log is append-only (DELETE refused)'); end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['dead_letters', 'audit_log', 'incident_alarms', 'incidents', 'alarms', 'sites']) await db.schema.dropTable(t).ifExists().execute();
  if (isPostgres(db)) await sql`drop function if exists audit_log_append_only()`.execute(db);
}
