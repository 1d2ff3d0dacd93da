import { sql } from 'kysely';
import type { NatsConnection } from '@nats-io/nats-core';
import { errorMessage } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import type { HealthReport } from './api/deps.ts';
import type { Ingest } from './ingest/ingest.ts';
import type { HubDatabase } from './store/database.ts';

/**
 * /health answers anyone: it says what is down, never why. The database's own
 * error text (paths, host names, SQL) goes to the log instead.
 */
export async function hubHealth(store: Pick<HubDatabase, 'db'>, nc: NatsConnection, ingest: Pick<Ingest, 'stats'>, link: { state: string }, logger: Logger): Promise<HealthReport> {
  let db: HealthReport['db'];
  try {
    await sql`select 1`.execute(store.db);
    db = { ok: true };
  } catch (err) {
    logger.warn('health check: store unavailable', { err: errorMessage(err) });
    db = { ok: false };
  }
  const closed = nc.isClosed();
  const natsOk = !closed && !nc.isDraining() && link.state === 'connected';
  const s = ingest.stats();
  return {
    ok: db.ok && natsOk && s.running && !s.storeDown,
    db,
    nats: { ok: natsOk, status: closed ? 'closed' : nc.isDraining() ? 'draining' : link.state },
    ingest: { running: s.running, ackWaitMs: s.ackWaitMs, processed: s.processed, deadLettered: s.deadLettered },
  };
}

