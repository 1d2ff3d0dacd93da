import type { Analyzer, AnalyzerOutput, DetectionResult, Frame } from '../types.ts';
import type { CameraConfig } from '../../common/config/site.ts';
import { newAlarmId } from '../../common/alarm.ts';
import { ValidationError } from '../../common/errors.ts';
import { createEpisode, type Episode } from '../rules/episode.ts';
import { correlation, createFrameMetricsMeter, type FrameMetrics, type FrameMetricsMeter } from './frame-metrics.ts';

export interface HealthAnalyzerOptions {
  camera: CameraConfig;
  /** tuning beyond the camera's `health` config (tests, special cameras) */
  tuning?: Partial<HealthTuning>;
}

export interface HealthTuning {
  /** seconds of footage that teach the baseline before tamper checks start @default 5 */
  baselineS: number;
  /** seconds a tamper condition must hold before it is raised, and be gone before it clears @default 3 */
  tamperHoldS: number;
  /** mean absolute frame difference (0–255) below which two frames are the same picture @default 0.1 */
  frozenChange: number;
  /** covered: detail and contrast both below this fraction of the baseline (clears above twice it) @default 0.3 */
  coveredRatio: number;
  /** defocused: sharpness below this fraction of the baseline (clears above 0.6) @default 0.35 */
  defocusRatio: number;
  /** moved: edge correlation with the reference view below this (clears above 0.55) @default 0.4 */
  movedCorrelation: number;
  /** seconds after which a moved view is accepted as the new reference, clearing the alarm @default 60 */
  movedAcceptS: number;
  /** seconds: time constant with which the baseline follows slow changes (daylight) @default 120 */
  baselineTauS: number;
}

const DEFAULT_TUNING: HealthTuning = Object.freeze({
  baselineS: 5, tamperHoldS: 3, frozenChange: 0.1, coveredRatio: 0.3, defocusRatio: 0.35,
  movedCorrelation: 0.4, movedAcceptS: 60, baselineTauS: 120,
});

type Kind = 'camera.offline' | 'camera.frozen' | 'camera.tamper';
type Reason = 'offline' | 'frozen' | 'covered' | 'defocused' | 'moved';


interface Baseline { n: number; std: number; detail: number; sharpness: number; edges: Float32Array }

/**
 * Camera health: `camera.offline` (no frames for offlineS of wall time,
 * through tick), `camera.frozen` (the same picture, to the last bit of noise,
 * for frozenS), and `camera.tamper` with a reason of covered, defocused or
 * moved, each against a baseline learned from the camera's own first seconds
 * and following slow change. Each raises once and clears with hysteresis.
 */
export function createHealthAnalyzer(options: HealthAnalyzerOptions): Analyzer {
  const camera = options.camera;
  const health = camera.health ?? { offlineS: 10, frozenS: 10, tamper: true };
  const t: HealthTuning = Object.freeze({ ...DEFAULT_TUNING, ...options.tuning });
  for (const [k, v] of Object.entries(t)) if (!(typeof v === 'number' && v >= 0)) throw new ValidationError(`health.${k}`, `must be a non-negative number, got ${v}`);
  const offlineMs = health.offlineS * 1000;

  let meter: FrameMetricsMeter | null = null;
  let meterSize = '';
  let base: Baseline | null = null;
  let firstMedia: number | null = null;
  let lastFrameWall: number | null = null;
  let firstTick: number | null = null;
  let lastFrame: Frame | null = null;
  let lastMediaTime: number | null = null;
  let frozenFrom: number | null = null;
  let lastMediaTimeBefore: number | null = null;
  /** wall ms of what is being judged: episode ids are minted from it */
  let wallNow = 0;
  // One episode per reason, in seconds of media time (offline: wall ms, judged by tick).
  const cond = new Map<Reason, Episode>();
  const state = (r: Reason): Episode => {
    let c = cond.get(r);
    if (!c) cond.set(r, (c = createEpisode({ minDurationS: t.tamperHoldS, clearDurationS: t.tamperHoldS, newEpisode: () => newAlarmId(wallNow) })));
    return c;
  };

  function alarm(kind: Kind, reason: Reason, st: 'raised' | 'cleared', episode: string, at: { wallMs: number; mediaTime: number | null; frame?: Frame }, forSeconds: number, metrics: Record<string, number>, message: string): AnalyzerOutput {
    return {
      alarm: {
        id: newAlarmId(),
        kind,
        state: st,
        severity: 'warning',
        camera: camera.id,
        zone: null,
        episode,
        capturedAt: new Date(at.wallMs).toISOString(),
        mediaTime: at.mediaTime,
        message,
        health: { reason, forSeconds: Math.max(0, Math.round(forSeconds * 10) / 10), metrics },
      },
      ...(at.frame ? { evidence: at.frame } : {}),
    };
  }

  /**
   * Debounced condition: `bad` must hold for holdS to raise; once raised,
   * `good` (a stricter test than !bad, for hysteresis) must hold for holdS to clear.
   */
  function judge(kind: Kind, reason: Reason, now: number, bad: boolean, good: boolean, frame: Frame, metrics: Record<string, number>, out: AnalyzerOutput[]): void {
    const at = { wallMs: frame.capturedAt, mediaTime: frame.mediaTime, frame };
    const e = state(reason).update(now, bad, !good);
    if (e?.type === 'raised') out.push(alarm(kind, reason, 'raised', e.episode, at, now - e.since, metrics, `camera ${reason} for ${Math.round(now - e.since)} s`));
    else if (e) out.push(alarm(kind, reason, 'cleared', e.episode, at, now - e.since, metrics, `camera no longer ${reason}`));
  }

  function learn(m: FrameMetrics, weight: number): void {
    if (!base) { base = { n: 1, std: m.std, detail: m.detail, sharpness: m.sharpness, edges: m.edges.slice() }; return; }
    const w = base.n < 1e6 && weight === 0 ? 1 / ++base.n : weight;
    base.std += w * (m.std - base.std);
    base.detail += w * (m.detail - base.detail);
    base.sharpness += w * (m.sharpness - base.sharpness);
    let norm = 0;
    for (let i = 0; i < base.edges.length; i++) { base.edges[i]! += w * (m.edges[i]! - base.edges[i]!); norm += base.edges[i]! ** 2; }
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < base.edges.length; i++) base.edges[i]! /= norm;
  }

  function process(result: DetectionResult): AnalyzerOutput[] {
    const frame = result.frame;
    const out: AnalyzerOutput[] = [];
    const now = frame.mediaTime;
    const dt = lastMediaTime === null ? 0 : Math.max(0, now - lastMediaTime);
    lastMediaTime = now;
    lastFrameWall = frame.capturedAt;
    lastFrame = frame;
    wallNow = frame.capturedAt;

    const off = state('offline');
    const raisedMs = off.raisedAt;
    const back = off.clearNow(frame.capturedAt);
    if (back) out.push(alarm('camera.offline', 'offline', 'cleared', back.episode, { wallMs: frame.capturedAt, mediaTime: frame.mediaTime, frame }, (frame.capturedAt - raisedMs!) / 1000, {}, 'frames are arriving again'));

    const size = `${frame.width}x${frame.height}`;
    if (!meter || size !== meterSize) { meter = createFrameMetricsMeter(frame.width, frame.height); meterSize = size; base = null; firstMedia = null; frozenFrom = null; }
    const m = meter.measure(frame.data);
    firstMedia ??= now;

    // Frozen: the picture has not changed at all since frozenFrom.
    if (Number.isFinite(m.change) && m.change < t.frozenChange) frozenFrom ??= lastMediaTimeBefore ?? now;
    else if (Number.isFinite(m.change)) frozenFrom = null;
    lastMediaTimeBefore = now;
    const frozenFor = frozenFrom === null ? 0 : now - frozenFrom;
    const fz = state('frozen');
    if (!fz.open && frozenFrom !== null && frozenFor >= health.frozenS) {
      const e = fz.raiseNow(now, frozenFrom)!;
      out.push(alarm('camera.frozen', 'frozen', 'raised', e.episode, { wallMs: frame.capturedAt, mediaTime: now, frame }, frozenFor, { change: round(m.change) }, `picture unchanged for ${Math.round(frozenFor)} s`));
    } else if (fz.open && frozenFrom === null) {
      const e = fz.clearNow(now)!;
      out.push(alarm('camera.frozen', 'frozen', 'cleared', e.episode, { wallMs: frame.capturedAt, mediaTime: now, frame }, now - e.since, { change: round(m.change) }, 'picture is changing again'));
    }

    if (!health.tamper) return out;
    if (now - firstMedia < t.baselineS || !base) {
      learn(m, 0);
      return out;
    }
    const b: Baseline = base;
    const detailR = m.detail / (b.detail || 1);
    const stdR = m.std / (b.std || 1);
    const sharpR = m.sharpness / (b.sharpness || 1);
    const corr = correlation(m.edges, b.edges);
    const metrics = { detailRatio: round(detailR), contrastRatio: round(stdR), sharpnessRatio: round(sharpR), edgeCorrelation: round(corr) };

    const covered = detailR < t.coveredRatio && stdR < t.coveredRatio;
    const coveredGood = detailR > 2 * t.coveredRatio && stdR > 2 * t.coveredRatio;
    // A covered lens is also blurred and unlike the reference: report the cause, not its symptoms.
    const defocused = !covered && sharpR < t.defocusRatio && stdR > 0.5;
    const defocusGood = sharpR > 0.6 || covered;
    const moved = !covered && !defocused && corr < t.movedCorrelation;
    const movedGood = corr > t.movedCorrelation + 0.15 || covered || defocused;
    judge('camera.tamper', 'covered', now, covered, coveredGood, frame, metrics, out);
    judge('camera.tamper', 'defocused', now, defocused, defocusGood, frame, metrics, out);
    judge('camera.tamper', 'moved', now, moved, movedGood, frame, metrics, out);

    const mv = state('moved');
    if (mv.open && now - mv.raisedAt! >= t.movedAcceptS) {
      // The camera has a new view for good: make it the reference, which clears the alarm.
      base = { n: 1, std: m.std, detail: m.detail, sharpness: m.sharpness, edges: m.edges.slice() };
      const e = mv.clearNow(now)!;
      out.push(alarm('camera.tamper', 'moved', 'cleared', e.episode, { wallMs: frame.capturedAt, mediaTime: now, frame }, now - e.since, metrics, 'new camera view accepted as the reference'));
    }
    const anyBad = covered || defocused || moved || [...cond.values()].some((c) => c.open || c.since !== null);
    if (!anyBad && dt > 0) learn(m, 1 - Math.exp(-dt / t.baselineTauS));
    return out;
  }

  return {
    name: 'health',
    process,
    tick(nowMs: number): AnalyzerOutput[] {
      firstTick ??= nowMs;
      const ref = lastFrameWall ?? firstTick;
      const c = state('offline');
      if (c.open || nowMs - ref < offlineMs) return [];
      wallNow = nowMs;
      const e = c.raiseNow(nowMs, ref)!;
      const silentS = (nowMs - ref) / 1000;
      return [alarm('camera.offline', 'offline', 'raised', e.episode, { wallMs: nowMs, mediaTime: lastFrame?.mediaTime ?? null }, silentS, { silentSeconds: round(silentS) }, `no frames for ${Math.round(silentS)} s`)];
    },
    flush(nowMs: number): AnalyzerOutput[] {
      const out: AnalyzerOutput[] = [];
      for (const [reason, c] of cond) {
        const e = c.clearNow(reason === 'offline' ? nowMs : lastFrame?.mediaTime ?? 0);
        if (!e) continue;
        const kind: Kind = reason === 'offline' ? 'camera.offline' : reason === 'frozen' ? 'camera.frozen' : 'camera.tamper';
        const at = lastFrame && reason !== 'offline' ? { wallMs: lastFrame.capturedAt, mediaTime: lastFrame.mediaTime, frame: lastFrame } : { wallMs: nowMs, mediaTime: lastFrame?.mediaTime ?? null };
        out.push(alarm(kind, reason, 'cleared', e.episode, at, 0, {}, 'analysis stopped'));
      }
      return out;
    },
  };
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : 0;
}
