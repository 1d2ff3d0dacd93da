import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../common/errors.ts';
import { createDetectorPool, type DetectorPool } from '../../../edge/detect/detector-pool.ts';
import type { DetectionResult } from '../../../edge/types.ts';
import { cloneFrame, vtestFrames } from './vtest-frames.ts';

const frames = vtestFrames([5, 40, 70]);
const pools: DetectorPool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.close())); });

const summary = (rs: DetectionResult[]) => rs.map((r) => r.detections.map((d) => [d.classId, ...d.bbox.map((v) => Math.round(v * 10) / 10), Math.round(d.score * 1e4) / 1e4]));

describe('detector pool (CenterNet, worker threads)', () => {
  let single: DetectionResult[];

  it('a vtest frame yields several persons, in frame pixel coordinates', async () => {
    const pool = await createDetectorPool({ workers: 1 });
    pools.push(pool);
    expect(['node', 'wasm', 'cpu']).toContain(pool.backend);
    single = await pool.detect(frames.map(cloneFrame));
    expect(single.map((r) => r.frame.seq)).toEqual([0, 1, 2]);
    for (const r of single) {
      const persons = r.detections.filter((d) => d.label === 'person' && d.score >= 0.3);
      expect(persons.length, `t=${r.frame.mediaTime}s`).toBeGreaterThanOrEqual(3);
      for (const d of r.detections) {
        expect(d.score).toBeGreaterThanOrEqual(0.2);
        expect(d.bbox[0]).toBeGreaterThanOrEqual(0);
        expect(d.bbox[2]).toBeLessThanOrEqual(768);
        expect(d.bbox[3]).toBeLessThanOrEqual(576);
        expect(d.bbox[2]).toBeGreaterThan(d.bbox[0]);
      }
      // Pedestrians are taller than wide.
      const tall = persons.filter((d) => d.bbox[3] - d.bbox[1] > d.bbox[2] - d.bbox[0]);
      expect(tall.length / persons.length).toBeGreaterThan(0.7);
      // The frame buffer went to the worker and came back intact.
      expect(r.frame.data.length).toBe(768 * 576 * 3);
      expect(r.inferenceMs).toBeGreaterThan(0);
    }
  });

  it('2 workers give the same detections as 1', async () => {
    const pool = await createDetectorPool({ workers: 2 });
    pools.push(pool);
    expect(pool.size).toBe(2);
    const double = await pool.detect(frames.map(cloneFrame));
    expect(summary(double)).toEqual(summary(single));
    const pixelsBack = double.every((r, i) => Buffer.compare(Buffer.from(r.frame.data), Buffer.from(frames[i]!.data)) === 0);
    expect(pixelsBack).toBe(true);
  });

  it('returns the person heatmap on request, peaking where persons are', async () => {
    const pool = pools[1]!;
    const [r] = await pool.detect([cloneFrame(frames[0]!)], { heatmap: true });
    const heat = r!.extras!.personHeatmap as { width: number; height: number; data: Float32Array };
    expect(heat.width).toBe(128);
    expect(heat.height).toBe(128);
    expect(heat.data.length).toBe(128 * 128);
    const best = r!.detections.filter((d) => d.classId === 0).sort((a, b) => b.score - a.score)[0]!;
    const cx = Math.floor((((best.bbox[0] + best.bbox[2]) / 2) / 768) * 128);
    const cy = Math.floor((((best.bbox[1] + best.bbox[3]) / 2) / 576) * 128);
    let local = 0;
    for (let y = cy - 2; y <= cy + 2; y++) for (let x = cx - 2; x <= cx + 2; x++) local = Math.max(local, heat.data[y * 128 + x] ?? 0);
    let mean = 0;
    for (const v of heat.data) mean += v / heat.data.length;
    expect(local).toBeGreaterThan(best.score * 0.8);
    expect(mean).toBeLessThan(0.05);
  });

  it('tiled inference (large stills) finds at least as many persons and merges duplicates across tiles', async () => {
    const pool = pools[1]!;
    const full = single[1];
    const [tiled] = await pool.detect([cloneFrame(frames[1]!)], { tiles: { rows: 2, cols: 2, overlap: 0.25 } });
    const persons = (r: DetectionResult) => r.detections.filter((d) => d.classId === 0);
    expect(persons(tiled!).length).toBeGreaterThanOrEqual(persons(full!).length);
    // No two person boxes in the merged result overlap by more than the NMS threshold.
    const ps = persons(tiled!);
    for (let i = 0; i < ps.length; i++) for (let j = i + 1; j < ps.length; j++) {
      const a = ps[i]!.bbox, b = ps[j]!.bbox;
      const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
      const u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix;
      expect(ix / u).toBeLessThanOrEqual(0.5);
    }
  });

  it('rejects bad requests naming the field, and keeps serving', async () => {
    const pool = pools[1]!;
    await expect(pool.detect([cloneFrame(frames[0]!)], { tiles: { rows: 0, cols: 2, overlap: 0.2 } })).rejects.toThrow(/tiles\.rows/);
    await expect(pool.detect([{ ...frames[0]!, data: new Uint8Array(10) }])).rejects.toThrow(ValidationError);
    await expect(createDetectorPool({ workers: 0 })).rejects.toThrow(/workers/);
    const [r] = await pool.detect([cloneFrame(frames[1]!)]);
    expect(r!.detections.length).toBeGreaterThan(0);
  });
});
