import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

export interface AuditEntry {
  atMs: number;
  /** user name, or system:<component> */
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  note?: string | null;
  data?: unknown;
}

/**
 * The only write path to audit_log: append. There is deliberately no update or
 * delete function, and the database triggers refuse both.
 */
export async function appendAudit(db: Kysely<Database> | Transaction<Database>, entries: AuditEntry | readonly AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries as AuditEntry];
  if (list.length === 0) return;
  await db.insertInto('audit_log').values(list.map((e) => ({
    at_ms: e.atMs,
    actor: e.actor,
    action: e.action,
    entity: e.entity,
    entity_id: e.entityId,
    note: e.note ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
  }))).execute();
}
