import type { Kysely } from 'kysely';

/**
 * One drill plan per site and month. Hub replicas plan at the same moment; the
 * primary key lets exactly one of them write the month's plan. Frozen once shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('drill_plans')
    .addColumn('site', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('planned_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('drill_plans_pk', ['site', 'month'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drill_plans').ifExists().execute();
}
