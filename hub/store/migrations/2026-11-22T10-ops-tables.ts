import { sql, type Kysely } from 'kysely';

/** hub-ops tables: units, dispatches, incident reports, drills, overdue warnings. Frozen once shipped. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('units')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('members', 'text', (c) => c.notNull())
    .addColumn('roster', 'text', (c) => c.notNull())
    .addColumn('config_roster', 'text', (c) => c.notNull())
    .addColumn('equipment', 'text', (c) => c.notNull())
    .addColumn('x', 'double precision', (c) => c.notNull())
    .addColumn('y', 'double precision', (c) => c.notNull())
    .addColumn('lat', 'double precision')
    .addColumn('lon', 'double precision')
    .addColumn('speed', 'double precision')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('units_site').on('units').column('site').execute();

  await db.schema.createTable('dispatches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull().references('units.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('drill', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('drill_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('ordered_by', 'text', (c) => c.notNull())
    .addColumn('distance', 'double precision')
    .addColumn('eta_s', 'double precision')
    .addColumn('order_json', 'text', (c) => c.notNull())
    .addColumn('ordered_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('ack_by_ms', 'bigint', (c) => c.notNull())
    .addColumn('acked_at_ms', 'bigint')
    .addColumn('en_route_at_ms', 'bigint')
    .addColumn('on_scene_at_ms', 'bigint')
    .addColumn('on_scene_by_ms', 'bigint', (c) => c.notNull())
    .addColumn('closed_at_ms', 'bigint')
    .addColumn('replaced_by', 'text')
    .execute();
  await db.schema.createIndex('dispatches_incident').on('dispatches').column('incident_id').execute();
  await db.schema.createIndex('dispatches_unit').on('dispatches').columns(['unit_id', 'ordered_at_ms']).execute();
  await db.schema.createIndex('dispatches_state').on('dispatches').column('state').execute();
  // At most one active order per unit and incident, even with two hub replicas racing.
  await sql`create unique index dispatches_one_active on dispatches (incident_id, unit_id) where state in ('ordered', 'acknowledged', 'en_route', 'on_scene')`.execute(db);

  await db.schema.createTable('incident_reports')
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('opened_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('due_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('submitted_at_ms', 'bigint')
    .addColumn('submitted_by', 'text')
    .addColumn('body', 'text')
    .addPrimaryKeyConstraint('incident_reports_pk', ['incident_id', 'kind'])
    .execute();
  await db.schema.createIndex('incident_reports_due').on('incident_reports').columns(['submitted_at_ms', 'due_at_ms']).execute();

  await db.schema.createTable('drills')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull().references('units.id'))
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('scheduled_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('started_at_ms', 'bigint')
    .addColumn('dispatch_id', 'text')
    .addColumn('acked_at_ms', 'bigint')
    .addColumn('on_scene_at_ms', 'bigint')
    .addColumn('finished_at_ms', 'bigint')
    .addColumn('outcome', 'text')
    .execute();
  await db.schema.createIndex('drills_site_month').on('drills').columns(['site', 'month']).execute();
  await db.schema.createIndex('drills_state_time').on('drills').columns(['state', 'scheduled_at_ms']).execute();

  await db.schema.createTable('ops_warnings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('due_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('raised_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at_ms', 'bigint')
    .addColumn('detail', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['ops_warnings', 'drills', 'incident_reports', 'dispatches', 'units']) await db.schema.dropTable(t).ifExists().execute();
}
