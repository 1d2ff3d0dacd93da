import { describe, expect, it } from 'vitest';
import type { BBox } from '../../../common/geometry.ts';
import { createCrowdEstimator, smoothstep } from '../../../edge/crowd/crowd-estimator.ts';
import { createCrowdZone, wholeFrameZone } from '../../../edge/crowd/zones.ts';
import { zoneSchema } from '../../../common/config/zone.ts';

const W = 640, H = 480;
const frameZone = createCrowdZone(wholeFrameZone(W, H, 100));

/** n persons standing together, detected as boxes up to `detectable`; the density map holds all n over a 16×16-cell patch (a crowd concentrates mass). */
function scene(n: number, detectable: number) {
  const persons: BBox[] = Array.from({ length: Math.min(n, detectable) }, (_, i) => [20 + (i % 20) * 30, 100 + Math.floor(i / 20) * 90, 45 + (i % 20) * 30, 180 + Math.floor(i / 20) * 90]);
  const data = new Float32Array(64 * 64);
  for (let y = 24; y < 40; y++) for (let x = 24; x < 40; x++) data[y * 64 + x] = n / 256;
  return { persons, density: { width: 64, height: 64, data }, frameW: W, frameH: H, sourceW: W, sourceH: H };
}

describe('crowd estimator: detections when sparse, density when crowded', () => {
  it('smoothstep has no cliff at either end', () => {
    expect(smoothstep(3.9, 4, 16)).toBe(0);
    expect(smoothstep(16.1, 4, 16)).toBe(1);
    expect(smoothstep(10, 4, 16)).toBeCloseTo(0.5, 5);
    for (let x = 4; x < 16; x += 0.01) expect(Math.abs(smoothstep(x + 0.01, 4, 16) - smoothstep(x, 4, 16))).toBeLessThan(0.002);
  });

  it('hands over across the sparse-to-dense range without a jump', () => {
    const est = createCrowdEstimator({ zones: [frameZone] });
    // The detector finds everyone up to 8, then saturates at 8 while the crowd keeps growing: each
    // added person moves the estimate by at most about two (density takes over), never by a cliff.
    let prev: number | null = null;
    const rows: string[] = [];
    for (let n = 0; n <= 60; n++) {
      const z = est.estimate(scene(n, 8)).zones[0]!;
      rows.push(`${n}:${z.count}:${z.method}`);
      if (prev !== null) expect(Math.abs(z.count - prev), rows.join(' ')).toBeLessThanOrEqual(2.2);
      expect(z.count).toBeGreaterThanOrEqual(z.detected);
      prev = z.count;
    }
    const at = (n: number) => est.estimate(scene(n, 8)).zones[0]!;
    expect(at(3)).toMatchObject({ method: 'detections', count: 3 });
    expect(at(12).method).toBe('fused');
    expect(at(40)).toMatchObject({ method: 'density', detected: 8 });
    expect(at(40).count).toBeCloseTo(40, 0);
  });

  it('keeps to the detections when the map spreads thin mass over a sparse scene of large people', () => {
    const est = createCrowdEstimator({ zones: [frameZone] });
    // 8 people all detected; the map adds 10 more persons' worth, spread at 0.0024 a cell (as on vtest's lawns and bodies).
    const s = scene(8, 8);
    s.density.data.fill(18 / (64 * 64));
    expect(est.estimate(s).zones[0]).toMatchObject({ method: 'detections', count: 8, detected: 8, density: 18 });
  });

  it('never counts fewer than the persons it detected (a group photo)', () => {
    const est = createCrowdEstimator({ zones: [frameZone] });
    const s = scene(20, 20);
    s.density.data.fill(12 / (64 * 64)); // density undercounts a close-up group
    const z = est.estimate(s).zones[0]!;
    expect(z.count).toBe(20);
    expect(z.method).toBe('detections');
  });

  it('integrates density over the zone polygon only, by the share of each cell it covers', () => {
    const left = createCrowdZone(zoneSchema.parse({ id: 'left', polygon: [[0, 0], [W / 2, 0], [W / 2, H], [0, H]], areaM2: 50 }));
    const est = createCrowdEstimator({ zones: [left, frameZone] });
    const s = scene(64, 0);
    const [l, all] = est.estimate(s).zones;
    expect(all!.density).toBeCloseTo(64, 0);
    expect(l!.density).toBeCloseTo(32, 0);
  });

  it('without a density map, reports saturated detection with low confidence', () => {
    const est = createCrowdEstimator({ zones: [frameZone], maxDetections: 20 });
    const s = { ...scene(30, 20), density: null };
    expect(est.estimate(s).zones[0]).toMatchObject({ method: 'detections', count: 20, saturated: true, confidence: 0.4 });
  });
});
