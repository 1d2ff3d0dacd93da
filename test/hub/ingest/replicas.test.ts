import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIngest, type Ingest } from '../../../hub/ingest/ingest.ts';
import { createDatabase, type HubDatabase } from '../../../hub/store/database.ts';
import { openTestDb, type TestDb } from '../store/test-db.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { publishAlarm, startNats, until } from './harness.ts';

const KEYS = ['a', 'b', 'c'];
const TOTAL = 600;

describe('two hub replicas sharing the consumer (PostgreSQL)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let t: TestDb;
  let second: HubDatabase;
  const ingests: Ingest[] = [];

  beforeAll(async () => {
    nats = await startNats();
    t = await openTestDb('postgres');
    second = createDatabase(t.options);
    for (const h of [t, second]) {
      // Small batches, so that both replicas get work and race on the same keys.
      const ingest = createIngest({ nc: nats.nc, db: h.db, dialect: 'postgres', events: createHubEvents(), clock: systemClock, logger: silentLogger, correlationWindowMs: 600_000, maxBatch: 10, prefetch: 20 });
      await ingest.start();
      ingests.push(ingest);
    }
  });
  afterAll(async () => {
    for (const i of ingests) await i.stop();
    await second?.destroy();
    await t?.cleanup();
    await nats?.close();
  });

  it('stores every alarm once and makes one incident per key', async () => {
    const base = Date.now();
    const pubs: Promise<number>[] = [];
    for (let i = 0; i < TOTAL; i++) pubs.push(publishAlarm(nats.nc, crowdAlarm({ site: 'rep', zone: KEYS[i % KEYS.length]!, capturedAt: new Date(base + i).toISOString() })));
    await Promise.all(pubs);
    await until('all stored', async () => (await t.db.selectFrom('alarms').select('id').where('site', '=', 'rep').execute()).length === TOTAL, 45_000);
    const incidents = await t.db.selectFrom('incidents').selectAll().where('site', '=', 'rep').execute();
    expect(incidents.map((i) => i.zone).sort()).toEqual(KEYS);
    expect(incidents.map((i) => i.alarm_count)).toEqual([TOTAL / 3, TOTAL / 3, TOTAL / 3]);
    const [a, b] = ingests.map((i) => i.stats().stored);
    expect(a! + b!).toBe(TOTAL);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });
});
