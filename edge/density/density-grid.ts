import { pointInPolygon, type Polygon } from '../../common/geometry.ts';

/**
 * The density estimator's output grid. The detector sees every frame resized
 * to a square of `MODEL_INPUT` pixels; the density head reads the backbone at
 * stride 8, so each frame maps onto a GRID × GRID map of persons per cell,
 * whatever the frame's size and aspect. A cell of a W×H frame covers
 * (W / GRID) × (H / GRID) frame pixels.
 */
export const MODEL_INPUT = 512;
export const GRID = 64;

/** Persons per cell over a whole frame (or over one view of an image). */
export interface DensityMap {
  width: number;
  height: number;
  /** row-major, persons per cell; may hold small negative values (raw regression output) */
  data: Float32Array;
}

/** Sum over every cell: the head is trained so that this is the count. */
export function densityTotal(map: DensityMap): number {
  let s = 0;
  for (let i = 0; i < map.data.length; i++) s += map.data[i]!;
  return s;
}

/**
 * The grid's weight of each cell inside a polygon given in frame pixels:
 * the fraction of the cell the polygon covers, sampled 4×4 per cell so that a
 * zone edge through a cell takes its share rather than all or nothing.
 * `shiftDownPx` tests each sample that much lower, for maps that mark heads
 * while the zone is drawn on the floor.
 */
export function polygonCellWeights(polygon: Polygon, frameW: number, frameH: number, gridW = GRID, gridH = GRID, shiftDownPx = 0): Float32Array {
  const w = new Float32Array(gridW * gridH);
  const cw = frameW / gridW, ch = frameH / gridH;
  const S = 4;
  for (let gy = 0; gy < gridH; gy++) {
    for (let gx = 0; gx < gridW; gx++) {
      let inside = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          // Heads near the bottom edge have their feet out of view: they stand on the edge.
          const y = Math.min(frameH - 1e-3, (gy + (sy + 0.5) / S) * ch + shiftDownPx);
          if (pointInPolygon([(gx + (sx + 0.5) / S) * cw, y], polygon)) inside++;
        }
      }
      w[gy * gridW + gx] = inside / (S * S);
    }
  }
  return w;
}

/** Σ density × weight: the persons the map puts inside a zone. */
export function weightedSum(map: DensityMap, weights: Float32Array): number {
  let s = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i]) s += map.data[i]! * weights[i]!;
  return s;
}
