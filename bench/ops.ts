import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { newAlarmId, type Alarm } from '../common/alarm.ts';
import { FakeClock } from '../common/clock.ts';
import { loadSiteConfig, siteSchema, type SiteConfig } from '../common/config/site.ts';
import { silentLogger } from '../common/log.ts';
import { createOnvifAlarmMapper } from '../edge/onvif/onvif-event-alarms.ts';
import { createSensorAlarmMapper } from '../edge/sensors/index.ts';
import { createMemorySink } from '../edge/pipeline/memory-sink.ts';
import { probeMedia } from '../edge/decode/probe.ts';
import { runReplay } from '../edge/replay/replay-runner.ts';
import { buildFixtures, fetchVtest } from '../fixtures/compose/build.ts';
import { DEMO_EVENTS } from '../fixtures/sim-camera/demo-events.ts';
import { createAlarmPolicies } from '../hub/alarms/alarm-policy.ts';
import { createHubEvents } from '../hub/events.ts';
import { incidentPortFrom } from '../hub/dispatch/incident-port.ts';
import { createMemoryOpsPublisher } from '../hub/dispatch/publisher.ts';
import { createIncidentService } from '../hub/incidents/incident-service.ts';
import { storeAndCorrelate } from '../hub/incidents/correlator.ts';
import { createOps } from '../hub/ops.ts';
import { deadlinesWithoutActivation } from '../hub/plan/plan-service.ts';
import { createDatabase, migrateToLatest } from '../hub/store/database.ts';
import { zonedParts, zonedToEpoch } from '../hub/units/zoned-time.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_SITE = path.join(ROOT, 'fixtures/sites/demo.yaml');
const CACHE = path.join(ROOT, 'fixtures/.cache');
/** The clip `vigil demo` streams from its simulated camera, looped. */
const DEMO_CLIP = 'abandoned-suitcase-walkway';
const HOUR_MS = 3_600_000;
/** As in the demo's hub.yaml and edge.yaml. */
const CORRELATION_WINDOW_MS = 120_000;
const MOTION_HOLD_S = 15;

interface Recorded { clip: string; key: string; durationS: number; alarms: Alarm[] }

/**
 * The camera's alarms for one pass of the demo clip, recorded once by running
 * the real edge pipeline on it (`vigil replay` with the demo site's camera and
 * zone) and kept in fixtures/.cache, keyed by the clip and the site file, so
 * that the hour below replays recorded alarms instead of an hour of detection.
 */
async function recordedClip(ctx: BenchContext): Promise<Recorded> {
  await fetchVtest();
  const [built] = await buildFixtures({ only: [DEMO_CLIP], log: (m) => ctx.log(m) });
  const clip = built!.video;
  const st = statSync(clip);
  const key = createHash('sha256').update(`${st.size}:${st.mtimeMs}:`).update(readFileSync(DEMO_SITE)).digest('hex').slice(0, 16);
  const file = path.join(CACHE, `ops-${DEMO_CLIP}.alarms.json`);
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Recorded;
    if (r.key === key) return r;
  }
  ctx.log(`recording the demo clip's alarms (replay with the demo site's camera)…`);
  const sink = createMemorySink();
  await runReplay({ video: clip, configFile: DEMO_SITE, cameraId: 'plaza-east', sink: () => sink, logger: silentLogger });
  const info = await probeMedia(clip);
  const r: Recorded = { clip: path.basename(clip), key, durationS: info.durationS, alarms: sink.alarms.map((a) => ({ ...a })) };
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(file, JSON.stringify(r));
  return r;
}

/** The ONVIF event script the demo camera plays every minute, through the edge's own mapper (motion held 15 s). */
function onvifHour(site: string, start: number): Alarm[] {
  const clock = new FakeClock(start);
  const out: Alarm[] = [];
  const mapper = createOnvifAlarmMapper({
    camera: 'plaza-east', zone: null, clock, motionHoldS: MOTION_HOLD_S,
    emit: (o) => out.push({ ...o.alarm, v: 1, site, edge: 'demo-edge-1', snapshot: null } as Alarm),
  });
  const TOPIC = { motion: ['VideoSource/MotionAlarm', 'Source', 'State'], tamper: ['VideoSource/GlobalSceneChange/ImagingService', 'Source', 'State'], input: ['Device/Trigger/DigitalInput', 'InputToken', 'LogicalState'] } as const;
  const script = [...Array(60).keys()].flatMap((m) => DEMO_EVENTS.map((e) => ({ ...e, at: start + m * 60_000 + e.atMs })));
  for (const e of script) {
    clock.advance(e.at - clock.now());
    const [topic, sourceName, dataName] = TOPIC[e.topic];
    mapper.handle({ topic, source: { [sourceName]: e.topic === 'input' ? (e as { input?: string }).input ?? 'DIN1' : 'VideoSource_1' }, data: { [dataName]: String(e.state) } } as never);
  }
  clock.advance(start + HOUR_MS - clock.now());
  return out.filter((a) => Date.parse(a.capturedAt) < start + HOUR_MS);
}

/**
 * The demo's panic-button script (cli/demo/panic-script.ts): pressed 25 s
 * after the edge starts and every 10 minutes, held 20 s, through the edge's
 * sensor mapper as the webhook would.
 */
function panicHour(site: SiteConfig, start: number): Alarm[] {
  const sensor = site.sensors.find((s) => s.id === 'panic-ticket-hall')!;
  const clock = new FakeClock(start);
  const mapper = createSensorAlarmMapper({ clock });
  const out: Alarm[] = [];
  for (let press = start + 25_000; press < start + HOUR_MS; press += 10 * 60_000) {
    for (const [at, state] of [[press, 'active'], [press + 20_000, 'inactive']] as const) {
      clock.advance(at - clock.now());
      const r = mapper.handle(sensor, { state }, 'webhook');
      if (!r) continue;
      r.commit();
      out.push({ ...r.out.alarm, v: 1, site: site.site.id, edge: 'demo-edge-1', snapshot: null } as Alarm);
    }
  }
  return out;
}

/** The looped clip over an hour: each pass's alarms shifted by the clip's length, with fresh ids and episodes. */
function clipHour(rec: Recorded, start: number): Alarm[] {
  const out: Alarm[] = [];
  const passMs = rec.durationS * 1000;
  for (let pass = 0; pass * passMs < HOUR_MS; pass++) {
    for (const a of rec.alarms) {
      const at = start + pass * passMs + Math.round((a.mediaTime ?? 0) * 1000);
      if (at >= start + HOUR_MS) continue;
      out.push({ ...a, id: newAlarmId(at), episode: `${a.episode}-p${pass}`, capturedAt: new Date(at).toISOString(), mediaTime: null });
    }
  }
  return out;
}

interface Run { alarms: number; raised: number; feedOnly: number; summarised: number; incidents: number; activations: number; dispatches: number; deadlinesWithoutActivation: number }

/**
 * An hour of alarms through the hub as it runs: store and correlate under the
 * site's policy, then the services on the hub bus (plan activation by policy,
 * dispatch, overdue and escalation watchers) on a fake clock that follows
 * the alarms' capture times, batch by batch (one second each).
 */
async function runHour(site: SiteConfig, alarms: readonly Alarm[], start: number): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-ops-'));
  const store = createDatabase({ dialect: 'sqlite', file: path.join(dir, 'hub.db') });
  try {
    await migrateToLatest(store.db);
    const clock = new FakeClock(start);
    const events = createHubEvents({ now: () => clock.now() });
    const incidents = createIncidentService({ db: store.db, dialect: 'sqlite', clock, events });
    const policies = createAlarmPolicies([site]);
    const ops = createOps({ db: store.db, dialect: 'sqlite', clock, events, sites: [site], incidents: incidentPortFrom(incidents), publisher: createMemoryOpsPublisher(), policies, drills: { enabled: false }, logger: silentLogger });
    await ops.start();
    const sorted = [...alarms].sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt));
    let i = 0;
    for (let t = start; t <= start + HOUR_MS && i < sorted.length; t += 1000) {
      const batch: Alarm[] = [];
      while (i < sorted.length && Date.parse(sorted[i]!.capturedAt) < t + 1000) batch.push(sorted[i++]!);
      clock.advance(t + 1000 - clock.now());
      if (!batch.length) continue;
      const r = await store.db.transaction().execute((trx) => storeAndCorrelate(trx, batch.map((alarm) => ({ alarm, receivedAtMs: clock.now() })), { windowMs: CORRELATION_WINDOW_MS, dialect: 'sqlite', policies }));
      for (const e of r.events) events.emit(e.type, e.data as never, { site: e.site });
      await ops.idle();
    }
    await ops.overdue.tick();
    await ops.idle();
    const count = async (q: () => Promise<{ n: number | string | bigint } | undefined>) => Number((await q())?.n ?? 0);
    const run: Run = {
      alarms: sorted.length,
      raised: sorted.filter((a) => a.state === 'raised').length,
      feedOnly: await count(() => store.db.selectFrom('alarms').select((eb) => eb.fn.countAll().as('n')).where('outcome', '=', 'feed').executeTakeFirst() as never),
      summarised: await count(() => store.db.selectFrom('alarms').select((eb) => eb.fn.countAll().as('n')).where('suppressed', '=', 'flood').executeTakeFirst() as never),
      incidents: await count(() => store.db.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst() as never),
      activations: await count(() => store.db.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).where('plan_activated_at_ms', 'is not', null).executeTakeFirst() as never),
      dispatches: await count(() => store.db.selectFrom('dispatches').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst() as never),
      deadlinesWithoutActivation: await deadlinesWithoutActivation(store.db),
    };
    await ops.stop();
    return run;
  } finally {
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * ops: what the alarm policy makes of the demo's footage over an hour. The
 * alarms are the demo camera's, recorded once from the clip by the real edge
 * pipeline and looped as the demo loops the clip, plus the simulated camera's
 * ONVIF event script each minute and the demo's panic-button press every ten
 * minutes. The baseline, in the same process, is the
 * hub before policies: every alarm opens or joins an incident, no flood guard,
 * and each incident started its plan clocks at once (two report clocks at
 * open, an on-scene clock per dispatch).
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const site = loadSiteConfig(DEMO_SITE);
  const p = zonedParts(Date.now(), site.site.timezone);
  // 09:00 site time: the units' day rosters apply.
  const start = zonedToEpoch(p.year, p.month, p.day, 9, 0, site.site.timezone);
  const rec = await recordedClip(ctx);
  const alarms = [...clipHour(rec, start), ...onvifHour(site.site.id, start), ...panicHour(site, start)];
  ctx.log(`ops: ${alarms.length} alarms in the hour (${rec.alarms.length} per ${rec.durationS.toFixed(1)} s pass of ${rec.clip}, the ONVIF script, the panic-button script)`);
  const policy = await runHour(site, alarms, start);
  const before = siteSchema.parse({ ...site, policy: { rules: [{ kind: '*', outcome: 'dispatch' }], flood: { maxAlarms: 1000 }, activation: { autoSeverities: [] } } });
  const baseline = await runHour(before, alarms, start);
  const baselineDeadlines = baseline.incidents * 2 + baseline.dispatches;
  return {
    ops: {
      source: `${rec.clip} looped for an hour (${rec.alarms.length} alarms per ${rec.durationS.toFixed(1)} s pass, recorded by the edge pipeline) + the demo camera's ONVIF event script each minute + the demo's panic-button script every 10 min`,
      alarms: policy.alarms,
      alarmsPerIncident: r2(policy.alarms / Math.max(1, policy.incidents)),
      incidentsPerHour: policy.incidents,
      feedOnly: policy.feedOnly,
      summarisedByFloodGuard: policy.summarised,
      planActivations: policy.activations,
      dispatches: policy.dispatches,
      deadlinesWithoutActivation: policy.deadlinesWithoutActivation,
      baseline: {
        alarmsPerIncident: r2(baseline.alarms / Math.max(1, baseline.incidents)),
        incidentsPerHour: baseline.incidents,
        dispatches: baseline.dispatches,
        deadlinesWithoutActivation: baselineDeadlines,
      },
      incidentsPerHourVsBaseline: r2(policy.incidents / Math.max(1, baseline.incidents)),
    },
  };
}
