import type { z } from 'zod';
import { newAlarmId, type LevelOfService } from '../../common/alarm.ts';
import type { BBox } from '../../common/geometry.ts';
import type { CameraConfig } from '../../common/config/site.ts';
import { zoneSchema, type ZoneConfig } from '../../common/config/zone.ts';
import type { Analyzer, AnalyzerOutput, DetectionResult, DetectRequestOptions } from '../types.ts';
import { createThresholdRule, type RuleEvent, type ThresholdRule } from '../rules/threshold-rule.ts';
import { createCrowdEstimator, type CountMethod, type FrameEstimate } from './crowd-estimator.ts';
import { fruinLevel } from './fruin.ts';
import { createTimeWindow, etaToNextThreshold, type TimeWindow } from './window.ts';
import { createCrowdZone, type CrowdZone } from './zones.ts';

/** Person boxes at or above this score count, on stills and on video alike (count and replay must agree). */
export const PERSON_MIN_SCORE = 0.3;

/** Per-zone measures after smoothing, as the analyzer last computed them. */
export interface ZoneMeasures {
  zone: string;
  /** media seconds of the frame */
  t: number;
  /** this frame's estimate, before smoothing */
  rawCount: number;
  count: number;
  density: number;
  los: LevelOfService;
  method: CountMethod;
  confidence: number;
  trendPerMin: number;
  etaNextThresholdS: number | null;
  saturated: boolean;
  /** the two measurements this frame: persons detected, and the density map's integral (null without a density head) */
  detected: number;
  densityCount: number | null;
  /** the weight density had in the count (0 = detections only) */
  densityWeight: number;
}

export interface ZoneStats {
  zone: string;
  areaM2: number;
  frames: number;
  peakCount: number;
  peakDensity: number;
  peakLos: LevelOfService;
  /** frames counted by each method */
  methods: Partial<Record<CountMethod, number>>;
}

export interface CrowdAnalyzer extends Analyzer {
  /** what the detector should compute for this camera's next frame */
  detectOptions(): DetectRequestOptions;
  latest(): readonly ZoneMeasures[];
  stats(): ZoneStats[];
}

export interface CrowdAnalyzerOptions {
  camera: CameraConfig;
  /** zones to use when the camera has none (replay without a config) */
  fallbackZones?: readonly z.input<typeof zoneSchema>[];
  /** the detector's cap on boxes per frame. @default 100 */
  maxDetections?: number;
  /** ask the detector for its person heatmap (other analyzers read it). @default true */
  heatmap?: boolean;
  /** ask the detector for the learned density map. @default true */
  density?: boolean;
  /** persons from which density starts to count, and counts alone (crowd-estimator.ts). */
  handover?: { from: number; to: number };
  /** 1 − the density head's held-out relative error (from its manifest). */
  densityConfidence?: number;
  /** least-squares window for the trend, seconds. @default 60 */
  trendWindowS?: number;
  /** person score below which a detection is not counted. @default 0.3 */
  minPersonScore?: number;
  /** alarm ids; injectable for deterministic tests */
  newId?: () => string;
  /** every frame's estimate, for accuracy tests and diagnostics */
  onEstimate?: (result: DetectionResult, estimate: FrameEstimate, measures: readonly ZoneMeasures[]) => void;
}

interface ZoneState {
  zone: CrowdZone;
  counts: TimeWindow;
  trend: TimeWindow;
  rule: ThresholdRule | null;
  latest: ZoneMeasures | null;
  stats: ZoneStats;
}

const LOS_ORDER = 'ABCDEF';

export function createCrowdAnalyzer(options: CrowdAnalyzerOptions): CrowdAnalyzer {
  const camera = options.camera;
  const zoneConfigs: ZoneConfig[] = camera.zones.length ? [...camera.zones] : (options.fallbackZones ?? []).map((z) => zoneSchema.parse(z));
  const zones = zoneConfigs.map(createCrowdZone);
  const estimator = createCrowdEstimator({
    zones, maxDetections: options.maxDetections ?? 100,
    ...(options.handover ? { handover: options.handover } : {}),
    ...(options.densityConfidence !== undefined ? { densityConfidence: options.densityConfidence } : {}),
  });
  const heatmap = options.heatmap ?? true;
  const density = options.density ?? true;
  const minScore = options.minPersonScore ?? PERSON_MIN_SCORE;
  const newId = options.newId ?? (() => newAlarmId());
  const trendWindowS = options.trendWindowS ?? 60;

  const states: ZoneState[] = zones.map((zone) => {
    const c = zone.config.crowd;
    const thresholds = [
      { metric: 'density', warning: c.warningDensity, critical: c.criticalDensity },
      ...(c.warningCount !== undefined || c.criticalCount !== undefined ? [{ metric: 'count', warning: c.warningCount, critical: c.criticalCount }] : []),
    ];
    return {
      zone,
      counts: createTimeWindow(c.smoothingS),
      trend: createTimeWindow(trendWindowS),
      rule: c.enabled ? createThresholdRule({ thresholds, hysteresis: c.hysteresis, minDurationS: c.minDurationS, clearDurationS: c.clearDurationS, newEpisode: () => `${camera.id}:${zone.id}:${newId()}` }) : null,
      latest: null,
      stats: { zone: zone.id, areaM2: zone.areaM2, frames: 0, peakCount: 0, peakDensity: 0, peakLos: 'A', methods: {} },
    };
  });

  function toOutputs(s: ZoneState, events: RuleEvent[], result: DetectionResult | null, boxes: BBox[], t: number, capturedAt: number): AnalyzerOutput[] {
    const m = s.latest;
    const c = s.zone.config.crowd;
    return events.map((ev) => {
      const threshold = ev.type === 'raised' ? ev.threshold : ev.level === 'critical' ? c.criticalDensity : c.warningDensity;
      const alarm: AnalyzerOutput['alarm'] = {
        id: newId(),
        kind: 'crowd.density',
        state: ev.type,
        severity: ev.level,
        camera: camera.id,
        zone: s.zone.id,
        episode: ev.episode,
        capturedAt: new Date(capturedAt).toISOString(),
        mediaTime: Math.max(0, t),
        message: ev.type === 'raised'
          ? `${ev.escalation ? 'escalated: ' : ''}${ev.metric} ${ev.value.toFixed(2)} ≥ ${ev.level} threshold ${ev.threshold} in zone ${s.zone.id}`
          : `crowd back below the ${ev.level} level in zone ${s.zone.id}`,
        crowd: {
          count: m ? Math.round(m.count * 10) / 10 : 0,
          density: m ? Math.round(m.density * 1000) / 1000 : 0,
          los: m?.los ?? 'A',
          method: m?.method ?? 'detections',
          confidence: m?.confidence ?? 0,
          trendPerMin: m ? Math.round(m.trendPerMin * 1000) / 1000 : 0,
          etaNextThresholdS: m?.etaNextThresholdS ?? null,
          level: ev.level,
          threshold,
          areaM2: s.zone.areaM2,
        },
      };
      const out: AnalyzerOutput = { alarm };
      if (result) { out.evidence = result.frame; out.draw = boxes; out.persons = boxes; }
      return out;
    });
  }

  return {
    name: 'crowd',
    detectOptions() {
      const o: DetectRequestOptions = {};
      if (heatmap) o.heatmap = true;
      if (density) o.density = true;
      return o;
    },
    latest: () => states.flatMap((s) => (s.latest ? [s.latest] : [])),
    stats: () => states.map((s) => ({ ...s.stats, methods: { ...s.stats.methods } })),
    process(result) {
      const f = result.frame;
      const persons = result.detections.filter((d) => d.classId === 0 && d.score >= minScore).map((d) => d.bbox);
      const est = estimator.estimate({
        persons, density: result.density ?? null,
        frameW: f.width, frameH: f.height, sourceW: f.sourceWidth, sourceH: f.sourceHeight,
      });
      const t = f.mediaTime;
      const outputs: AnalyzerOutput[] = [];
      states.forEach((s, i) => {
        const e = est.zones[i]!;
        const c = s.zone.config.crowd;
        s.counts.push(t, e.count);
        const count = s.counts.mean();
        const density = count / s.zone.areaM2;
        s.trend.push(t, density);
        const slope = s.trend.slope(5, Math.min(10, trendWindowS / 2));
        const m: ZoneMeasures = {
          zone: s.zone.id, t, rawCount: e.count, count, density, los: fruinLevel(density),
          method: e.method, confidence: e.confidence,
          trendPerMin: (slope ?? 0) * 60,
          etaNextThresholdS: etaToNextThreshold(density, slope, [c.warningDensity, c.criticalDensity]),
          saturated: e.saturated, detected: e.detected, densityCount: e.density, densityWeight: e.densityWeight,
        };
        s.latest = m;
        const st = s.stats;
        st.frames++;
        st.methods[e.method] = (st.methods[e.method] ?? 0) + 1;
        if (count > st.peakCount) st.peakCount = count;
        if (density > st.peakDensity) st.peakDensity = density;
        if (LOS_ORDER.indexOf(m.los) > LOS_ORDER.indexOf(st.peakLos)) st.peakLos = m.los;
        if (s.rule) outputs.push(...toOutputs(s, s.rule.update(t, { density, count }), result, e.boxes, t, f.capturedAt));
      });
      options.onEstimate?.(result, est, states.map((s) => s.latest!));
      return outputs;
    },
    flush(nowMs) {
      return states.flatMap((s) => {
        if (!s.rule) return [];
        const t = s.latest?.t ?? 0;
        return toOutputs(s, s.rule.flush(t), null, [], t, nowMs);
      });
    },
  };
}
