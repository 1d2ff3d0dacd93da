import { GRID } from '../density-grid.ts';

/**
 * The density map a view should produce: each head point spread as a small
 * Gaussian over the GRID×GRID cells, so that the map sums to the number of
 * heads in the view. The spread follows the crowd (geometry-adaptive, as in
 * MCNN): 0.3 × the mean distance to the three nearest heads, within
 * [0.5, 2] cells; a point near the border keeps its whole mass inside.
 */
export function densityTarget(points: readonly (readonly [number, number])[], grid = GRID): Float32Array {
  const out = new Float32Array(grid * grid);
  const g = points.map(([u, t]) => [u * grid, t * grid] as const);
  const sigmas = adaptiveSigmas(g);
  for (let i = 0; i < g.length; i++) {
    const [cx, cy] = g[i]!;
    const s = sigmas[i]!;
    const r = Math.ceil(3 * s);
    const x0 = Math.max(0, Math.floor(cx) - r), x1 = Math.min(grid - 1, Math.floor(cx) + r);
    const y0 = Math.max(0, Math.floor(cy) - r), y1 = Math.min(grid - 1, Math.floor(cy) + r);
    let total = 0;
    const kernel: number[] = [];
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        const v = Math.exp(-(dx * dx + dy * dy) / (2 * s * s));
        kernel.push(v);
        total += v;
      }
    }
    if (total <= 0) continue;
    let k = 0;
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out[y * grid + x]! += kernel[k++]! / total;
  }
  return out;
}

function adaptiveSigmas(points: readonly (readonly [number, number])[]): number[] {
  if (points.length < 4) return points.map(() => 1);
  // A coarse bucket grid keeps the neighbour search near-linear for thousands of heads.
  const cell = 4;
  const buckets = new Map<number, number[]>();
  const key = (bx: number, by: number) => by * 1024 + bx;
  points.forEach(([x, y], i) => {
    const k = key(Math.floor(x / cell), Math.floor(y / cell));
    const b = buckets.get(k);
    if (b) b.push(i); else buckets.set(k, [i]);
  });
  return points.map(([x, y], i) => {
    const bx = Math.floor(x / cell), by = Math.floor(y / cell);
    const near: number[] = [];
    for (let ring = 1; ring <= 64 && near.length < 3; ring++) {
      near.length = 0;
      for (let yy = by - ring; yy <= by + ring; yy++) {
        for (let xx = bx - ring; xx <= bx + ring; xx++) {
          for (const j of buckets.get(key(xx, yy)) ?? []) if (j !== i) near.push(Math.hypot(points[j]![0] - x, points[j]![1] - y));
        }
      }
    }
    near.sort((a, b) => a - b);
    const mean = near.slice(0, 3).reduce((a, b) => a + b, 0) / Math.max(1, Math.min(3, near.length));
    return Math.min(2, Math.max(0.5, 0.3 * mean));
  });
}

/** 1 where the loss counts, 0 inside regions an annotator marked as not annotated (view coordinates 0…1). */
export function ignoreMask(rects: readonly (readonly [number, number, number, number])[], grid = GRID): Float32Array | null {
  if (!rects.length) return null;
  const m = new Float32Array(grid * grid).fill(1);
  for (const [x1, y1, x2, y2] of rects) {
    for (let y = Math.max(0, Math.floor(y1 * grid)); y < Math.min(grid, Math.ceil(y2 * grid)); y++) {
      for (let x = Math.max(0, Math.floor(x1 * grid)); x < Math.min(grid, Math.ceil(x2 * grid)); x++) m[y * grid + x] = 0;
    }
  }
  return m;
}
