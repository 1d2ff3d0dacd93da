import { cpus } from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { ALARM_SCHEMA_VERSION, type Alarm } from '../common/alarm.ts';
import type { LoadedEdgeConfig } from '../common/config/edge.ts';
import { natsConnectOptions } from '../common/config/nats.ts';
import { readSecret, resolveFrom } from '../common/config/load.ts';
import { errorMessage } from '../common/errors.ts';
import { systemClock } from '../common/clock.ts';
import type { Logger } from '../common/log.ts';
import { connectNats } from '../common/transport/nats-connect.ts';
import { edgeInboxPrefix } from '../common/transport/nats-auth.ts';
import { cameraSourceFor } from './camera-sources.ts';
import { createFrameDecoder } from './decode/ffmpeg-decoder.ts';
import { createDetectorPool, type DetectorPool } from './detect/detector-pool.ts';
import { createEdgeMetrics } from './edge-metrics.ts';
import { createLiveView } from './live/live-view.ts';
import { discoverCameras } from './onvif/onvif-discovery.ts';
import { createOnvifEventWatcher, type OnvifEventWatcher } from './onvif/onvif-event-watcher.ts';
import { createEdgePipeline, type EdgePipeline, type PipelineMetrics } from './pipeline/edge-pipeline.ts';
import type { ZoneMeasures } from './crowd/crowd-analyzer.ts';
import { createNatsSensorIngest, createSensorAlarmMapper, createSensorWebhook, readSensorTokens, type NatsSensorIngest } from './sensors/index.ts';
import { startHeartbeat, type Heartbeat, type HealthPayload } from './sink/heartbeat.ts';
import { encodeCrowdGrid, poolGrid, type CrowdGrid } from '../common/crowd-grid.ts';
import { createJetStreamSink, type JetStreamSink } from './sink/jetstream-sink.ts';
import { openOutbox } from './sink/outbox.ts';
import type { AlarmSink, AnalyzerOutput } from './types.ts';
import type { DensityMap } from './density/density-grid.ts';

/**
 * An edge node: every camera of its site (or the subset it is given) through
 * one detector pool, ONVIF events and other sensors, all into one durable
 * outbox that publishes to JetStream. Started by `vigil edge` and the demo.
 */
export interface EdgeNode {
  readonly id: string;
  readonly httpPort: number;
  metrics(): PipelineMetrics;
  /** stops inputs first, then drains what is already accepted into the outbox, then closes */
  stop(): Promise<void>;
}

export async function startEdgeNode(loaded: LoadedEdgeConfig, logger: Logger): Promise<EdgeNode> {
  const { config, site, siteFile, file } = loaded;
  const e = config.edge;
  const siteId = site.site.id;
  const log = logger.child({ edge: e.id, site: siteId });
  const started = Date.now();

  const cameras = site.cameras.filter((c) => !e.cameras || e.cameras.includes(c.id));
  const outboxFile = resolveFrom(file, e.outbox.path);
  mkdirSync(path.dirname(outboxFile), { recursive: true });
  const outbox = openOutbox({ file: outboxFile, maxRows: e.outbox.maxRows, maxDbBytes: e.outbox.maxDbMB * 2 ** 20, minFreeBytes: e.outbox.minFreeMB * 2 ** 20, reserveBytes: e.outbox.reserveMB * 2 ** 20, maxHeld: e.outbox.maxHeld });

  // Alarms are accepted into the outbox while NATS is still connecting.
  // Replies come back under the edge's own inbox prefix: its NATS permissions allow no other.
  // stop() aborts a first connection still retrying: an edge that never reached NATS must still exit.
  const connectAbort = new AbortController();
  const natsOpts = natsConnectOptions(config.nats, file, { name: `vigil-edge-${e.id}`, inboxPrefix: edgeInboxPrefix(siteId, e.id), logger: log.child({ part: 'nats' }), signal: connectAbort.signal });
  const ncReady: Promise<NatsConnection> = connectNats(natsOpts);
  let nc: NatsConnection | null = null;
  let link: 'up' | 'down' = 'down';
  let stopping: Promise<void> | null = null;
  ncReady.then((c) => {
    if (stopping) {
      // Connected after stop() began: nothing will use or drain it, so close it here.
      c.close().catch((err: unknown) => log.warn('nats close failed', { error: errorMessage(err) }));
      return;
    }
    nc = c;
    link = 'up';
    void (async () => {
      for await (const s of c.status()) {
        if (s.type === 'disconnect') link = 'down';
        else if (s.type === 'reconnect') link = 'up';
      }
    })().catch((err) => log.error('nats status loop failed', { error: err }));
  }, (err) => log.error('nats connection abandoned', { error: err }));

  const sink: JetStreamSink = createJetStreamSink({ nc: ncReady, outbox, snapshots: { blurPersons: site.site.blurPersons }, site: siteId, edgeId: e.id, logger: log.child({ part: 'sink' }) });
  void (async () => {
    for await (const s of sink.status()) {
      const level = s.type === 'dropped' || s.type === 'disk' || s.type === 'full' || s.type === 'error' || s.type === 'snapshot-failed' ? 'warn' : 'debug';
      log[level]('sink status', s as unknown as Record<string, unknown>);
    }
  })().catch((err) => log.error('sink status loop failed', { error: err }));

  // Every alarm committed to the outbox is logged once: the audit trail an operator (or a fault test) checks the hub against.
  // The heartbeat reports each camera's health condition as its alarms left it.
  const cameraCondition = new Map<string, Set<'offline' | 'frozen' | 'tamper'>>();
  const zoneLatest = new Map<string, readonly ZoneMeasures[]>();
  /** each camera's latest density map; pooled and encoded (about 1.4 kB a camera) only when a heartbeat is built */
  const crowdLatest = new Map<string, { map: DensityMap; sourceWidth: number; sourceHeight: number; capturedAt: number }>();
  const crowdGrid = (c: { map: DensityMap; sourceWidth: number; sourceHeight: number; capturedAt: number }): { grid: CrowdGrid; sourceWidth: number; sourceHeight: number; at: string } => ({
    grid: encodeCrowdGrid(poolGrid(c.map.data, c.map.width, c.map.height, 32, 32), 32, 32),
    sourceWidth: c.sourceWidth, sourceHeight: c.sourceHeight, at: new Date(c.capturedAt).toISOString(),
  });
  const accepted: AlarmSink = {
    async send(alarm, evidence) {
      await sink.send(alarm, evidence);
      if (alarm.kind.startsWith('camera.')) {
        const cond = alarm.kind.slice('camera.'.length) as 'offline' | 'frozen' | 'tamper';
        const set = cameraCondition.get(alarm.camera) ?? new Set();
        if (alarm.state === 'raised') set.add(cond); else set.delete(cond);
        cameraCondition.set(alarm.camera, set);
      }
      log.info('alarm accepted', { id: alarm.id, kind: alarm.kind, state: alarm.state, severity: alarm.severity, camera: alarm.camera, zone: alarm.zone });
    },
    close: () => sink.close(),
  };

  /** Fills the transport fields of an alarm made outside the pipeline (ONVIF events, sensors). */
  const sendOutput = async (out: AnalyzerOutput) => {
    const alarm = { ...out.alarm, v: ALARM_SCHEMA_VERSION, site: siteId, edge: e.id } as Alarm;
    await accepted.send(alarm, out.evidence ? { frame: out.evidence, ...(out.draw ? { draw: [...out.draw] } : {}), ...(out.persons ? { persons: [...out.persons] } : {}) } : undefined);
  };

  // WS-Discovery at start: which configured ONVIF cameras answer, and which
  // devices on the network are not configured yet (for the operator to add).
  const discovery: { configured: string[]; missing: string[]; unconfigured: string[] } = { configured: [], missing: [], unconfigured: [] };
  if (e.discovery.enabled) {
    discoverCameras({ timeoutMs: e.discovery.timeoutMs, ...(e.discovery.addresses.length ? { addresses: e.discovery.addresses } : {}) })
      .then((found) => {
        const onvifCams = cameras.flatMap((c) => ('onvif' in c.source ? [{ id: c.id, key: `${c.source.onvif.host}:${c.source.onvif.port}` }] : []));
        const foundKeys = new Set(found.map((d) => `${d.host}:${d.port}`));
        discovery.configured = onvifCams.filter((c) => foundKeys.has(c.key)).map((c) => c.id);
        discovery.missing = onvifCams.filter((c) => !foundKeys.has(c.key)).map((c) => c.id);
        const known = new Set(onvifCams.map((c) => c.key));
        discovery.unconfigured = found.filter((d) => !known.has(`${d.host}:${d.port}`)).map((d) => d.xaddrs[0] ?? `${d.host}:${d.port}`);
        log.info('onvif discovery', { devices: found.length, camerasFound: discovery.configured, camerasNotAnswering: discovery.missing, unconfiguredDevices: discovery.unconfigured });
        if (discovery.missing.length) log.warn('configured ONVIF cameras did not answer discovery', { cameras: discovery.missing });
      })
      .catch((err) => log.warn('onvif discovery failed', { error: err }));
  }

  // The live view shows what the detector has just analysed, blurred as the site asks.
  const liveView = createLiveView({ cameras: cameras.map((c) => c.id), blurPersons: site.site.blurPersons, token: readSecret(e.http.liveToken, 'edge.http.liveToken', file) ?? null, maxFps: e.http.liveMaxFps, logger: log.child({ part: 'live-view' }) });

  let detector: DetectorPool | null = null;
  let pipeline: EdgePipeline | null = null;
  if (cameras.length) {
    detector = await createDetectorPool({ workers: e.workers ?? Math.max(1, cpus().length), ...(e.backend !== 'auto' ? { backend: e.backend } : {}), minScore: e.detect.minScore, logger: log.child({ part: 'detector' }) });
    const pipelineCameras = cameras.map((camera) => ({
      config: camera,
      decoder: createFrameDecoder(cameraSourceFor(camera, siteFile, log), {
        fps: camera.detect.fps ?? e.detect.fps,
        ...(camera.detect.width ? { width: camera.detect.width } : {}),
        ...(camera.detect.height ? { height: camera.detect.height } : {}),
        logger: log.child({ camera: camera.id }),
      }),
    }));
    pipeline = createEdgePipeline({
      site: siteId, edgeId: e.id, cameras: pipelineCameras, detector, sink: accepted, mode: 'live',
      batcher: { maxBatch: e.detect.maxBatch, maxWaitMs: e.detect.maxWaitMs, maxAgeMs: e.detect.maxAgeMs },
      gate: e.detect.gate.enabled ? { maxIntervalS: e.detect.gate.maxIntervalS, cellDelta: e.detect.gate.cellDelta, minChangedFraction: e.detect.gate.minChangedFraction } : false,
      abandoned: site.abandoned, logger: log.child({ part: 'pipeline' }),
      onResult: (camera, result, crowd) => {
        if (crowd.length) zoneLatest.set(camera, crowd);
        const d = result.density;
        if (d && d.width % 32 === 0 && d.height % 32 === 0) {
          crowdLatest.set(camera, { map: d, sourceWidth: result.frame.sourceWidth, sourceHeight: result.frame.sourceHeight, capturedAt: result.frame.capturedAt });
        }
        liveView.offer(camera, result);
      },
    });
    pipeline.start();
  }

  const watchers: OnvifEventWatcher[] = [];
  for (const camera of cameras) {
    if (!('onvif' in camera.source) || !camera.source.onvif.events) continue;
    const w = createOnvifEventWatcher({ camera, site: siteId, configFile: siteFile, logger: log.child({ camera: camera.id, part: 'onvif-events' }), motionHoldS: e.motionHoldS, onAlarm: (out) => { sendOutput(out).catch((err) => log.error('onvif alarm refused', { camera: camera.id, error: err })); } });
    w.start();
    watchers.push(w);
  }

  // Sensors: one mapper shared by both paths keeps each sensor's episodes consistent.
  const mapper = createSensorAlarmMapper({ clock: systemClock });
  const app = new Hono();
  const metrics = createEdgeMetrics(() => ({ pipeline: pipeline?.metrics() ?? emptyMetrics(), outbox: sink.stats().outbox, link }));
  app.get('/metrics', async (c) => c.text(await metrics.metrics(), 200, { 'content-type': metrics.contentType }));
  app.get('/health', (c) => {
    const o = sink.stats().outbox;
    return c.json({ edge: e.id, site: siteId, link, outbox: o.depth, checks: { 'edge.disk': { ...o.disk, warning: o.diskWarning } }, cameras: pipeline?.metrics().cameras ?? [], discovery });
  });
  app.route('/', liveView.routes);
  const webhookSensors = site.sensors.filter((s) => s.via === 'webhook');
  if (webhookSensors.length) {
    app.route('/', createSensorWebhook({ site: siteId, sensors: webhookSensors, tokens: readSensorTokens(webhookSensors, siteFile), onAlarm: sendOutput, logger: log.child({ part: 'webhook' }), mapper }));
  }
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: e.http.host, port: e.http.port }, () => resolve(s));
  });
  const addr = server.address();
  const httpPort = addr && typeof addr === 'object' ? addr.port : e.http.port;
  log.info('edge http listening', { host: e.http.host, port: httpPort });

  let natsSensors: NatsSensorIngest | null = null;
  let heartbeat: Heartbeat | null = null;
  ncReady.then((c) => {
    if (stopping) return;
    const natsSensorList = site.sensors.filter((s) => s.via === 'nats');
    if (natsSensorList.length) natsSensors = createNatsSensorIngest({ nc: c, site: siteId, sensors: natsSensorList, onAlarm: sendOutput, logger: log.child({ part: 'nats-sensors' }), mapper });
    heartbeat = startHeartbeat({ nc: c, site: siteId, edgeId: e.id, intervalMs: e.heartbeatMs, logger: log, collect: () => healthPayload() });
  }, () => { /* already logged by the first handler on ncReady ('nats connection abandoned') */ });

  const cameraState = (camera: string, framesIn: number): 'starting' | 'ok' | 'offline' | 'frozen' | 'tamper' => {
    const set = cameraCondition.get(camera);
    if (set?.has('offline')) return 'offline';
    if (set?.has('frozen')) return 'frozen';
    if (set?.has('tamper')) return 'tamper';
    return framesIn === 0 ? 'starting' : 'ok';
  };

  // Overload lowers every camera's detect rate evenly (the batcher's fair share); the hub is told so, with the rate kept.
  const overloadWarning = (m: PipelineMetrics | undefined): string[] => {
    const over = (m?.cameras ?? []).filter((c) => c.overloaded);
    if (!over.length) return [];
    const fps = over.reduce((s, c) => s + c.fps, 0) / over.length;
    return [`detector overloaded: ${over.length} camera(s) detected at ${fps.toFixed(1)} fps, frames dropped evenly (${over.map((c) => c.camera).join(', ')})`.slice(0, 300)];
  };

  const healthPayload = (): HealthPayload => {
    const m = pipeline?.metrics();
    const o = sink.stats().outbox;
    return {
      v: 1, site: siteId, edge: e.id, at: new Date().toISOString(), uptimeS: (Date.now() - started) / 1000,
      cameras: (m?.cameras ?? []).map((c) => {
        const latest = crowdLatest.get(c.camera);
        const crowd = latest ? crowdGrid(latest) : undefined;
        return {
          id: c.camera, state: cameraState(c.camera, c.framesIn), fps: c.fps, ...(m?.queueAgeMs.p95 != null ? { queueAgeMs: m.queueAgeMs.p95 } : {}),
          detect: { detected: c.detected, gated: c.gated, dropped: c.dropped, overloaded: c.overloaded }, ...(crowd ? { crowd } : {}),
        };
      }),
      zones: [...zoneLatest].flatMap(([camera, zs]) => zs.map((z) => ({ camera, zone: z.zone, count: z.count, density: z.density, los: z.los, method: z.method, confidence: z.confidence, detected: z.detected, densityCount: z.densityCount, trendPerMin: z.trendPerMin }))),
      outbox: { depth: o.depth, oldestAgeMs: o.oldestAgeMs, dropped: o.dropped, dbBytes: o.dbBytes, refused: o.refused },
      link,
      disk: { state: o.disk.state, freeBytes: o.disk.freeBytes, held: o.disk.held, refused: o.disk.refused, snapshotsDropped: o.disk.snapshotsDropped },
      warnings: [
        ...(o.diskWarning ? [`edge.disk: ${o.diskWarning}`.slice(0, 300)] : []),
        ...overloadWarning(m),
      ],
    };
  };

  return {
    id: e.id,
    httpPort,
    metrics: () => pipeline?.metrics() ?? emptyMetrics(),
    stop() {
      stopping ??= (async () => {
        log.info('edge stopping');
        connectAbort.abort();
        await Promise.allSettled(watchers.map((w) => w.stop()));
        if (natsSensors) await (natsSensors as NatsSensorIngest).close().catch((err: unknown) => log.warn('nats sensors stop failed', { error: errorMessage(err) }));
        await pipeline?.stop();
        (heartbeat as Heartbeat | null)?.stop();
        // Live views stream until closed: end them so that close() returns.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await detector?.close();
        // Give the publisher a short while to drain; what is left stays in the outbox for next time.
        // drained() rejects once the publisher has ended (no connection): the alarms stay in the outbox, and the sink must still close.
        await Promise.race([
          sink.drained().catch((err: unknown) => log.warn('outbox not drained at stop; alarms kept for the next start', { error: errorMessage(err) })),
          new Promise((r) => setTimeout(r, 3_000)),
        ]);
        await sink.close();
        if (nc) await (nc as NatsConnection).drain().catch((err: unknown) => log.warn('nats drain failed', { error: errorMessage(err) }));
        log.info('edge stopped');
      })();
      return stopping;
    },
  };
}

function emptyMetrics(): PipelineMetrics {
  return { mode: 'live', framesIn: 0, detected: 0, gated: 0, dropped: 0, alarms: 0, alarmsByKind: {}, sinkErrors: 0, elapsedS: 0, cameras: [], queueAgeMs: { p50: null, p95: null, max: null }, latencyMs: { p50: null, p95: null, count: 0 }, inferenceMs: { mean: null }, batcher: null };
}
