import { iou, type BBox } from '../../common/geometry.ts';
import type { CrowdZone } from './zones.ts';

/**
 * Counts people in each zone without undercounting dense crowds.
 *
 * Plain detection saturates: the model returns at most `maxDetections` boxes,
 * misses small far-field heads, and merges occluded people. So the estimator
 * watches for saturation and then trusts estimators that keep rising with the
 * crowd:
 *  - `tiled`: the detector run on overlapping tiles at native resolution
 *    (the pipeline asks for it on the next frame once saturation is seen);
 *  - `heatmap`: the model's person centre-heatmap mass inside the zone,
 *    divided by the mass one person produces, learnt online from sparse frames
 *    where detection is reliable;
 *  - `occupancy`: foreground cells inside the zone, divided by the cells one
 *    person covers, learnt the same way.
 * When saturated the largest estimate wins: for safety an undercount is the
 * dangerous error. Each result names its method and a confidence.
 */
export type CountMethod = 'detections' | 'tiled' | 'heatmap' | 'occupancy';

export interface Heatmap { width: number; height: number; data: Float32Array }

export interface EstimatorInput {
  /** person boxes, frame pixels */
  persons: readonly BBox[];
  /** tiles the detector ran on for this frame (rows × cols); 1 or absent for plain detection */
  tiles?: number;
  /** person centre heatmap over the whole frame */
  heatmap?: Heatmap | null;
  /** foreground mask over the whole frame (see foreground.ts) */
  foreground?: { mask: Uint8Array; gridW: number; gridH: number } | null;
  /** detect-frame and source sizes, to map boxes to zone polygons */
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
  /** person boxes in the zone, from the boxes that were counted (tiled when run) */
  boxes: BBox[];
  saturated: boolean;
  /** every estimate available this frame, for diagnostics and the summary */
  signals: Partial<Record<CountMethod, number>>;
}

export interface FrameEstimate {
  zones: ZoneEstimate[];
  /** why plain detection looks saturated on this frame (empty when it does not) */
  saturation: string[];
}

export interface DenseEstimatorOptions {
  zones: readonly CrowdZone[];
  /** the detector's cap on boxes per frame. @default 100 */
  maxDetections?: number;
  /** median person height (frame px) below which detection misses people. @default 24 */
  minBoxPx?: number;
  /** sparse frames needed before a learnt ratio is used. @default 8 */
  minCalibrationFrames?: number;
  /** a zone counts as sparse (reliable for calibration) up to this many detections. @default 12 */
  sparseMax?: number;
}

const BASE_CONFIDENCE: Record<CountMethod, number> = { detections: 0.9, tiled: 0.75, heatmap: 0.6, occupancy: 0.45 };

/** Ratio of sums with slow decay: mass (or cells) per detected person. */
class Calibration {
  #mass = 0;
  #persons = 0;
  #frames = 0;
  add(mass: number, persons: number): void {
    const keep = 0.98;
    this.#mass = this.#mass * keep + mass;
    this.#persons = this.#persons * keep + persons;
    this.#frames++;
  }
  perPerson(minFrames: number): number | null {
    if (this.#frames < minFrames || this.#persons <= 0) return null;
    const r = this.#mass / this.#persons;
    return r > 1e-6 ? r : null;
  }
}

function heatValue(v: number): number {
  // Accept logits as well as probabilities; the floor removes the background haze.
  const p = v < 0 || v > 1 ? 1 / (1 + Math.exp(-v)) : v;
  return p > 0.05 ? p : 0;
}

function maskedSum(grid: ArrayLike<number>, mask: Uint8Array, f: (v: number) => number = (v) => v): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s += f(grid[i]!);
  return s;
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function saturationReasons(persons: readonly BBox[], maxDetections: number, minBoxPx: number): string[] {
  const reasons: string[] = [];
  if (persons.length >= Math.max(3, Math.floor(maxDetections * 0.9))) reasons.push('count-cap');
  if (persons.length >= 3 && median(persons.map((b) => b[3] - b[1])) < minBoxPx) reasons.push('small-boxes');
  // Two people walking together overlap; a crowd is when many boxes do.
  if (persons.length >= 8) {
    let overlapped = 0;
    for (let i = 0; i < persons.length; i++) {
      for (let j = 0; j < persons.length; j++) {
        if (i !== j && iou(persons[i]!, persons[j]!) > 0.3) { overlapped++; break; }
      }
    }
    if (overlapped / persons.length >= 0.4) reasons.push('overlap');
  }
  return reasons;
}

export interface DenseEstimator {
  estimate(input: EstimatorInput): FrameEstimate;
  /** whether the next frame should be detected on tiles (saturation seen on the last one) */
  wantsTiles(): boolean;
}

export function createDenseEstimator(options: DenseEstimatorOptions): DenseEstimator {
  const zones = [...options.zones];
  const maxDetections = options.maxDetections ?? 100;
  const minBoxPx = options.minBoxPx ?? 24;
  const minFrames = options.minCalibrationFrames ?? 8;
  const sparseMax = options.sparseMax ?? 12;
  const heatCal = new Map(zones.map((z) => [z.id, new Calibration()]));
  const fgCal = new Map(zones.map((z) => [z.id, new Calibration()]));
  // Camera-wide ratios stand in for a zone that has not seen sparse frames of its own.
  const heatCalAll = new Calibration();
  const fgCalAll = new Calibration();
  let lastSaturated = false;
  // Typical person height in source px: the heatmap peaks at a person's centre,
  // half a body above the feet that decide zone membership.
  let personHeightSrc: number | null = null;

  return {
    wantsTiles: () => lastSaturated,
    estimate(input) {
      const sx = input.sourceW / input.frameW, sy = input.sourceH / input.frameH;
      const counted = input.persons;
      const tiles = Math.max(1, input.tiles ?? 1);
      const reasons = saturationReasons(input.persons, maxDetections * tiles, minBoxPx);
      const out: ZoneEstimate[] = [];
      let anyExcess = false;
      const heatAll = heatCalAll.perPerson(minFrames), fgAll = fgCalAll.perPerson(minFrames);

      for (const zone of zones) {
        const boxes = counted.filter((b) => zone.contains(b, sx, sy));
        const detMethod: CountMethod = tiles > 1 ? 'tiled' : 'detections';
        const signals: Partial<Record<CountMethod, number>> = { [detMethod]: boxes.length };

        let heatMass: number | null = null;
        if (input.heatmap) {
          const m = zone.mask(input.heatmap.width, input.heatmap.height, input.sourceW, input.sourceH, personHeightSrc ? personHeightSrc / 2 : 0);
          heatMass = maskedSum(input.heatmap.data, m, heatValue);
          const per = heatCal.get(zone.id)!.perPerson(minFrames) ?? heatAll;
          if (per) signals.heatmap = heatMass / per;
        }
        let fgCells: number | null = null;
        if (input.foreground) {
          const m = zone.mask(input.foreground.gridW, input.foreground.gridH, input.sourceW, input.sourceH);
          fgCells = maskedSum(input.foreground.mask, m);
          const per = fgCal.get(zone.id)!.perPerson(minFrames) ?? fgAll;
          if (per) {
            // People overlap more the more of the floor is covered. With people
            // placed at random, covered fraction c = 1 − exp(−n·a/A), so
            // n = −ln(1 − c)·A/a; for sparse scenes this is just cells / a.
            const zoneCells = maskedSum(m, m);
            const c = zoneCells ? Math.min(0.95, fgCells / zoneCells) : 0;
            signals.occupancy = c > 0 ? (-Math.log(1 - c) * zoneCells) / per : 0;
          }
        }

        const base = boxes.length;
        // A dense estimator overrules detection when it sees clearly more people.
        // With few detections the estimates are noisy (a shadow, a person just
        // outside the zone), so there every one available must agree; once
        // detection reports a crowd, one is enough.
        const dense = (['heatmap', 'occupancy'] as const).map((m) => signals[m]).filter((v): v is number => v !== undefined);
        const exceeding = dense.filter((v) => v > base * 1.25 + 2);
        const zoneExcess = exceeding.length > 0 && (base >= 10 || exceeding.length === dense.length);
        anyExcess ||= zoneExcess;
        const saturated = reasons.length > 0 || zoneExcess;

        // Calibrate on plain detections only: tiles see people at another scale.
        if (!saturated && tiles === 1 && base >= 1 && base <= sparseMax) {
          if (heatMass !== null) heatCal.get(zone.id)!.add(heatMass, base);
          if (fgCells !== null) fgCal.get(zone.id)!.add(fgCells, base);
        }

        let count = base, method: CountMethod = detMethod;
        if (saturated) {
          // The largest estimate: for safety an undercount is the dangerous error.
          for (const m of ['heatmap', 'occupancy'] as const) {
            const v = signals[m];
            if (v !== undefined && v > count) { count = v; method = m; }
          }
        }
        let confidence = BASE_CONFIDENCE[method];
        if (saturated && method === detMethod) confidence = method === 'tiled' ? 0.6 : 0.4; // probably low, nothing better to offer
        const others = Object.entries(signals).filter(([k]) => k !== method).map(([, v]) => v!);
        if (count > 0 && others.some((v) => Math.abs(v - count) <= 0.25 * count)) confidence = Math.min(0.95, confidence + 0.15);
        out.push({ zone: zone.id, count: method === 'detections' || method === 'tiled' ? count : Math.round(count * 10) / 10, method, confidence, boxes, saturated, signals });
      }

      // Camera-wide calibration uses every sparse frame, whatever the zones.
      if (!reasons.length && !anyExcess && tiles === 1 && counted.length >= 1 && counted.length <= sparseMax) {
        if (input.heatmap) { let h = 0; for (const v of input.heatmap.data) h += heatValue(v); heatCalAll.add(h, counted.length); }
        if (input.foreground) { let f = 0; for (const v of input.foreground.mask) f += v; fgCalAll.add(f, counted.length); }
      }
      if (!reasons.length && input.persons.length) {
        const h = median(input.persons.map((b) => (b[3] - b[1]) * sy));
        personHeightSrc = personHeightSrc === null ? h : personHeightSrc * 0.9 + h * 0.1;
      }
      lastSaturated = reasons.length > 0 || anyExcess;
      if (anyExcess) reasons.push('estimator-excess');
      return { zones: out, saturation: reasons };
    },
  };
}
