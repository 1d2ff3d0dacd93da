import { iou, overlapOfSmaller, type BBox } from '../../common/geometry.ts';
import type { Detection } from '../types.ts';

export interface NmsOptions {
  /** boxes of the same class overlapping more than this (IoU) are duplicates; default 0.5 */
  iouThreshold?: number;
  /**
   * a box lying this much inside a higher-scoring box of the same class (intersection over
   * the smaller box) is a duplicate too: tiled inference cuts persons at tile edges, and the
   * partial box is mostly contained in the full-frame one without reaching the IoU threshold
   */
  containThreshold?: number;
}

/** Greedy class-wise non-maximum suppression; returns survivors by descending score. */
export function nonMaxSuppression(detections: readonly Detection[], options: NmsOptions = {}): Detection[] {
  const iouMax = options.iouThreshold ?? 0.5;
  const containMax = options.containThreshold ?? Infinity;
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    const dup = kept.some((k) => k.classId === d.classId && (iou(k.bbox, d.bbox) > iouMax || overlapOfSmaller(k.bbox, d.bbox) > containMax));
    if (!dup) kept.push(d);
  }
  return kept;
}
