import os from 'node:os';
import path from 'node:path';
import type { Alarm } from '../../common/alarm.ts';
import { cameraSchema, loadSiteConfig, type CameraConfig, type SiteConfig } from '../../common/config/site.ts';
import { resolveFrom } from '../../common/config/load.ts';
import { abandonedSchema, type AbandonedConfig } from '../../common/config/zone.ts';
import { ConfigError, MediaError, ValidationError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { wholeFrameZone } from '../crowd/zones.ts';
import type { ZoneMeasures, ZoneStats } from '../crowd/crowd-analyzer.ts';
import { createFrameDecoder } from '../decode/ffmpeg-decoder.ts';
import { probeMedia, type MediaInfo } from '../decode/probe.ts';
import { createFileSource } from '../decode/sources.ts';
import { createDetectorPool } from '../detect/detector-pool.ts';
import type { ChangeGateOptions } from '../detect/change-gate.ts';
import { createEdgePipeline, type PipelineMetrics } from '../pipeline/edge-pipeline.ts';
import { loadAbandonedTruth, scoreAbandoned, type AbandonedScore, type AbandonedTruth } from '../scoring/abandoned-score.ts';
import type { AlarmSink, DetectionResult, Detector } from '../types.ts';

/** Without a config the whole frame is one zone of this floor area (a mid-sized hall or concourse section). */
export const ASSUMED_AREA_M2 = 100;
/** Detect rate when neither --fps nor the camera config gives one: the edge's live rate. */
export const DEFAULT_REPLAY_FPS = 2;

export interface ReplayOptions {
  video: string;
  configFile?: string;
  cameraId?: string;
  fps?: number;
  realtime?: boolean;
  dwellS?: number;
  /** abandoned-object settings over the site's (evaluations) */
  abandoned?: Partial<AbandonedConfig>;
  truthFile?: string;
  /** builds the sink once the site is known (json lines, human lines, memory) */
  sink: (site: SiteConfig | null) => AlarmSink & { readonly alarms: readonly Alarm[] };
  /** a detector to use instead of a new pool (tests, benches); not closed by the replay */
  detector?: Detector;
  workers?: number;
  logger?: Logger;
  onProgress?: (p: { frames: number; mediaTime: number; durationS: number }) => void;
  onResult?: (camera: string, result: DetectionResult, crowd: readonly ZoneMeasures[]) => void;
  /** change-gated inference as on a live edge (`--gate`); replay detects every frame by default */
  gate?: ChangeGateOptions | false;
}

export interface ReplaySummary {
  video: string;
  site: string;
  camera: string;
  /** frames detected */
  frames: number;
  /** with --gate: frames that reused the last detection */
  gated?: number;
  detectFps: number;
  durationS: number;
  mediaSecondsAnalysed: number;
  elapsedS: number;
  processingFps: number;
  realtimeFactor: number;
  dropped: number;
  alarms: { total: number; byKind: Record<string, number> };
  zones: (ZoneStats & { camera: string; method: string })[];
  detector: { name: string; backend: string; workers: number | null };
  latencyMs: PipelineMetrics['latencyMs'];
  assumptions?: { zone: string; areaM2: number; note: string };
  abandoned?: AbandonedScore & { dwellS: number };
  /** set when decoding stopped well before the duration the file declares: a truncated or damaged file */
  truncated?: { decodedS: number; declaredS: number };
  /** what the user must know about this run (the CLI prints these and exits non-zero) */
  warnings?: string[];
}

/** The truth file, checked by the scorer's own schema; errors name the flag, the file and the field. */
function readTruth(file: string): AbandonedTruth {
  try {
    return loadAbandonedTruth(file);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError('--truth', err.message, { cause: err });
    throw err;
  }
}

/** Picks the camera the video belongs to: --camera, else the one whose file is this video, else the first. */
function pickCamera(site: SiteConfig, file: string, video: string, id?: string): CameraConfig | null {
  if (id !== undefined) {
    const c = site.cameras.find((x) => x.id === id);
    if (!c) throw new ValidationError('--camera', `no camera "${id}" in ${file} (cameras: ${site.cameras.map((x) => x.id).join(', ') || 'none'})`);
    return c;
  }
  const abs = path.resolve(video);
  return site.cameras.find((c) => 'file' in c.source && resolveFrom(file, c.source.file) === abs) ?? site.cameras[0] ?? null;
}

function cameraIdFor(video: string): string {
  const base = path.basename(video).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return base || 'camera';
}

/** `vigil replay`: the edge pipeline on a file, lossless and as fast as it goes (or paced with realtime). */
export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const log = o.logger ?? silentLogger;
  if (o.fps !== undefined && !(o.fps > 0 && o.fps <= 30)) throw new ValidationError('--fps', `expected a frame rate in (0, 30], got ${o.fps}`);
  if (o.dwellS !== undefined && !(o.dwellS > 0)) throw new ValidationError('--dwell', `expected a positive number of seconds, got ${o.dwellS}`);
  const site = o.configFile ? loadSiteConfig(o.configFile) : null;
  const truth = o.truthFile ? readTruth(o.truthFile) : null;
  const info: MediaInfo = await probeMedia(o.video);

  let camera = site ? pickCamera(site, o.configFile!, o.video, o.cameraId) : null;
  if (!site && o.cameraId !== undefined) throw new ValidationError('--camera', 'needs --config (the camera is looked up in the site config)');
  let assumptions: ReplaySummary['assumptions'];
  if (!camera || camera.zones.length === 0) {
    const zone = wholeFrameZone(info.width, info.height, ASSUMED_AREA_M2);
    assumptions = { zone: zone.id, areaM2: ASSUMED_AREA_M2, note: `no zones configured: the whole ${info.width}×${info.height} frame is one zone of an assumed ${ASSUMED_AREA_M2} m²; densities are only as good as that guess` };
    try {
      camera = cameraSchema.parse({ ...(camera ?? { id: cameraIdFor(o.video), source: { file: o.video } }), zones: [zone] });
    } catch (err) {
      throw new ConfigError(o.configFile ?? o.video, [{ path: 'cameras', message: (err as Error).message }], { cause: err });
    }
  }
  const fps = o.fps ?? camera.detect.fps ?? DEFAULT_REPLAY_FPS;
  const siteId = site?.site.id ?? 'replay';
  const sink = o.sink(site);

  const ownDetector = !o.detector;
  const workers = o.workers ?? Math.max(1, Math.min(2, os.cpus().length));
  // Built (and so checked: detect width and height) before the pool's worker threads exist; it starts nothing yet.
  const decoder = createFrameDecoder(createFileSource(camera.id, o.video, { realtime: Boolean(o.realtime) }), {
    fps, lossless: true, logger: log,
    ...(camera.detect.width ? { width: camera.detect.width } : {}),
    ...(camera.detect.height ? { height: camera.detect.height } : {}),
  });
  const detector = o.detector ?? (await createDetectorPool({ workers, logger: log }));
  const pipeline = createEdgePipeline({
    site: siteId, edgeId: 'replay', mode: 'replay',
    cameras: [{ config: camera, decoder }],
    detector, sink, logger: log,
    replayConcurrency: ownDetector ? workers : 1,
    ...(site || o.abandoned ? { abandoned: abandonedSchema.parse({ ...(site?.abandoned ?? {}), ...(o.abandoned ?? {}) }) } : {}),
    ...(o.dwellS !== undefined ? { dwellOverrideS: o.dwellS } : {}),
    ...(o.gate ? { gate: o.gate } : {}),
    onResult: (cam, r, crowd) => {
      o.onResult?.(cam, r, crowd);
      o.onProgress?.({ frames: pipeline.metrics().framesIn, mediaTime: r.frame.mediaTime, durationS: info.durationS });
    },
  });
  let metrics: PipelineMetrics;
  try {
    pipeline.start();
    metrics = await pipeline.done;
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError(o.video, `replay failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await sink.close();
    if (ownDetector) await detector.close();
  }

  const stats = pipeline.crowdStats()[camera.id] ?? [];
  const cm = metrics.cameras[0]!;
  const summary: ReplaySummary = {
    video: o.video,
    site: siteId,
    camera: camera.id,
    frames: metrics.detected,
    ...(o.gate ? { gated: metrics.gated } : {}),
    detectFps: fps,
    durationS: Number.isFinite(info.durationS) ? info.durationS : (cm.lastMediaTime ?? 0),
    mediaSecondsAnalysed: metrics.detected / fps,
    elapsedS: Math.round(metrics.elapsedS * 100) / 100,
    processingFps: Math.round((metrics.detected / metrics.elapsedS) * 100) / 100,
    realtimeFactor: Math.round((metrics.detected / fps / metrics.elapsedS) * 100) / 100,
    dropped: metrics.dropped,
    alarms: { total: metrics.alarms, byKind: metrics.alarmsByKind },
    zones: stats.map((z) => ({
      camera: camera.id, ...z,
      peakCount: Math.round(z.peakCount * 10) / 10,
      peakDensity: Math.round(z.peakDensity * 1000) / 1000,
      method: Object.entries(z.methods).sort((a, b) => b[1]! - a[1]!)[0]?.[0] ?? 'detections',
    })),
    detector: { name: detector.name, backend: detector.backend, workers: ownDetector ? workers : null },
    latencyMs: metrics.latencyMs,
  };
  if (assumptions) summary.assumptions = assumptions;
  // ffmpeg decodes a cut file up to the cut and exits 0: compare with what the header declares.
  const decodedS = cm.lastMediaTime === null ? 0 : cm.lastMediaTime + 1 / fps;
  if (Number.isFinite(info.durationS) && decodedS < info.durationS - Math.max(2 / fps, 0.5, info.durationS * 0.02)) {
    summary.truncated = { decodedS: Math.round(decodedS * 10) / 10, declaredS: Math.round(info.durationS * 10) / 10 };
    summary.warnings = [`${o.video}: the video ended at ${summary.truncated.decodedS} s of the ${summary.truncated.declaredS} s its header declares; the file looks truncated or damaged, and anything after that point is missing from this replay`];
    log.warn('replay: video truncated', { video: o.video, ...summary.truncated });
  }
  if (truth) {
    const dwellS = o.dwellS ?? site?.abandoned.dwellS ?? 30;
    summary.abandoned = { ...scoreAbandoned(sink.alarms, truth, dwellS), dwellS };
  }
  log.debug('replay finished', { frames: summary.frames });
  return summary;
}
