import { describe, expect, it } from 'vitest';
import { tileRects } from '../../../edge/detect/centernet-engine.ts';
import { nonMaxSuppression } from '../../../edge/detect/nms.ts';
import type { Detection } from '../../../edge/types.ts';

const det = (bbox: [number, number, number, number], score: number, classId = 0): Detection => ({ bbox, score, classId, label: classId === 0 ? 'person' : 'backpack' });

describe('nonMaxSuppression', () => {
  it('keeps the best of overlapping same-class boxes, and boxes of other classes', () => {
    const out = nonMaxSuppression([det([0, 0, 10, 20], 0.6), det([1, 0, 11, 20], 0.9), det([1, 0, 11, 20], 0.5, 24), det([50, 50, 60, 70], 0.3)]);
    expect(out.map((d) => [d.score, d.classId])).toEqual([[0.9, 0], [0.5, 24], [0.3, 0]]);
  });

  it('with a containment threshold drops a tile-cut partial box lying inside a full one', () => {
    const full = det([100, 100, 120, 160], 0.7);
    const cut = det([100, 100, 120, 125], 0.5); // IoU 0.42: below the IoU threshold
    expect(nonMaxSuppression([full, cut])).toHaveLength(2);
    expect(nonMaxSuppression([full, cut], { containThreshold: 0.8 })).toEqual([full]);
  });
});

describe('tileRects', () => {
  it('covers the frame with overlapping tiles', () => {
    const rects = tileRects(768, 576, { rows: 2, cols: 2, overlap: 0.25 });
    expect(rects).toHaveLength(4);
    expect(rects[0]).toEqual([0, 0, 439, 330]);
    expect(rects[3]![2]).toBe(768);
    expect(rects[3]![3]).toBe(576);
    // Neighbours overlap by about a quarter of a tile.
    expect(rects[0]![2] - rects[1]![0]).toBeGreaterThanOrEqual(100);
  });
});
