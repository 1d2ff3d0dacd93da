import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { BenchContext } from '../cli/bench.ts';
import { newAlarmId, type Alarm } from '../common/alarm.ts';
import { systemClock } from '../common/clock.ts';
import { siteSchema } from '../common/config/site.ts';
import { silentLogger } from '../common/log.ts';
import { NatsServer } from '../common/proc/nats-server.ts';
import { alarmSubject } from '../common/subjects.ts';
import { ensureAlarmStream } from '../common/transport/alarm-stream.ts';
import { createHubEvents } from '../hub/events.ts';
import { createIncidentService } from '../hub/incidents/incident-service.ts';
import { createIngest } from '../hub/ingest/ingest.ts';
import { createDatabase, migrateToLatest } from '../hub/store/database.ts';
import { createOps } from '../hub/ops.ts';
import { createAlarmPolicies } from '../hub/alarms/alarm-policy.ts';
import { incidentPortFrom } from '../hub/dispatch/incident-port.ts';
import type { DispatchOrder } from '../hub/dispatch/order.ts';

const members = (u: string) => ['a', 'b', 'c', 'd', 'e'].map((m) => ({ id: `${u}-${m}`, name: `${u} ${m}` }));
const site = siteSchema.parse({
  site: { id: 'bench', name: 'Bench', timezone: 'UTC' },
  cameras: [{ id: 'cam1', source: { file: 'x.avi' }, position: { x: 0, y: 0 } }],
  units: Array.from({ length: 6 }, (_, i) => ({
    id: `u${i + 1}`, name: `Unit ${i + 1}`, members: members(`u${i + 1}`), position: { x: 10 * (i + 1), y: 0 },
    roster: [{ name: 'all', start: '00:00', end: '00:00', onDuty: members(`u${i + 1}`).slice(0, 3).map((m) => m.id), leader: `u${i + 1}-a` }],
  })),
});

function alarm(i: number): Alarm {
  const id = newAlarmId();
  return {
    // Critical: under the default alarm policy only criticals send units without an operator.
    v: 1, id, kind: 'crowd.density', state: 'raised', severity: 'critical', site: 'bench', camera: 'cam1', zone: `z${i}`, episode: id,
    capturedAt: new Date().toISOString(), mediaTime: null, edge: 'bench',
    crowd: { count: 120, density: 2.4, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: 'critical', threshold: 2, areaM2: 50 },
  };
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };

/**
 * hub.alarmToDispatchP95Ms: an alarm published to JetStream, through the real
 * hub ingest (durable consumer, SQLite commit), incident creation and
 * nearest-unit dispatch, until the order arrives on vigil.dispatch.<unit>.
 * Alarms are spaced out (one in flight at a time), so this is latency, not throughput.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const n = ctx.quick ? 20 : 100;
  const nats = await NatsServer.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-dispatch-'));
  const nc = await connect({ servers: nats.url });
  const store = createDatabase({ dialect: 'sqlite', file: path.join(dir, 'hub.db') });
  try {
    await migrateToLatest(store.db);
    await ensureAlarmStream(await jetstreamManager(nc), { duplicateWindowMs: 60_000 });
    const events = createHubEvents();
    const incidents = createIncidentService({ db: store.db, dialect: 'sqlite', clock: systemClock, events });
    // One alarm per zone of one camera: the flood guard is per source, so it is opened wide here (latency, not load, is measured).
    const policies = createAlarmPolicies([siteSchema.parse({ ...site, policy: { flood: { maxAlarms: 1000 } } })]);
    const ops = createOps({ db: store.db, dialect: 'sqlite', clock: systemClock, events, sites: [site], nc, incidents: incidentPortFrom(incidents), policies, drills: { enabled: false }, policy: { rules: [{ kind: '*', units: 1 }] } });
    await ops.start();
    const ingest = createIngest({ nc, db: store.db, dialect: 'sqlite', events, clock: systemClock, logger: silentLogger, correlationWindowMs: 120_000, tuneEveryMs: 3_600_000, policies });
    await ingest.start();
    const js = jetstream(nc);
    const unitNc = await connect({ servers: nats.url });
    const waiting = new Map<string, (at: number) => void>();
    const sub = unitNc.subscribe('vigil.dispatch.*', {
      callback: (_err, m) => {
        const at = performance.now();
        const o = m.json<DispatchOrder>();
        const zone = (o.known as { zone?: string }).zone ?? '';
        waiting.get(zone)?.(at);
      },
    });
    await unitNc.flush();
    const samples: number[] = [];
    for (let i = 0; i < n + 3; i++) {
      const a = alarm(i);
      const got = new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no order for alarm ${i} within 10 s`)), 10_000);
        waiting.set(a.zone!, (at) => { clearTimeout(t); resolve(at); });
      });
      const t0 = performance.now();
      await js.publish(alarmSubject(a.site, a.camera, a.kind), JSON.stringify(a), { msgID: a.id });
      const at = await got;
      waiting.delete(a.zone!);
      if (i >= 3) samples.push(at - t0); // the first few warm up the JIT and the consumer
      // Free the units for the next alarm.
      const inc = await store.db.selectFrom('incidents').select('id').where('zone', '=', a.zone!).executeTakeFirstOrThrow();
      await ops.dispatch.releaseIncident(inc.id, 'bench');
    }
    sub.unsubscribe();
    await unitNc.close();
    await ingest.stop();
    await ops.stop();
    return {
      hub: {
        alarmToDispatchP95Ms: Math.round(pct(samples, 95) * 10) / 10,
        alarmToDispatchP50Ms: Math.round(pct(samples, 50) * 10) / 10,
        alarmToDispatchMaxMs: Math.round(Math.max(...samples) * 10) / 10,
        alarmToDispatchSamples: samples.length,
      },
    };
  } finally {
    await nc.close();
    await nats.dispose();
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
