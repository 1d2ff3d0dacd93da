import { countStill, type TileMode } from '../../crowd/count-still.ts';
import type { Detector } from '../../types.ts';
import type { AnnotatedImage } from '../point-annotations.ts';

export interface ImageCount { id: string; dataset: string; truth: number; fused: number; density: number | null; detected: number; method: string }

export interface MethodError { mae: number; rel: number; bias: number }

export interface CountEvaluation {
  images: ImageCount[];
  /** per dataset: n and the errors of the fused count, density alone and detection alone */
  summary: Record<string, { n: number; fused: MethodError; density: MethodError | null; detections: MethodError }>;
}

function errors(pairs: readonly [number, number][]): MethodError {
  const n = Math.max(1, pairs.length);
  const r = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    mae: r(pairs.reduce((a, [p, t]) => a + Math.abs(p - t), 0) / n),
    rel: r(pairs.reduce((a, [p, t]) => a + Math.abs(p - t) / Math.max(1, t), 0) / n, 4),
    bias: r(pairs.reduce((a, [p, t]) => a + (p - t), 0) / n),
  };
}

export async function evaluateCounts(detector: Detector, images: readonly AnnotatedImage[], options: { tiles?: TileMode } = {}): Promise<CountEvaluation> {
  const counted = await Promise.all(images.map(async (im) => {
    const { estimate } = await countStill(detector, im.image, options);
    return { id: im.id, dataset: im.dataset, truth: im.points.length, fused: estimate.count, density: estimate.density, detected: estimate.detected, method: estimate.method } satisfies ImageCount;
  }));
  const summary: CountEvaluation['summary'] = {};
  for (const ds of [...new Set(counted.map((c) => c.dataset))]) {
    const rows = counted.filter((c) => c.dataset === ds);
    summary[ds] = {
      n: rows.length,
      fused: errors(rows.map((r) => [r.fused, r.truth])),
      density: rows.every((r) => r.density !== null) ? errors(rows.map((r) => [r.density!, r.truth])) : null,
      detections: errors(rows.map((r) => [r.detected, r.truth])),
    };
  }
  return { images: counted, summary };
}
