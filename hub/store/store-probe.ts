import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Whether the store can take a write of about `bytes` right now. A read proves
 * nothing on a full disk (it succeeds), and neither does a tiny write (SQLite
 * reuses WAL pages it already has), so the probe commits a row of the size a
 * batch needs and then gives the space back. Throws what the store throws.
 */
export async function probeStoreWrite(db: Kysely<Database>, id: string, bytes: number, now: number): Promise<void> {
  const data = new Uint8Array(Math.max(1, Math.floor(bytes)));
  // Random-looking bytes would be kinder to compression, but neither store compresses: zeros cost the same.
  await db.insertInto('store_probe').values({ id, at_ms: now, data })
    .onConflict((oc) => oc.column('id').doUpdateSet({ at_ms: now, data })).execute();
  await db.updateTable('store_probe').set({ data: new Uint8Array(1) }).where('id', '=', id).execute();
}
