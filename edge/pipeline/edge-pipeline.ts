import { ALARM_SCHEMA_VERSION, parseAlarm, type Alarm } from '../../common/alarm.ts';
import { systemClock, type Clock, type TimerHandle } from '../../common/clock.ts';
import type { CameraConfig } from '../../common/config/site.ts';
import { abandonedSchema, type AbandonedConfig } from '../../common/config/zone.ts';
import { errorMessage, ValidationError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { createBatcher, type Batcher, type BatcherMetrics } from '../detect/batcher.ts';
import { createChangeGate, type ChangeGate, type ChangeGateOptions } from '../detect/change-gate.ts';
import type { CrowdAnalyzer, CrowdAnalyzerOptions, ZoneMeasures, ZoneStats } from '../crowd/crowd-analyzer.ts';
import { defaultAnalyzers, isCrowdAnalyzer, NO_CROWD, type AnalyzerFactory } from './analyzer-factories.ts';
import type { AlarmSink, Analyzer, AnalyzerOutput, DetectionResult, Detector, Frame, FrameDecoder } from '../types.ts';
import { createLatencyStats } from './latency.ts';

/**
 * The per-camera composition shared by `vigil replay`, `vigil edge` and the
 * demo: decoder ─► (batcher) ─► detector ─► analyzers (a list of factories per
 * camera; by default crowd, abandoned objects, health) ─► sink.
 *
 * - `replay` is lossless and deterministic: every decoded frame is detected and
 *   analysed in order, and the decoder is paced by backpressure.
 * - `live` never queues without bound: frames go through the batcher, which
 *   keeps one pending frame per camera and drops stale ones.
 */
export type PipelineMode = 'replay' | 'live';

export interface PipelineCamera {
  config: CameraConfig;
  decoder: FrameDecoder;
}

export interface EdgePipelineOptions {
  site: string;
  edgeId: string;
  cameras: readonly PipelineCamera[];
  detector: Detector;
  /** live mode only. @default maxBatch = camera count, maxWaitMs 50, maxAgeMs 1500 */
  batcher?: { maxBatch?: number; maxWaitMs?: number; maxAgeMs?: number };
  sink: AlarmSink;
  clock?: Clock;
  logger?: Logger;
  mode: PipelineMode;
  /** `vigil replay --dwell S`: abandoned-object dwell for every zone */
  dwellOverrideS?: number;
  /** site-wide abandoned defaults (SiteConfig.abandoned) */
  abandoned?: AbandonedConfig;
  /** extra crowd analyzer options (tests, benches); used by the default analyzer list */
  crowd?: Partial<Omit<CrowdAnalyzerOptions, 'camera'>>;
  /** the analyzers each camera runs, as factories (analyzer-factories.ts). @default crowd, abandoned, health */
  analyzers?: readonly AnalyzerFactory[];
  /** every analysed frame, after the analyzers ran, with the crowd measures it produced */
  onResult?: (camera: string, result: DetectionResult, crowd: readonly ZoneMeasures[]) => void;
  /**
   * replay only: frames of one camera in detection at once (a pool with N
   * workers wants N). Detect options for a frame are chosen when it is sent,
   * after the frame `replayConcurrency` earlier was analysed, so the output is
   * still deterministic for a given value. @default 1
   */
  replayConcurrency?: number;
  /**
   * live only: frames in detection at once. More than the detector works on
   * at once would only queue inside it, past the batcher's newest-wins and
   * earliest-deadline order. @default the detector's concurrency, else 1
   */
  maxFramesInFlight?: number;
  /** how often analyzers' `tick` runs in live mode, ms. @default 1000 */
  tickMs?: number;
  /**
   * change-gated inference (edge/detect/change-gate.ts): a camera whose
   * picture has not changed skips detection and its analyzers reuse the last
   * detected frame's results. @default on in live mode, off in replay
   */
  gate?: ChangeGateOptions | false;
}

export interface CameraMetrics {
  camera: string;
  framesIn: number;
  detected: number;
  /** frames that skipped detection (no change since the last detected frame) and reused its results */
  gated: number;
  dropped: number;
  /** detected frames per second of wall time since start */
  fps: number;
  lastMediaTime: number | null;
  /**
   * live: the detector could not keep up with this camera over the last
   * `OVERLOAD_WINDOW_MS` (more than a fifth of its frames to detect were
   * dropped), so its detect rate is lowered, evenly with the other cameras
   */
  overloaded: boolean;
}

export interface PipelineMetrics {
  mode: PipelineMode;
  framesIn: number;
  detected: number;
  /** frames that reused the last detection (change gate) */
  gated: number;
  dropped: number;
  alarms: number;
  alarmsByKind: Record<string, number>;
  sinkErrors: number;
  elapsedS: number;
  cameras: CameraMetrics[];
  /** frame capture (left the decoder) to detection start, ms */
  queueAgeMs: { p50: number | null; p95: number | null; max: number | null };
  /** frame capture to the sink accepting the alarm, ms */
  latencyMs: { p50: number | null; p95: number | null; count: number };
  inferenceMs: { mean: number | null };
  batcher: BatcherMetrics | null;
}

export interface EdgePipeline {
  start(): void;
  /** stops decoding, clears open alarms at the sink, closes nothing it was given */
  stop(): Promise<void>;
  /** resolves when every camera's footage has ended and its alarms are sent (or after stop) */
  readonly done: Promise<PipelineMetrics>;
  metrics(): PipelineMetrics;
  /** crowd statistics per camera and zone */
  crowdStats(): Record<string, ZoneStats[]>;
}

/** how far back the overload flag looks */
const OVERLOAD_WINDOW_MS = 10_000;

interface CameraState {
  id: string;
  config: CameraConfig;
  decoder: FrameDecoder;
  crowd: Pick<CrowdAnalyzer, 'detectOptions' | 'latest' | 'stats'>;
  analyzers: Analyzer[];
  gate: ChangeGate | null;
  /** the latest detected frame's result, reused by gated frames */
  lastResult: DetectionResult | null;
  framesIn: number;
  detected: number;
  gated: number;
  /** live: frames handed to the batcher, and those the detector took from it */
  pushed: number;
  taken: number;
  /** live: (pushed, dropped) a tick ago, oldest first, over OVERLOAD_WINDOW_MS */
  loadHistory: { at: number; pushed: number; dropped: number }[];
  lastMediaTime: number | null;
  /** alarms of this camera go to the sink in order */
  sending: Promise<void>;
  /** live mode: results of this camera are analysed in frame order */
  analysing: Promise<void>;
  ended: boolean;
}

export function createEdgePipeline(options: EdgePipelineOptions): EdgePipeline {
  if (!options.cameras.length) throw new ValidationError('cameras', 'at least one camera is needed');
  const ids = new Set<string>();
  for (const c of options.cameras) {
    if (ids.has(c.config.id)) throw new ValidationError('cameras', `duplicate camera id ${c.config.id}`);
    ids.add(c.config.id);
  }
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? silentLogger;
  const mode = options.mode;
  const { detector, sink, site, edgeId } = options;
  const gateOptions = options.gate ?? (mode === 'live' ? {} : false);

  const factories = options.analyzers ?? defaultAnalyzers({
    ...(options.crowd ? { crowd: options.crowd } : {}),
    abandoned: options.abandoned ?? abandonedSchema.parse({}),
    ...(options.dwellOverrideS !== undefined ? { dwellOverrideS: options.dwellOverrideS } : {}),
  });
  const cams = new Map<string, CameraState>();
  for (const { config, decoder } of options.cameras) {
    const analyzers = factories.map((f) => f(config));
    const crowd = analyzers.find(isCrowdAnalyzer) ?? NO_CROWD;
    const gate = gateOptions === false ? null : createChangeGate(gateOptions);
    cams.set(config.id, {
      id: config.id, config, decoder, crowd, analyzers, gate, lastResult: null,
      framesIn: 0, detected: 0, gated: 0, pushed: 0, taken: 0, loadHistory: [], lastMediaTime: null,
      sending: Promise.resolve(), analysing: Promise.resolve(), ended: false,
    });
  }

  const latency = createLatencyStats();
  const queueAge = createLatencyStats();
  const alarmsByKind: Record<string, number> = {};
  let alarms = 0, sinkErrors = 0, inferenceTotal = 0, inferenceCount = 0;
  let startedAt = 0;
  let started = false, stopping = false;
  let batcher: Batcher | null = null;
  let ticker: TimerHandle | null = null;
  /** decoding, detection and analysis of every camera; settles once in-flight frames are analysed */
  let work: Promise<unknown> | null = null;
  let resolveDone!: (m: PipelineMetrics) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<PipelineMetrics>((res, rej) => { resolveDone = res; rejectDone = rej; });
  // `done` may be awaited late or never (stop() is the other way out); do not let it crash the process.
  done.catch(() => undefined);

  function emit(cam: CameraState, outputs: AnalyzerOutput[]): void {
    for (const out of outputs) {
      let alarm: Alarm;
      try {
        alarm = parseAlarm({ ...out.alarm, v: ALARM_SCHEMA_VERSION, site, edge: edgeId });
      } catch (err) {
        // An analyzer bug must not stop the other cameras; it is loud in the log.
        sinkErrors++;
        log.error('analyzer produced an invalid alarm', { camera: cam.id, kind: out.alarm.kind, err });
        continue;
      }
      alarms++;
      alarmsByKind[alarm.kind] = (alarmsByKind[alarm.kind] ?? 0) + 1;
      const evidence = out.evidence ? { frame: out.evidence, ...(out.draw ? { draw: out.draw } : {}), ...(out.persons ? { persons: out.persons } : {}) } : undefined;
      cam.sending = cam.sending.then(async () => {
        try {
          await sink.send(alarm, evidence);
          if (evidence) latency.add(clock.now() - evidence.frame.capturedAt);
        } catch (err) {
          sinkErrors++;
          log.error('alarm sink refused an alarm', { camera: cam.id, id: alarm.id, kind: alarm.kind, err });
        }
      });
    }
  }

  function analyse(cam: CameraState, result: DetectionResult): void {
    if (result.reusedFrom === undefined) {
      cam.detected++;
      cam.lastResult = result;
      inferenceTotal += result.inferenceMs;
      inferenceCount++;
    } else cam.gated++;
    cam.lastMediaTime = result.frame.mediaTime;
    for (const a of cam.analyzers) {
      try {
        emit(cam, a.process(result));
      } catch (err) {
        log.error('analyzer failed on a frame', { camera: cam.id, analyzer: a.name, seq: result.frame.seq, err });
      }
    }
    options.onResult?.(cam.id, result, cam.crowd.latest());
  }

  /**
   * A gated frame: the picture is the new frame's (the abandoned-object
   * background and camera health read pixels), the detections and density
   * are the last detected frame's. Null before any detection came back.
   */
  function reuse(cam: CameraState, frame: Frame): DetectionResult | null {
    const last = cam.lastResult;
    if (!last) return null;
    const { densityMs: _d, ...rest } = last;
    return { ...rest, frame, inferenceMs: 0, reusedFrom: last.frame.seq };
  }

  function analyseGated(cam: CameraState, frame: Frame): void {
    const r = reuse(cam, frame);
    if (r) analyse(cam, r);
  }

  /** sends one frame to the detector with the camera's current options; analyse the result in order */
  function dispatch(cam: CameraState, frame: Frame): Promise<DetectionResult> {
    const opts = cam.crowd.detectOptions();
    queueAge.add(clock.now() - frame.capturedAt);
    return detector.detect([frame], opts).then(([result]) => {
      if (!result) throw new ValidationError('detector', `returned no result for ${frame.camera} #${frame.seq}`);
      return result;
    });
  }

  function flushAll(): void {
    const now = clock.now();
    for (const cam of cams.values()) {
      for (const a of cam.analyzers) {
        try {
          if (a.flush) emit(cam, a.flush(now));
        } catch (err) {
          log.error('analyzer flush failed', { camera: cam.id, analyzer: a.name, err });
        }
      }
    }
  }



  const replayConcurrency = Math.max(1, Math.floor(options.replayConcurrency ?? 1));
  async function replayCamera(cam: CameraState): Promise<void> {
    // A gated frame holds its place in order, and takes the detections of the frame detected before it.
    const inflight: (Promise<DetectionResult> | Frame)[] = [];
    const settle = async (x: Promise<DetectionResult> | Frame) => {
      if ('then' in x) analyse(cam, await x);
      else analyseGated(cam, x);
    };
    try {
      for await (const frame of cam.decoder.frames()) {
        if (stopping) break;
        cam.framesIn++;
        if (cam.gate && !cam.gate.decide(frame).detect) inflight.push(frame);
        else {
          const p = dispatch(cam, frame);
          p.catch(() => undefined); // awaited below, in order
          inflight.push(p);
        }
        if (inflight.length >= replayConcurrency) await settle(inflight.shift()!);
      }
      while (inflight.length) await settle(inflight.shift()!);
    } finally {
      cam.ended = true;
    }
  }

  async function feedLive(cam: CameraState): Promise<void> {
    try {
      for await (const frame of cam.decoder.frames()) {
        if (stopping) break;
        cam.framesIn++;
        // While a frame of this camera waits in the batcher, a newer one replaces it
        // there: deciding it against a reference the detector has not yet taken
        // would analyse it before the waiting frame, out of order.
        if (cam.gate && !batcher!.isPending(cam.id) && !cam.gate.propose(frame).detect) {
          cam.analysing = cam.analysing.then(() => analyseGated(cam, frame));
          continue;
        }
        cam.pushed++;
        batcher!.push(frame);
      }
    } catch (err) {
      // One camera's failure must not take the others down; its health analyzer sees it go silent.
      log.error('camera decoder failed', { camera: cam.id, err });
    }
    cam.ended = true;
    closeIfDrained(batcher!);
  }

  const maxInFlight = Math.max(1, Math.floor(options.maxFramesInFlight ?? detector.concurrency ?? 1));
  /** frames in detection, each settling on its own */
  const inflight = new Set<Promise<unknown>>();
  const allEnded = () => [...cams.values()].every((c) => c.ended);
  const closeIfDrained = (b: Batcher) => { if (allEnded() && b.metrics().pending === 0 && inflight.size === 0) b.close(); };

  /** Detects a batch; each camera's results are analysed in frame order even when frames overtake each other. */
  function runBatch(b: Batcher, batch: Frame[]): void {
    const t0 = clock.now();
    const parts = batch.map((f) => {
      const cam = cams.get(f.camera)!;
      cam.taken++;
      cam.gate?.taken(f);
      const detected = dispatch(cam, f);
      const settled: Promise<unknown> = detected.then(() => undefined, () => undefined).finally(() => {
        inflight.delete(settled);
        closeIfDrained(b);
      });
      inflight.add(settled);
      cam.analysing = cam.analysing
        .then(() => detected)
        .then((result) => analyse(cam, result))
        .catch((err: unknown) => log.error('detection failed for a frame', { camera: cam.id, seq: f.seq, err }));
      return detected;
    });
    void Promise.allSettled(parts).then(() => { b.recordInference(clock.now() - t0); });
  }

  async function detectLoop(): Promise<void> {
    const b = batcher!;
    for (;;) {
      // Only as many frames as the detector works on at once: the rest wait in
      // the batcher, one per camera, where a newer frame replaces an older one.
      while (inflight.size >= maxInFlight) await Promise.race(inflight);
      if (allEnded() && b.metrics().pending === 0) break;
      const batch = await b.next(maxInFlight - inflight.size);
      if (!batch) break;
      runBatch(b, batch);
    }
    await Promise.allSettled([...inflight]);
    await Promise.all([...cams.values()].map((c) => c.analysing));
    b.close();
  }

  /** frames given to the batcher that the detector never took (replaced by a newer one, or stale) */
  function droppedOf(c: CameraState): number {
    if (mode !== 'live' || !batcher) return 0;
    return Math.max(0, c.pushed - c.taken - (batcher.isPending(c.id) ? 1 : 0));
  }

  function overloaded(c: CameraState): boolean {
    const h = c.loadHistory;
    if (h.length < 2) return false;
    const first = h[0]!, last = h[h.length - 1]!;
    const pushed = last.pushed - first.pushed, dropped = last.dropped - first.dropped;
    return pushed >= 4 && dropped / pushed > 0.2;
  }

  /** live, every tick: the window the overload flag reads */
  function sampleLoad(now: number): void {
    for (const c of cams.values()) {
      c.loadHistory.push({ at: now, pushed: c.pushed, dropped: droppedOf(c) });
      while (c.loadHistory.length > 2 && now - c.loadHistory[0]!.at > OVERLOAD_WINDOW_MS) c.loadHistory.shift();
    }
  }

  function metrics(): PipelineMetrics {
    const elapsedS = startedAt ? Math.max(1e-3, (clock.now() - startedAt) / 1000) : 0;
    const bm = batcher?.metrics() ?? null;
    const dropped = bm ? bm.droppedReplaced + bm.droppedStale : 0;
    const cameras = [...cams.values()].map((c) => ({
      camera: c.id, framesIn: c.framesIn, detected: c.detected, gated: c.gated,
      dropped: droppedOf(c),
      fps: elapsedS ? c.detected / elapsedS : 0,
      lastMediaTime: c.lastMediaTime,
      overloaded: overloaded(c),
    }));
    return {
      mode,
      framesIn: cameras.reduce((s, c) => s + c.framesIn, 0),
      detected: cameras.reduce((s, c) => s + c.detected, 0),
      gated: cameras.reduce((s, c) => s + c.gated, 0),
      dropped,
      alarms, alarmsByKind: { ...alarmsByKind }, sinkErrors, elapsedS, cameras,
      queueAgeMs: { p50: queueAge.percentile(50), p95: queueAge.percentile(95), max: queueAge.percentile(100) },
      latencyMs: { p50: latency.percentile(50), p95: latency.percentile(95), count: latency.count },
      inferenceMs: { mean: inferenceCount ? inferenceTotal / inferenceCount : null },
      batcher: bm,
    };
  }

  async function finish(): Promise<void> {
    ticker?.cancel();
    ticker = null;
    flushAll();
    await Promise.all([...cams.values()].map((c) => c.sending));
  }

  let finished: Promise<void> | null = null;
  function finishOnce(): Promise<void> {
    finished ??= finish().then(() => resolveDone(metrics()), (err) => { rejectDone(err); throw err; });
    return finished;
  }

  return {
    start() {
      if (started) throw new ValidationError('pipeline', 'already started');
      started = true;
      startedAt = clock.now();
      const list = [...cams.values()];
      // Decoders log their own status (stalls, restarts, failures); the pipeline only starts them.
      for (const c of list) c.decoder.start();
      if (mode === 'replay') {
        work = Promise.all(list.map(replayCamera));
      } else {
        const bo = options.batcher ?? {};
        batcher = createBatcher({ maxBatch: bo.maxBatch ?? list.length, maxWaitMs: bo.maxWaitMs ?? 50, maxAgeMs: bo.maxAgeMs ?? 1500, clock });
        ticker = clock.setInterval(() => {
          const now = clock.now();
          sampleLoad(now);
          for (const c of list) for (const a of c.analyzers) {
            try { if (a.tick) emit(c, a.tick(now)); } catch (err) { log.error('analyzer tick failed', { camera: c.id, analyzer: a.name, err }); }
          }
        }, options.tickMs ?? 1000);
        work = Promise.all([detectLoop(), ...list.map(feedLive)]);
      }
      work.then(
        () => finishOnce(),
        async (err: unknown) => {
          log.error('pipeline failed', { err: errorMessage(err) });
          stopping = true;
          await Promise.allSettled(list.map((c) => c.decoder.stop()));
          batcher?.close();
          rejectDone(err);
        },
      );
    },
    async stop() {
      // A failure is the caller's to read from `done`; stop() itself only has to end.
      if (stopping) { await done.catch(() => undefined); return; }
      stopping = true;
      await Promise.allSettled([...cams.values()].map((c) => c.decoder.stop()));
      batcher?.close();
      if (started) {
        // Frames already in detection are analysed first: flushing before them would
        // let a late result raise an alarm after its episode was cleared, into a sink
        // the caller is about to close. Failures of `work` are reported through `done`.
        await work?.then(() => undefined, () => undefined);
        await finishOnce().catch(() => undefined);
      } else resolveDone(metrics());
    },
    done,
    metrics,
    crowdStats: () => Object.fromEntries([...cams.values()].map((c) => [c.id, c.crowd.stats()])),
  };
}
