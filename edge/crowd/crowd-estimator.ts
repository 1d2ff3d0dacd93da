import { type BBox } from '../../common/geometry.ts';
import { polygonCellWeights, weightedSum, type DensityMap } from '../density/density-grid.ts';
import type { CrowdZone } from './zones.ts';

/**
 * One count per zone, for every caller: the live pipeline, `vigil replay`,
 * `vigil count` on stills and the training's validation all go through here,
 * so a still gets the same answer as a video frame of the same scene.
 *
 * Two measurements of the same crowd:
 *  - detections: person boxes whose feet stand in the zone. Exact when people
 *    are few and large; it saturates in crowds (occlusion, small far-field
 *    people, the model's cap of 100 boxes);
 *  - density: the learned density head's persons-per-cell map integrated over
 *    the zone. It keeps rising with the crowd, but is noisier for a handful of
 *    people.
 * The weight of density rises smoothly (`handover`) with the crowd the
 * detector did not see: the map's *concentrated* mass in the zone (cells
 * whose 3×3 mean holds at least `concentrated` persons) beyond the persons
 * detected there. A real crowd concentrates mass; on a sparse scene of large,
 * well-separated people the head (trained on crowds of small distant heads)
 * spreads thin mass over bodies and person-sized objects, which must not
 * outvote a detector that sees everyone. The estimate never jumps where one
 * method takes over, and it is never below the number of people actually
 * detected, since a detected person is evidence the regression cannot
 * overrule.
 */
export type CountMethod = 'detections' | 'density' | 'fused';

export interface CrowdEstimatorOptions {
  zones: readonly CrowdZone[];
  /**
   * Undetected persons (the map's concentrated mass in the zone minus the
   * persons detected) from which density starts to count, and from which it
   * counts alone.
   * @default { from: 2, to: 12 }
   */
  handover?: { from: number; to: number };
  /** persons per cell (3×3 mean, 64×64 grid) from which the map's mass counts as a crowd. @default 0.025 */
  concentrated?: number;
  /** how far the density map's counts are trusted: 1 − its mean relative error on held-out data. @default 0.75 */
  densityConfidence?: number;
  /** the detector's cap on boxes per frame. @default 100 */
  maxDetections?: number;
}

export interface EstimatorInput {
  /** person boxes, frame pixels */
  persons: readonly BBox[];
  /** persons per cell over the whole frame, or null without a density head */
  density: DensityMap | null;
  frameW: number;
  frameH: number;
  sourceW: number;
  sourceH: number;
}

export interface ZoneEstimate {
  zone: string;
  count: number;
  method: CountMethod;
  confidence: number;
  /** person boxes in the zone, frame pixels */
  boxes: BBox[];
  /** the two measurements, for diagnostics and the heartbeat */
  detected: number;
  density: number | null;
  /** the weight density had in `count` (0 = detections only) */
  densityWeight: number;
  /** detections look saturated (cap, tiny boxes) and there is no density to correct them */
  saturated: boolean;
}

export interface FrameEstimate {
  zones: ZoneEstimate[];
}

export interface CrowdEstimator {
  estimate(input: EstimatorInput): FrameEstimate;
}

/** 0 below `from`, 1 above `to`, a smooth cubic between: no cliff at either end. */
export function smoothstep(x: number, from: number, to: number): number {
  if (to <= from) return x >= to ? 1 : 0;
  const t = Math.min(1, Math.max(0, (x - from) / (to - from)));
  return t * t * (3 - 2 * t);
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Why plain detection is probably undercounting: the box cap, or people too small to detect. */
export function saturationReasons(persons: readonly BBox[], maxDetections: number, minBoxPx = 24): string[] {
  const reasons: string[] = [];
  if (persons.length >= Math.max(3, Math.floor(maxDetections * 0.9))) reasons.push('count-cap');
  if (persons.length >= 3 && median(persons.map((b) => b[3] - b[1])) < minBoxPx) reasons.push('small-boxes');
  return reasons;
}

/** The map where its 3×3 mean reaches `threshold` persons per cell, zero elsewhere: the mass a crowd puts down. */
export function concentratedMass(map: DensityMap, threshold: number): DensityMap {
  const { width: W, height: H, data } = map;
  const out = new Float32Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < H && xx >= 0 && xx < W) s += data[yy * W + xx]!;
      }
      if (s / 9 >= threshold) out[y * W + x] = data[y * W + x]!;
    }
  }
  return { width: W, height: H, data: out };
}

export function createCrowdEstimator(options: CrowdEstimatorOptions): CrowdEstimator {
  const zones = [...options.zones];
  const handover = options.handover ?? { from: 2, to: 12 };
  const concentratedAt = options.concentrated ?? 0.025;
  const densityConfidence = options.densityConfidence ?? 0.75;
  const maxDetections = options.maxDetections ?? 100;
  const weights = new Map<string, Float32Array>();
  // Density marks heads, zones are drawn on the floor: the map is read one
  // person-height higher than the zone, as measured from the detected boxes.
  let personHeightFrac: number | null = null;

  function zoneWeights(zone: CrowdZone, map: DensityMap, input: EstimatorInput): Float32Array {
    const shift = personHeightFrac === null ? 0 : Math.round(personHeightFrac * 20) / 20;
    const key = `${zone.id}|${map.width}x${map.height}|${input.frameW}x${input.frameH}|${shift}`;
    let w = weights.get(key);
    if (!w) {
      const sx = input.frameW / input.sourceW, sy = input.frameH / input.sourceH;
      const poly = zone.config.polygon.map(([x, y]) => [x * sx, y * sy] as const);
      w = polygonCellWeights(poly, input.frameW, input.frameH, map.width, map.height, shift * input.frameH);
      weights.set(key, w);
    }
    return w;
  }

  return {
    estimate(input) {
      const sx = input.sourceW / input.frameW, sy = input.sourceH / input.frameH;
      const reasons = saturationReasons(input.persons, maxDetections);
      const crowdMass = input.density ? concentratedMass(input.density, concentratedAt) : null;
      if (!reasons.length && input.persons.length >= 2) {
        const h = median(input.persons.map((b) => b[3] - b[1])) / input.frameH;
        personHeightFrac = personHeightFrac === null ? h : personHeightFrac * 0.95 + h * 0.05;
      }
      const out: ZoneEstimate[] = zones.map((zone) => {
        const boxes = input.persons.filter((b) => zone.contains(b, sx, sy));
        const detected = boxes.length;
        if (!input.density) {
          const saturated = reasons.length > 0;
          return { zone: zone.id, count: detected, method: 'detections', confidence: saturated ? 0.4 : 0.9, boxes, detected, density: null, densityWeight: 0, saturated };
        }
        const zw = zoneWeights(zone, input.density, input);
        const density = Math.max(0, weightedSum(input.density, zw));
        const alpha = smoothstep(weightedSum(crowdMass!, zw) - detected, handover.from, handover.to);
        const blended = (1 - alpha) * detected + alpha * density;
        const count = Math.max(detected, blended);
        const method: CountMethod = alpha <= 0.02 || count === detected ? 'detections' : alpha >= 0.98 ? 'density' : 'fused';
        let confidence = (1 - alpha) * 0.9 + alpha * densityConfidence;
        // Two independent measurements that agree are worth more than either.
        if (count > 1 && Math.abs(density - detected) <= 0.2 * count) confidence = Math.min(0.95, confidence + 0.05);
        return { zone: zone.id, count: Math.round(count * 10) / 10, method, confidence: Math.round(confidence * 100) / 100, boxes, detected, density: Math.round(density * 10) / 10, densityWeight: Math.round(alpha * 100) / 100, saturated: false };
      });
      return { zones: out };
    },
  };
}
