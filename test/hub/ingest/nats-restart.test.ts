import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIngest, type Ingest } from '../../../hub/ingest/ingest.ts';
import { openTestDb, type TestDb } from '../store/test-db.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { publishAlarm, startNats, until } from './harness.ts';

describe('ingest across a nats-server restart', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let t: TestDb;
  let ingest: Ingest;

  beforeAll(async () => {
    nats = await startNats();
    t = await openTestDb('sqlite');
    ingest = createIngest({ nc: nats.nc, db: t.db, dialect: 'sqlite', events: createHubEvents(), clock: systemClock, logger: silentLogger, correlationWindowMs: 600_000, ackWait: { floorMs: 2000 } });
    await ingest.start();
  });
  afterAll(async () => {
    await ingest?.stop();
    await t?.cleanup();
    await nats?.close();
  });

  const stored = async () => (await t.db.selectFrom('alarms').select('id').execute()).length;

  it('keeps pulling after the broker comes back, and stores what was published on both sides', async () => {
    const base = Date.now();
    const mk = (i: number) => crowdAlarm({ site: 'restart', capturedAt: new Date(base + i * 1000).toISOString() });
    for (let i = 0; i < 10; i++) await publishAlarm(nats.nc, mk(i));
    await until('before the restart', async () => (await stored()) === 10);
    await nats.server.stop('SIGKILL');
    await nats.server.startProcess();
    // The client reconnects on its own; publish once it has.
    await until('publisher reconnected', async () => { try { await publishAlarm(nats.nc, mk(10)); return true; } catch { return false; } }, 30_000);
    for (let i = 11; i < 20; i++) await publishAlarm(nats.nc, mk(i));
    await until('after the restart', async () => (await stored()) === 20, 45_000);
    const incidents = await t.db.selectFrom('incidents').selectAll().execute();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.alarm_count).toBe(20);
  });
});
