import { sql, type Kysely } from 'kysely';

/**
 * Due timers (issue 14): every deadline a hub replica must act on is a row
 * here, claimed with a lease by whichever replica sees it due first, so it
 * fires once however many replicas run, and a dead replica's timers move to
 * another when their lease runs out; and an index for the event fan-out's
 * sweep of recently received alarms. Acknowledgement deadlines of dispatches
 * already ordered are carried over. Frozen once shipped.
 */
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export async function up(db: Kysely<any>): Promise<void> {
  const ms = isPostgres(db) ? 'bigint' : 'integer';
  await db.schema.createTable('due_timers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('due_at_ms', ms, (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('lease_until_ms', ms)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fired_at_ms', ms)
    .addColumn('fired_by', 'text')
    .execute();
  await db.schema.createIndex('due_timers_due').on('due_timers').columns(['fired_at_ms', 'due_at_ms']).execute();
  // the fan-out's sweep (hub/live/event-fanout.ts) reads recently received alarms every few seconds
  await db.schema.createIndex('alarms_received').on('alarms').column('received_at_ms').execute();
  await sql`insert into due_timers (id, kind, ref, due_at_ms, attempts)
    select 'dispatch.ack:' || id, 'dispatch.ack', id, ack_by_ms, 0 from dispatches where state = 'ordered'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('alarms_received').ifExists().execute();
  await db.schema.dropTable('due_timers').ifExists().execute();
}
