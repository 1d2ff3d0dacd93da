import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { systemClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { freePort } from '../../../common/proc/free-port.ts';
import { ALARM_STREAM } from '../../../common/subjects.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIngest, type Ingest } from '../../../hub/ingest/ingest.ts';
import { createDatabase, type HubDatabase } from '../../../hub/store/database.ts';
import { openTestDb, type TestDb } from '../store/test-db.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { publishAlarm, startNats, until } from './harness.ts';

/** A loopback TCP proxy to PostgreSQL that can be cut and restored, as a database outage. */
class PgProxy {
  #server: Server | null = null;
  #sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); s.on('error', () => s.destroy()); }
      client.pipe(upstream).pipe(client);
    });
    this.#server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }
  down(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('ingest through a PostgreSQL outage', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let t: TestDb;
  let viaProxy: HubDatabase;
  let proxy: PgProxy;
  let ingest: Ingest;

  beforeAll(async () => {
    nats = await startNats();
    t = await openTestDb('postgres');
    proxy = new PgProxy(await freePort());
    await proxy.up();
    const o = t.options as { connectionString: string; schema: string };
    viaProxy = createDatabase({ dialect: 'postgres', connectionString: `postgres://postgres@127.0.0.1:${proxy.port}/test`, schema: o.schema, poolSize: 2 });
    ingest = createIngest({ nc: nats.nc, db: viaProxy.db, dialect: 'postgres', events: createHubEvents(), clock: systemClock, logger: silentLogger, correlationWindowMs: 600_000, ackWait: { floorMs: 5000 } });
    await ingest.start();
  });
  afterAll(async () => {
    await ingest?.stop();
    await proxy?.down();
    await viaProxy?.destroy();
    await t?.cleanup();
    await nats?.close();
  });

  const stored = async () => (await t.db.selectFrom('alarms').select('id').where('site', '=', 'outage').execute()).length;

  it('naks while the store is down, pauses, and stores everything once it is back', async () => {
    const base = Date.now();
    const mk = (i: number) => crowdAlarm({ site: 'outage', capturedAt: new Date(base + i * 1000).toISOString() });
    for (let i = 0; i < 5; i++) await publishAlarm(nats.nc, mk(i));
    await until('first alarms', async () => (await stored()) === 5);

    await proxy.down();
    for (let i = 5; i < 25; i++) await publishAlarm(nats.nc, mk(i));
    await until('ingest notices the outage', async () => ingest.stats().storeDown);
    expect(ingest.stats().transientFailures).toBeGreaterThanOrEqual(1);
    expect(await stored()).toBe(5);

    await proxy.up();
    await until('all alarms after the outage', async () => (await stored()) === 25, 45_000);
    const incidents = await t.db.selectFrom('incidents').selectAll().where('site', '=', 'outage').execute();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.alarm_count).toBe(25);
    expect(await t.db.selectFrom('dead_letters').selectAll().execute()).toHaveLength(0);
    const info = await until('acked', async () => { const i = await (await jetstreamManager(nats.nc)).consumers.info(ALARM_STREAM, 'vigil-hub'); return i.num_ack_pending === 0 && i.num_pending === 0 ? i : null; });
    expect(info.delivered.stream_seq).toBe(25);
    expect(ingest.stats().storeDown).toBe(false);
  });
});
