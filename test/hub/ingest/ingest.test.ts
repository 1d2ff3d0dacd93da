import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { systemClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { ALARM_STREAM, DEAD_LETTER_SUBJECT, alarmSubject } from '../../../common/subjects.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIngest, type Ingest } from '../../../hub/ingest/ingest.ts';
import { openTestDb, type TestDb } from '../store/test-db.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { publishAlarm, publishRaw, startNats, until } from './harness.ts';

describe('ingest from a real JetStream', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let t: TestDb;
  let ingest: Ingest;
  const events = createHubEvents();

  beforeAll(async () => {
    nats = await startNats();
    t = await openTestDb('sqlite');
    ingest = createIngest({
      nc: nats.nc, db: t.db, dialect: 'sqlite', events, clock: systemClock, logger: silentLogger,
      correlationWindowMs: 120_000, ackWait: { floorMs: 1000, k: 2000, ceilingMs: 20_000 }, tuneEveryMs: 3_600_000,
    });
    await ingest.start();
  });
  afterAll(async () => {
    await ingest?.stop();
    await t?.cleanup();
    await nats?.close();
  });

  const count = async (site: string) => (await t.db.selectFrom('alarms').select('id').where('site', '=', site).execute()).length;

  it('stores alarms and folds them into one incident, announcing both', async () => {
    const seen: string[] = [];
    const off = events.on('*', (e) => seen.push(e.type));
    const now = Date.now();
    const alarms = [0, 1, 2].map((i) => crowdAlarm({ site: 'ing1', capturedAt: new Date(now + i * 1000).toISOString() }));
    for (const a of alarms) await publishAlarm(nats.nc, a);
    await until('3 alarms', async () => (await count('ing1')) === 3);
    const incs = await t.db.selectFrom('incidents').selectAll().where('site', '=', 'ing1').execute();
    expect(incs).toHaveLength(1);
    expect(incs[0]!.alarm_count).toBe(3);
    await until('events', async () => seen.filter((s) => s === 'alarm.ingested').length >= 3);
    expect(seen).toContain('incident.created');
    off();
  });

  it('keeps one row when the same alarm arrives twice under different msgIDs', async () => {
    const a = crowdAlarm({ site: 'ing2' });
    await publishAlarm(nats.nc, a, 'first-msg-id');
    await publishAlarm(nats.nc, a, 'second-msg-id');
    const marker = crowdAlarm({ site: 'ing2', zone: 'marker' });
    await publishAlarm(nats.nc, marker);
    await until('marker', async () => (await count('ing2')) === 2);
    const rows = await t.db.selectFrom('alarms').select('id').where('id', '=', a.id).execute();
    expect(rows).toHaveLength(1);
    const links = await t.db.selectFrom('incident_alarms').selectAll().where('alarm_id', '=', a.id).execute();
    expect(links).toHaveLength(1);
    expect(ingest.stats().duplicates).toBeGreaterThanOrEqual(1);
  });

  it('dead-letters poison with its reason, terminates it and never retries it', async () => {
    const sub = nats.nc.subscribe(DEAD_LETTER_SUBJECT);
    const got: { reason: string; body: string }[] = [];
    void (async () => { for await (const m of sub) got.push({ reason: m.headers?.get('Vigil-Reason') ?? '', body: m.string() }); })();
    const subject = alarmSubject('ing3', 'cam1', 'crowd.density');
    await publishRaw(nats.nc, subject, '{not json', 'poison-1');
    const bad = { ...crowdAlarm({ site: 'ing3' }), severity: 'apocalyptic' };
    await publishRaw(nats.nc, subject, JSON.stringify(bad), 'poison-2');
    const elsewhere = crowdAlarm({ site: 'other-site' });
    await publishRaw(nats.nc, subject, JSON.stringify(elsewhere), 'poison-3');
    const good = crowdAlarm({ site: 'ing3' });
    await publishAlarm(nats.nc, good);
    await until('dead letters', async () => (await t.db.selectFrom('dead_letters').selectAll().where('subject', '=', subject).execute()).length === 3 && got.length === 3);
    const dl = await t.db.selectFrom('dead_letters').selectAll().where('subject', '=', subject).orderBy('id').execute();
    expect(dl.map((d) => d.msg_id)).toEqual(['poison-1', 'poison-2', 'poison-3']);
    expect(dl[2]!.reason).toMatch(/^subject: .* does not match the alarm/);
    expect(dl[0]!.reason).toMatch(/payload: is not valid JSON/);
    expect(dl[1]!.reason).toMatch(/^severity:/);
    expect(got.map((g) => g.reason)).toEqual(dl.map((d) => d.reason));
    expect(await t.db.selectFrom('alarms').select('id').where('id', '=', elsewhere.id).execute()).toEqual([]);
    await until('good alarm', async () => (await count('ing3')) === 1);
    const jsm = await jetstreamManager(nats.nc);
    const info = await until("all acked", async () => { const i = await jsm.consumers.info(ALARM_STREAM, "vigil-hub"); return i.num_ack_pending === 0 && i.num_pending === 0 ? i : null; });
    expect(info.num_redelivered).toBe(0);
    sub.unsubscribe();
  });

  it('sets ack_wait from the measured p99 handling time', async () => {
    const stats = ingest.stats();
    expect(stats.handlingP99Ms).not.toBeNull();
    const applied = await ingest.tuneAckWait();
    const expected = Math.round(Math.min(20_000, Math.max(1000, 2000 * ingest.stats().handlingP99Ms!)));
    expect(Math.abs(applied - expected) / expected).toBeLessThanOrEqual(0.2);
    const info = await (await jetstreamManager(nats.nc)).consumers.info(ALARM_STREAM, 'vigil-hub');
    expect(Math.round(info.config.ack_wait! / 1e6)).toBe(applied);
    expect(info.config.backoff?.[0]).toBe(info.config.ack_wait);
    expect(info.config.max_deliver).toBeGreaterThan(info.config.backoff!.length);
  });
});
