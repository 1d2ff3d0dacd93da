import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Dialect } from './database.ts';


export interface ClaimedTimer { id: string; kind: string; ref: string; dueAtMs: number; attempts: number }

const timerId = (kind: string, ref: string) => `${kind}:${ref}`;

/** Sets (or moves) a timer; inside the transaction that creates the deadline, so the two commit together. */
export async function scheduleTimer(db: Kysely<Database>, kind: string, ref: string, dueAtMs: number): Promise<void> {
  await db.insertInto('due_timers')
    .values({ id: timerId(kind, ref), kind, ref, due_at_ms: dueAtMs, owner: null, lease_until_ms: null, attempts: 0, fired_at_ms: null, fired_by: null })
    .onConflict((oc) => oc.column('id').doUpdateSet({ due_at_ms: dueAtMs, owner: null, lease_until_ms: null, fired_at_ms: null, fired_by: null }))
    .execute();
}

/** The deadline was met (an acknowledgement came): the timer goes, unless it already fired. */
export async function cancelTimer(db: Kysely<Database>, kind: string, ref: string): Promise<void> {
  await db.deleteFrom('due_timers').where('id', '=', timerId(kind, ref)).where('fired_at_ms', 'is', null).execute();
}

/**
 * Claims due timers for `owner` until now + leaseMs. On PostgreSQL the rows
 * are picked FOR UPDATE SKIP LOCKED, so two replicas claiming at once take
 * different rows and neither waits; SQLite has one writer, and the single
 * UPDATE … RETURNING runs whole under its write lock. A row whose lease ran
 * out (its replica died mid-way) is claimable again.
 */
export async function claimDueTimers(db: Kysely<Database>, dialect: Dialect, o: { owner: string; now: number; leaseMs: number; limit: number; kinds?: readonly string[] }): Promise<ClaimedTimer[]> {
  const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const kinds = o.kinds?.length ? sql`and kind in (${sql.join(o.kinds.map((k) => sql`${k}`))})` : sql``;
  const r = await sql<{ id: string; kind: string; ref: string; due_at_ms: number | string; attempts: number }>`
    update due_timers set owner = ${o.owner}, lease_until_ms = ${o.now + o.leaseMs}, attempts = attempts + 1
    where id in (
      select id from due_timers
      where fired_at_ms is null and due_at_ms <= ${o.now} and (lease_until_ms is null or lease_until_ms < ${o.now}) ${kinds}
      order by due_at_ms limit ${o.limit} ${lock}
    )
    returning id, kind, ref, due_at_ms, attempts`.execute(db);
  return r.rows.map((x) => ({ id: x.id, kind: x.kind, ref: x.ref, dueAtMs: Number(x.due_at_ms), attempts: x.attempts }));
}

/** Marks a claimed timer fired; false when this replica's claim was lost meanwhile (its lease ran out and another took it). */
export async function timerFired(db: Kysely<Database>, id: string, owner: string, now: number): Promise<boolean> {
  const r = await db.updateTable('due_timers').set({ fired_at_ms: now, fired_by: owner, lease_until_ms: null })
    .where('id', '=', id).where('owner', '=', owner).where('fired_at_ms', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Fired timers older than this go (they are kept a while as a record of who fired what). */
export async function sweepFiredTimers(db: Kysely<Database>, before: number): Promise<number> {
  const r = await db.deleteFrom('due_timers').where('fired_at_ms', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
