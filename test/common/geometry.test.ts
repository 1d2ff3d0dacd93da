import { describe, it, expect } from 'vitest';
import { pointInPolygon, polygonArea, bottomCentre, iou, overlapOfSmaller, coveredBy } from '../../common/geometry.ts';

describe('geometry', () => {
  const square = [[0, 0], [10, 0], [10, 10], [0, 10]] as const;
  it('point in polygon', () => {
    expect(pointInPolygon([5, 5], square)).toBe(true);
    expect(pointInPolygon([15, 5], square)).toBe(false);
    const concave = [[0, 0], [10, 0], [10, 10], [5, 5], [0, 10]] as const;
    expect(pointInPolygon([5, 8], concave)).toBe(false);
    expect(pointInPolygon([2, 3], concave)).toBe(true);
  });
  it('area, bottom centre, IoU', () => {
    expect(polygonArea(square)).toBe(100);
    expect(bottomCentre([0, 0, 10, 20])).toEqual([5, 20]);
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3);
    expect(iou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
  });

  it('measures containment: over the smaller box, and the share of one box inside another', () => {
    // A 10×10 box inside a 20×20 one: contained whichever way round, but it covers only a quarter of the larger.
    expect(overlapOfSmaller([5, 5, 15, 15], [0, 0, 20, 20])).toBe(1);
    expect(overlapOfSmaller([0, 0, 20, 20], [5, 5, 15, 15])).toBe(1);
    expect(coveredBy([5, 5, 15, 15], [0, 0, 20, 20])).toBe(1);
    expect(coveredBy([0, 0, 20, 20], [5, 5, 15, 15])).toBe(0.25);
    expect(coveredBy([0, 0, 10, 10], [5, 0, 15, 10])).toBe(0.5);
    expect(overlapOfSmaller([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
    expect(coveredBy([3, 3, 3, 5], [0, 0, 10, 10])).toBe(0);
  });
});
