import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { newAlarmId, type Alarm, type Severity } from '../../common/alarm.ts';
import { systemClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/log.ts';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { mountTmpfs, type Tmpfs } from '../../common/proc/tmpfs.ts';
import { alarmSubject } from '../../common/subjects.ts';
import { connectNats } from '../../common/transport/nats-connect.ts';
import { ensureAlarmStream, ensureSnapshotBucket } from '../../common/transport/alarm-stream.ts';
import { streamAlarmIds } from './stream-ids.ts';
import { openOutbox, type DiskState } from '../../edge/sink/outbox.ts';
import { createJetStreamSink } from '../../edge/sink/jetstream-sink.ts';
import type { Frame } from '../../edge/types.ts';
import { createHubEvents } from '../../hub/events.ts';
import { createIngest } from '../../hub/ingest/ingest.ts';
import { createDatabase, migrateToLatest, type HubDatabase } from '../../hub/store/database.ts';

/**
 * A disk-full episode on each side, on a tmpfs of its own: the volume is
 * filled to the last block while alarms arrive, then freed. What each side
 * must show: every alarm sent is stored exactly once (0 lost, 0 doubled).
 * Used by test/reliability/disk-full.test.ts and by `vigil bench` (reliability.diskFull).
 */
export interface DiskFullFigures {
  sent: number;
  /** alarms that reached their destination: the stream (edge side) or the hub's store (hub side) */
  stored: number;
  lost: number;
  doubled: number;
  /** what the side reported while the disk was full */
  during: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`disk-full episode: timed out waiting for ${what}`);
    await sleep(50);
  }
}

function alarm(i: number, severity: Severity, site: string, edge: string): Alarm {
  return {
    v: 1, id: newAlarmId(), kind: 'crowd.density', state: 'raised', severity,
    site, camera: 'cam1', zone: `z${i % 4}`, episode: `ep-${i}`, capturedAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + i * 1000).toISOString(), mediaTime: i, edge,
    crowd: { count: 120, density: 4.5, los: 'F', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: severity === 'critical' ? 'critical' : 'warning', threshold: 4, areaM2: 30 },
  };
}

/** Noise compresses badly: each snapshot costs tens of kilobytes, as a real one does. */
function noiseFrame(seq: number): Frame {
  const width = 320, height = 240;
  const data = new Uint8Array(width * height * 3);
  let x = seq * 2654435761 >>> 0;
  for (let i = 0; i < data.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; data[i] = x & 0xff; }
  return { camera: 'cam1', seq, width, height, data, capturedAt: Date.now(), mediaTime: seq, sourceWidth: width, sourceHeight: height };
}

function tally(sent: readonly string[], got: readonly string[]): Pick<DiskFullFigures, 'stored' | 'lost' | 'doubled'> {
  const unique = new Set(got);
  return { stored: unique.size, lost: sent.filter((id) => !unique.has(id)).length, doubled: got.length - unique.size };
}

/**
 * Edge: the outbox on a 6 MiB tmpfs, the broker down (so that the outbox must
 * hold everything), the volume filled, then criticals, warnings and infos with
 * snapshots; then the disk is freed and the broker comes back.
 */
export async function edgeDiskFullEpisode(o: { perSeverity?: number; log?: (m: string) => void } = {}): Promise<DiskFullFigures> {
  const per = o.perSeverity ?? 30;
  const fs: Tmpfs = mountTmpfs(6 * 1024 * 1024);
  const server = await NatsServer.start();
  try {
    const admin = await connectNats({ servers: [server.url], retryFirstConnect: false });
    await ensureAlarmStream(await jetstreamManager(admin), { duplicateWindowMs: 10 * 60_000 });
    await ensureSnapshotBucket(admin);
    await admin.close();
    const nc = await connectNats({ servers: [server.url], maxDelayMs: 500 });
    const outbox = openOutbox({ file: path.join(fs.dir, 'outbox.db'), minFreeBytes: 256 * 1024, reserveBytes: 128 * 1024, retryHeldMs: 200 });
    const sink = createJetStreamSink({ nc, outbox, site: 'diskfull', edgeId: 'e1', snapshots: {}, publisher: { retryInitialMs: 100, retryMaxMs: 1_000 } });
    const states = new Set<DiskState>();
    let peakHeld = 0;
    const watch = setInterval(() => { const d = (sink.stats().outbox as Partial<ReturnType<typeof sink.stats>['outbox']>).disk; if (d) { states.add(d.state); peakHeld = Math.max(peakHeld, d.held); } }, 20);
    try {
      await server.stop();
      const filled = fs.fill();
      o.log?.(`edge disk full: ${filled} B of filler, ${fs.freeBytes()} B free`);
      const sent: string[] = [];
      const refusals: string[] = [];
      const severities: Severity[] = ['critical', 'warning', 'info'];
      // In bursts, as a crowd episode on several cameras would raise them.
      for (let i = 0; i < per * 3; i += 10) {
        await Promise.all(Array.from({ length: Math.min(10, per * 3 - i) }, async (_, k) => {
          const n = i + k;
          const a = alarm(n, severities[n % 3]!, 'diskfull', 'e1');
          sent.push(a.id);
          try { await sink.send(a, { frame: noiseFrame(n) }); } catch (err) { refusals.push(`${a.severity}: ${(err as Error).message}`); }
        }));
      }
      const s = sink.stats().outbox;
      const disk = (s as Partial<typeof s>).disk;
      if (disk) { states.add(disk.state); peakHeld = Math.max(peakHeld, disk.held); }
      const during = { diskStates: [...states], peakHeld, refused: refusals.length, refusals: refusals.slice(0, 3), snapshotsDropped: disk?.snapshotsDropped ?? 0, warning: s.diskWarning };
      o.log?.(`edge during: ${JSON.stringify(during)}`);
      fs.free();
      await server.startProcess();
      await until('the outbox to drain', () => sink.stats().outbox.depth === 0, 60_000);
      await sink.drained();
      const check = await connectNats({ servers: [server.url], retryFirstConnect: false });
      const got = await streamAlarmIds(check);
      await check.close();
      return { sent: sent.length, ...tally(sent, got), during: { ...during, diskStateAfter: (sink.stats().outbox as Partial<ReturnType<typeof sink.stats>['outbox']>).disk?.state ?? null } };
    } finally {
      clearInterval(watch);
      await sink.close();
      await nc.close();
    }
  } finally {
    await server.dispose();
    fs.unmount();
  }
}

const PG_URL = process.env.VIGIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The hub's store on a tmpfs of its own. SQLite: the database file there.
 * PostgreSQL: a tablespace there (the local server must be able to reach the
 * folder: it is given to its OS user) holding a fresh schema; the server's
 * own WAL stays where it is, so what fills up is where the tables grow, and
 * PostgreSQL answers 53100 disk_full.
 */
async function storeOnTmpfs(dialect: 'sqlite' | 'postgres', fs: Tmpfs): Promise<{ store: HubDatabase; dispose(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const store = createDatabase({ dialect: 'sqlite', file: path.join(fs.dir, 'hub.db') });
    return { store, dispose: () => store.destroy() };
  }
  const tag = `vigil_full_${randomBytes(4).toString('hex')}`;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(fs.dir, uid, gid);
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create tablespace ${tag} location '${fs.dir}'`);
  const store = createDatabase({ dialect: 'postgres', connectionString: `${PG_URL}?options=${encodeURIComponent(`-c default_tablespace=${tag}`)}`, schema: tag, poolSize: 2 });
  return {
    store,
    async dispose() {
      await store.destroy();
      try {
        await admin.query(`drop schema if exists ${tag} cascade`);
        await admin.query(`drop tablespace if exists ${tag}`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * Hub: its store (SQLite, or PostgreSQL through a tablespace) on a tmpfs,
 * ingest running; the volume filled while alarms arrive, held full for a few
 * probe rounds, then freed.
 */
export async function hubDiskFullEpisode(o: { dialect?: 'sqlite' | 'postgres'; alarms?: number; fullForMs?: number; log?: (m: string) => void } = {}): Promise<DiskFullFigures> {
  const total = o.alarms ?? 60;
  const dialect = o.dialect ?? 'sqlite';
  const fs: Tmpfs = mountTmpfs((dialect === 'postgres' ? 16 : 8) * 1024 * 1024);
  const server = await NatsServer.start();
  const nc = await connectNats({ servers: [server.url], retryFirstConnect: false });
  let onTmpfs: Awaited<ReturnType<typeof storeOnTmpfs>> | null = null;
  try {
    onTmpfs = await storeOnTmpfs(dialect, fs);
    const store = onTmpfs.store;
    await ensureAlarmStream(await jetstreamManager(nc), { duplicateWindowMs: 10 * 60_000 });
    await migrateToLatest(store.db);
    const ingest = createIngest({ nc, db: store.db, dialect, events: createHubEvents(), clock: systemClock, logger: silentLogger, correlationWindowMs: 600_000, maxBatch: 20, ackWait: { floorMs: 5_000 } });
    await ingest.start();
    const js = jetstream(nc);
    const sent: string[] = [];
    const publish = async (i: number) => {
      const a = alarm(i, i % 5 === 0 ? 'critical' : 'warning', 'hubfull', 'e1');
      // A little bulk per alarm, so that the batches need real pages.
      a.message = `crowd at zone z${i % 4} `.repeat(25);
      sent.push(a.id);
      await js.publish(alarmSubject(a.site, a.camera, a.kind), JSON.stringify(a), { msgID: a.id });
    };
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from alarms`.execute(store.db)).rows[0]!.n);
    try {
      const before = Math.min(10, total);
      for (let i = 0; i < before; i++) await publish(i);
      await until('the first alarms', async () => (await count()) === before, 30_000);
      const filled = fs.fill();
      o.log?.(`hub disk full: ${filled} B of filler, ${fs.freeBytes()} B free`);
      for (let i = before; i < total; i++) await publish(i);
      await until('ingest to notice the full disk', () => ingest.stats().storeDown, 30_000);
      // Several probe rounds with the disk still full: none of them may spend a delivery.
      await sleep(o.fullForMs ?? 4_000);
      const during = { storeDown: ingest.stats().storeDown, storedWhileFull: await count(), transientFailures: ingest.stats().transientFailures };
      o.log?.(`hub during: ${JSON.stringify(during)}`);
      fs.free();
      await until('every alarm stored after the disk was freed', async () => (await count()) >= total, 60_000);
      await sleep(300);
      const ids = (await store.db.selectFrom('alarms').select('id').execute()).map((r) => r.id);
      const links = Number((await sql<{ n: number }>`select count(*) as n from incident_alarms`.execute(store.db)).rows[0]!.n);
      const counted = Number((await sql<{ n: number }>`select coalesce(sum(alarm_count), 0) as n from incidents`.execute(store.db)).rows[0]!.n);
      const deadLetters = Number((await sql<{ n: number }>`select count(*) as n from dead_letters`.execute(store.db)).rows[0]!.n);
      const t = tally(sent, ids);
      const stats = ingest.stats();
      await ingest.stop();
      // A doubled alarm would show as a second incident link or a second count, even with the alarm row unique.
      return { sent: sent.length, ...t, doubled: t.doubled + Math.max(0, links - t.stored) + Math.max(0, counted - t.stored), during: { ...during, deadLetters, maxDeliveryCount: stats.maxDeliveryCount, maxDeliveriesReached: stats.maxDeliveriesReached } };
    } finally {
      await ingest.stop();
    }
  } finally {
    await onTmpfs?.dispose();
    await nc.close();
    await server.dispose();
    fs.unmount();
  }
}
