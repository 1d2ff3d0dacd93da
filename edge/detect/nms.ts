import { boxArea, iou, type BBox } from '../../common/geometry.ts';
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

function intersectionOverSmaller(a: BBox, b: BBox): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const smaller = Math.min(boxArea(a), boxArea(b));
  return smaller > 0 ? (ix * iy) / smaller : 0;
}

/** Greedy class-wise non-maximum suppression; returns survivors by descending score. */
export function nonMaxSuppression(detections: readonly Detection[], options: NmsOptions = {}): Detection[] {
  const iouMax = options.iouThreshold ?? 0.5;
  const containMax = options.containThreshold ?? Infinity;
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    const dup = kept.some((k) => k.classId === d.classId && (iou(k.bbox, d.bbox) > iouMax || intersectionOverSmaller(k.bbox, d.bbox) > containMax));
    if (!dup) kept.push(d);
  }
  return kept;
}
