import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { BenchContext } from '../cli/bench.ts';
import { newAlarmId, type Alarm } from '../common/alarm.ts';
import { systemClock } from '../common/clock.ts';
import { silentLogger } from '../common/log.ts';
import { NatsServer } from '../common/proc/nats-server.ts';
import { ALARM_STREAM, alarmSubject } from '../common/subjects.ts';
import { ensureAlarmStream } from '../common/transport/alarm-stream.ts';
import { createHubEvents } from '../hub/events.ts';
import { createIngest } from '../hub/ingest/ingest.ts';
import { createDatabase, migrateToLatest, type DatabaseOptions } from '../hub/store/database.ts';

/**
 * hub.ingestPerSec.{sqlite,postgres}: alarms/s from JetStream into the store,
 * with correlation, draining a stream pre-loaded with alarms over 40 keys.
 * hub.alarmToIncidentP95Ms: publish → stored and correlated (the committed
 * alarm.ingested event), at a paced 500 alarms/s, on SQLite.
 */
const PG_URL = process.env.VIGIL_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEYS = 40;

function alarm(i: number, now: number): Alarm {
  const density = 2 + (i % 7) * 0.1;
  return {
    v: 1, id: newAlarmId(now), kind: 'crowd.density', state: 'raised', severity: 'warning',
    site: `bench${i % 4}`, camera: 'cam1', zone: `z${i % (KEYS / 4)}`, episode: `ep${i % KEYS}`,
    capturedAt: new Date(now).toISOString(), mediaTime: null, edge: 'bench-edge',
    crowd: { count: density * 40, density, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: 'warning', threshold: 2, areaM2: 40 },
  };
}

async function publishMany(nc: NatsConnection, alarms: Alarm[]): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < alarms.length; i += 500) {
    await Promise.all(alarms.slice(i, i + 500).map((a) => js.publish(alarmSubject(a.site, a.camera, a.kind), JSON.stringify(a), { msgID: a.id })));
  }
}

interface Store { options: DatabaseOptions; cleanup(): Promise<void> }

function sqliteStore(): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-hub-'));
  return { options: { dialect: 'sqlite', file: path.join(dir, 'hub.db') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

function postgresStore(): Store {
  const schema = `vigil_bench_${randomBytes(5).toString('hex')}`;
  return {
    options: { dialect: 'postgres', connectionString: PG_URL, schema },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try { await c.query(`drop schema if exists "${schema}" cascade`); } finally { await c.end(); }
    },
  };
}

async function resetStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(ALARM_STREAM).catch(() => false);
  await ensureAlarmStream(jsm, { duplicateWindowMs: 120_000 });
}

async function throughput(nc: NatsConnection, store: Store, n: number, ctx: BenchContext): Promise<number> {
  await resetStream(nc);
  const h = createDatabase(store.options);
  try {
    await migrateToLatest(h.db);
    const now = Date.now();
    await publishMany(nc, Array.from({ length: n }, (_, i) => alarm(i, now + i)));
    const events = createHubEvents();
    let stored = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => { done = r; });
    events.on('alarm.ingested', () => { if (++stored === n) done(); });
    const ingest = createIngest({ nc, db: h.db, dialect: h.dialect, events, clock: systemClock, logger: silentLogger, correlationWindowMs: 3_600_000, maxBatch: 500, durable: `bench_${h.dialect}` });
    const t0 = performance.now();
    await ingest.start();
    await all;
    const s = (performance.now() - t0) / 1000;
    await ingest.stop();
    ctx.log(`${h.dialect}: ${n} alarms in ${s.toFixed(2)} s`);
    return Math.round(n / s);
  } finally {
    await h.destroy();
    await store.cleanup();
  }
}

async function latency(nc: NatsConnection, ratePerS: number, seconds: number): Promise<{ p50: number; p95: number; p99: number; n: number; sentPerS: number }> {
  await resetStream(nc);
  const store = sqliteStore();
  const h = createDatabase(store.options);
  try {
    await migrateToLatest(h.db);
    const events = createHubEvents();
    const sentAt = new Map<string, number>();
    const lat: number[] = [];
    events.on('alarm.ingested', (e) => { const t = sentAt.get(e.data.id); if (t !== undefined) lat.push(performance.now() - t); });
    const ingest = createIngest({ nc, db: h.db, dialect: h.dialect, events, clock: systemClock, logger: silentLogger, correlationWindowMs: 3_600_000, maxBatch: 500, durable: 'bench_latency' });
    await ingest.start();
    const js = jetstream(nc);
    const total = ratePerS * seconds;
    const start = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / ratePerS;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const a = alarm(i, Date.now());
      sentAt.set(a.id, performance.now());
      pending.push(js.publish(alarmSubject(a.site, a.camera, a.kind), JSON.stringify(a), { msgID: a.id }));
    }
    // The rate actually offered: a loaded machine may fall behind the schedule.
    const sentPerS = Math.round(total / Math.max(1e-3, (performance.now() - start) / 1000));
    await Promise.all(pending);
    const deadline = performance.now() + 30_000;
    while (lat.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await ingest.stop();
    lat.sort((a, b) => a - b);
    const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]! * 10) / 10;
    return { p50: q(50), p95: q(95), p99: q(99), n: lat.length, sentPerS };
  } finally {
    await h.destroy();
    await store.cleanup();
  }
}

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  try {
    const n = ctx.quick ? 5_000 : 30_000;
    const sqlite = await throughput(nc, sqliteStore(), n, ctx);
    let postgres: number | string;
    try {
      postgres = await throughput(nc, postgresStore(), n, ctx);
    } catch (err) {
      postgres = `unavailable: ${(err as Error).message}`;
      ctx.log(`postgres throughput skipped: ${(err as Error).message}`);
    }
    const lat = await latency(nc, 500, ctx.quick ? 4 : 10);
    ctx.log(`alarm→incident at ${lat.sentPerS}/s: p50 ${lat.p50} ms, p95 ${lat.p95} ms, p99 ${lat.p99} ms over ${lat.n}`);
    return {
      hub: {
        ingestPerSec: { sqlite, postgres },
        alarmToIncidentP95Ms: lat.p95,
        alarmToIncidentMs: { p50: lat.p50, p95: lat.p95, p99: lat.p99, alarms: lat.n, sentPerS: lat.sentPerS, store: 'sqlite' },
      },
    };
  } finally {
    await nc.close();
    await server.dispose();
  }
}
