import type { Kysely } from 'kysely';

/**
 * Operations that follow the emergency plan: per-alarm outcome and
 * acknowledgement, the plan's activation on an incident, shelving and
 * out-of-service sources, the flood guard's counters and outbound
 * notifications. Frozen once shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // SQLite adds one column per ALTER TABLE.
  const add = async (table: string, column: string, type: 'text' | 'bigint' | 'integer') => {
    await db.schema.alterTable(table).addColumn(column, type).execute();
  };
  /** feed, incident or dispatch: what the site's policy made of the alarm */
  await add('alarms', 'outcome', 'text');
  /** null when shown; flood, shelved or out_of_service when stored but not presented */
  await add('alarms', 'suppressed', 'text');
  await add('alarms', 'acked_at_ms', 'bigint');
  await add('alarms', 'acked_by', 'text');

  await add('incidents', 'outcome', 'text');
  await add('incidents', 'assigned_role', 'text');
  await add('incidents', 'plan_level', 'text');
  await add('incidents', 'plan_activated_at_ms', 'bigint');
  await add('incidents', 'plan_activated_by', 'text');
  await add('incidents', 'plan_note', 'text');
  await add('incidents', 'on_scene_due_ms', 'bigint');
  await add('incidents', 'acked_at_ms', 'bigint');
  await add('incidents', 'acked_by', 'text');
  await add('incidents', 'all_cleared_at_ms', 'bigint');
  await db.schema.createIndex('incidents_unacked').on('incidents').columns(['acked_at_ms', 'status']).execute();

  await db.schema.createTable('alarm_suppressions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    /** shelved (an operator, for at most 8 h) or out_of_service (maintenance, until returned) */
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('site', 'text', (c) => c.notNull())
    /** a camera or sensor id: the alarm's `camera` */
    .addColumn('source', 'text', (c) => c.notNull())
    /** null: every kind from the source */
    .addColumn('kind', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('until_ms', 'bigint')
    .addColumn('ended_at_ms', 'bigint')
    .addColumn('ended_by', 'text')
    .execute();
  await db.schema.createIndex('alarm_suppressions_live').on('alarm_suppressions').columns(['ended_at_ms', 'site', 'source']).execute();

  await db.schema.createTable('alarm_floods')
    /** site|source|kind */
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_at_ms', 'bigint', (c) => c.notNull())
    /** raised alarms in the window, shown and summarised */
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('suppressed', 'integer', (c) => c.notNull())
    .execute();

  await db.schema.createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    /** the JSON body, exactly as signed and sent */
    .addColumn('payload', 'text', (c) => c.notNull())
    /** pending, delivered or dead */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at_ms', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('notifications_due').on('notifications').columns(['state', 'next_at_ms']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['notifications', 'alarm_floods', 'alarm_suppressions']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.dropIndex('incidents_unacked').ifExists().execute();
  for (const c of ['outcome', 'assigned_role', 'plan_level', 'plan_activated_at_ms', 'plan_activated_by', 'plan_note', 'on_scene_due_ms', 'acked_at_ms', 'acked_by', 'all_cleared_at_ms']) await db.schema.alterTable('incidents').dropColumn(c).execute();
  for (const c of ['outcome', 'suppressed', 'acked_at_ms', 'acked_by']) await db.schema.alterTable('alarms').dropColumn(c).execute();
}
