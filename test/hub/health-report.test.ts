import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../hub/store/database.ts';
import { hubHealth } from '../../hub/health-report.ts';
import type { Ingest } from '../../hub/ingest/ingest.ts';

describe('/health', () => {
  it('says the store is down without its error text (paths, hosts, SQL), which goes to the log', async () => {
    // A PostgreSQL that is not there: the driver's error names the host and port.
    const store = createDatabase({ dialect: 'postgres', connectionString: 'postgres://vigil:pw@127.0.0.1:1/secretdb', poolSize: 1 });
    const logged: unknown[] = [];
    const logger = { warn: (_m: string, f?: unknown) => logged.push(f), info() {}, error() {}, debug() {}, child() { return logger; } } as never;
    const nc = { isClosed: () => false, isDraining: () => false } as never;
    const ingest: Pick<Ingest, 'stats'> = { stats: () => ({ running: true, processed: 0, stored: 0, duplicates: 0, deadLettered: 0, transientFailures: 0, ackWaitMs: 30_000, handlingP99Ms: null, storeDown: false, maxDeliveryCount: 0, maxDeliveriesReached: 0 }) };
    try {
      const report = await hubHealth(store, nc, ingest, { state: 'connected' }, logger);
      expect(report.ok).toBe(false);
      expect(report.db).toEqual({ ok: false });
      expect(JSON.stringify(report)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|secretdb|:1\b/);
      expect(JSON.stringify(logged)).toMatch(/ECONNREFUSED/);
    } finally {
      await store.destroy();
    }
  });
});
