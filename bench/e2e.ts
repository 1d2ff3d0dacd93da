import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { stringify as toYaml } from 'yaml';
import type { BenchContext } from '../cli/bench.ts';
import { loadEdgeConfig } from '../common/config/edge.ts';
import { silentLogger } from '../common/log.ts';
import { NatsServer } from '../common/proc/nats-server.ts';
import { startEdgeNode } from '../edge/edge-node.ts';
import { hashPassword } from '../hub/auth/password.ts';
import type { DispatchOrder } from '../hub/dispatch/order.ts';
import { startHubFromFile } from '../hub/hub-node.ts';

/**
 * The demo's whole pipeline under load: CAMERAS cameras (vtest.avi, paced in
 * real time, looped) → one edge node (decoder, batcher, detector pool,
 * analytics, outbox) → a real nats-server → the hub (ingest, incidents,
 * dispatch, SQLite) → dispatch orders on vigil.dispatch.<unit>.
 *
 * Each camera watches a grid of 1 m² cells with a low threshold and no minimum
 * duration, so pedestrians crossing cells raise alarms all the time. Latencies
 * start at the evidence frame's capture (it leaves the decoder) and end when
 * the hub has linked the alarm to an incident, or when the first dispatch
 * order of a new incident arrives at a subscriber, as a unit would get it.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VTEST = path.join(root, 'fixtures/.cache/vtest.avi');
const CAMERAS = 4;

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
};

function siteDoc() {
  const cameras = Array.from({ length: CAMERAS }, (_, i) => {
    const zones = [];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) {
      const x = c * 192, y = 150 + r * 142;
      zones.push({ id: `c${i}g${r}${c}`, polygon: [[x, y], [x + 192, y], [x + 192, y + 142], [x, y + 142]], areaM2: 1, map: [[10 * c, 10 * r], [10 * c + 9, 10 * r], [10 * c + 9, 10 * r + 9], [10 * c, 10 * r + 9]], crowd: { warningDensity: 0.5, criticalDensity: 3, minDurationS: 0, clearDurationS: 0, hysteresis: 0, smoothingS: 0 } });
    }
    return { id: `cam${i + 1}`, source: { file: VTEST, loop: true, realtime: true }, position: { x: 20 * i, y: 0 }, detect: { fps: 2 }, zones, health: { offlineS: 30, frozenS: 30, tamper: false } };
  });
  // Enough ready units that every new incident in the run can be dispatched.
  const units = Array.from({ length: 240 }, (_, i) => {
    const members = ['a', 'b', 'c', 'd', 'e'].map((m) => ({ id: `u${i}-${m}`, name: `Member ${m}` }));
    return { id: `u${i}`, name: `Unit ${i}`, members, position: { x: (i * 7) % 100, y: (i * 13) % 60 }, roster: [{ name: 'all', start: '00:00', end: '00:00', onDuty: members.slice(0, 3).map((m) => m.id), leader: members[0]!.id }] };
  });
  // Every crowd alarm (warnings too) sends a unit, and no flood guard: what is measured is the path, not the policy.
  const policy = { rules: [{ kind: 'crowd.density', outcome: 'dispatch' }], flood: { maxAlarms: 1000 } };
  return { site: { id: 'bench', name: 'E2E bench', timezone: 'UTC' }, abandoned: { enabled: false }, cameras, units, policy };
}

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const warmupS = ctx.quick ? 20 : 30;
  const measureS = ctx.quick ? 30 : 60;
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-e2e-'));
  const nats = await NatsServer.start();
  const siteFile = path.join(dir, 'site.yaml');
  writeFileSync(siteFile, toYaml(siteDoc()));
  const hubFile = path.join(dir, 'hub.yaml');
  process.env.VIGIL_BENCH_JWT = 'bench-secret-bench-secret-bench-secret-0123';
  writeFileSync(hubFile, toYaml({
    http: { host: '127.0.0.1', port: 0 }, database: { sqlite: path.join(dir, 'hub.db') }, nats: { servers: [nats.url] }, sites: [siteFile],
    users: [{ name: 'admin', role: 'admin', passwordHash: await hashPassword('bench-only') }], jwt: { secret: { env: 'VIGIL_BENCH_JWT' } },
    // A short window, so that a cell raised again soon opens a new incident (and a new dispatch) to measure.
    correlationWindowS: 5,
    dispatch: { rules: [{ kind: 'crowd.density', units: 1 }] }, drills: { enabled: false },
  }));
  const edgeFile = path.join(dir, 'edge.yaml');
  writeFileSync(edgeFile, toYaml({
    edge: { id: 'bench-edge', site: siteFile, detect: { fps: 2, maxBatch: CAMERAS }, http: { port: 0 }, outbox: { path: path.join(dir, 'outbox.db') }, heartbeatMs: 2000 },
    nats: { servers: [nats.url] },
  }));

  const hub = await startHubFromFile(hubFile, { logger: silentLogger });
  // Events and orders may arrive in any order; the latencies are joined up at the end.
  const toIncident: number[] = [];
  const capturedOf = new Map<string, number>();
  const openingAlarm = new Map<string, string>();
  const firstOrderAt = new Map<string, number>();
  let measuring = false;
  hub.deps.events.on('alarm.ingested', (e) => {
    if (e.data.state !== 'raised' || !e.data.incidentId) return;
    capturedOf.set(e.data.id, e.data.capturedAtMs);
    if (measuring) toIncident.push(e.at - e.data.capturedAtMs);
  });
  hub.deps.events.on('incident.created', (e) => {
    if (measuring) openingAlarm.set(e.data.incident.id, e.data.alarmId);
  });
  const unitNc = await connect({ servers: nats.url });
  unitNc.subscribe('vigil.dispatch.*', {
    callback: (_err, m) => {
      const o = m.json<DispatchOrder>();
      if (!firstOrderAt.has(o.incident)) firstOrderAt.set(o.incident, Date.now());
    },
  });
  const frameToDispatch = (): number[] => [...openingAlarm].flatMap(([incident, alarmId]) => {
    const at = firstOrderAt.get(incident);
    const captured = capturedOf.get(alarmId);
    return at !== undefined && captured !== undefined ? [at - captured] : [];
  });
  const edge = await startEdgeNode(loadEdgeConfig(edgeFile), silentLogger);
  try {
    ctx.log(`e2e: ${CAMERAS} cameras, warm-up ${warmupS} s, measuring ${measureS} s`);
    await new Promise((r) => setTimeout(r, warmupS * 1000));
    measuring = true;
    await new Promise((r) => setTimeout(r, measureS * 1000));
    measuring = false;
    // Orders for the last incidents may still be on their way.
    await new Promise((r) => setTimeout(r, 2_000));
    const toDispatch = frameToDispatch();
    const m = edge.metrics();
    return {
      e2e: {
        cameras: CAMERAS,
        frameToIncidentP95Ms: pct(toIncident, 95),
        frameToIncidentP50Ms: pct(toIncident, 50),
        frameToIncidentSamples: toIncident.length,
        frameToDispatchP95Ms: pct(toDispatch, 95),
        frameToDispatchP50Ms: pct(toDispatch, 50),
        frameToDispatchSamples: toDispatch.length,
        edgeDetectFpsPerCamera: m.cameras.map((c) => Math.round(c.fps * 100) / 100),
        edgeDroppedPct: m.framesIn ? Math.round((1000 * m.dropped) / m.framesIn) / 10 : null,
      },
    };
  } finally {
    await edge.stop();
    await unitNc.close();
    await hub.stop();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
