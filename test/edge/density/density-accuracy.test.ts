import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetectorPool, type DetectorPool } from '../../../edge/detect/detector-pool.ts';
import { listAnnotatedImages, splitHeldOut } from '../../../edge/density/point-annotations.ts';
import { evaluateCounts, type CountEvaluation } from '../../../edge/density/train/evaluate-counts.ts';
import { SHANGHAITECH, sharedDataMissing } from '../../support/shared-data.ts';

/**
 * The committed density weights on a fixed subset of the held-out split of
 * real crowd images (../shared/data, never trained on): every 4th image of
 * ShanghaiTech part_B (Shanghai streets, fixed cameras; 20 images) and every
 * 3rd of part_A (dense crowds; 20 images), through the deployed path.
 *
 * The bounds sit a little above what these weights measure on this subset
 * (see the comments): inference is deterministic on one backend, so the
 * margin only has to absorb another backend's float differences (tfjs-node,
 * where it installs) — a regression in the head, the features, the
 * preprocessing or the estimator moves the figures by far more.
 */
describe('density counts on held-out real crowds', { timeout: 300_000 }, () => {
  let pool: DetectorPool;
  let ev: CountEvaluation;
  const skip = sharedDataMissing();

  beforeAll(async () => {
    if (skip) return;
    const { val } = splitHeldOut(listAnnotatedImages(SHANGHAITECH));
    const subset = val.filter((im) => (im.dataset === 'part_B' ? im.index! % 4 === 0 : im.index! % 3 === 0));
    pool = await createDetectorPool({ workers: 2 });
    ev = await evaluateCounts(pool, subset);
    console.log(JSON.stringify(ev.summary));
  }, 300_000);
  afterAll(async () => { await pool?.close(); });

  it.skipIf(skip)('measures 20 + 20 images', () => {
    expect(ev.summary.part_B!.n).toBe(20);
    expect(ev.summary.part_A!.n).toBe(20);
  });

  it.skipIf(skip)('part_B (street scenes): counts within the goal, far better than detection alone', () => {
    const b = ev.summary.part_B!;
    expect(b.fused.mae).toBeLessThanOrEqual(ACCURACY.partB.mae);
    expect(b.fused.rel).toBeLessThanOrEqual(ACCURACY.partB.rel);
    expect(b.fused.mae).toBeLessThan(b.detections.mae / 2);
  });

  it.skipIf(skip)('part_A (dense crowds): relative error bounded, where detection alone misses almost everyone', () => {
    const a = ev.summary.part_A!;
    expect(a.fused.rel).toBeLessThanOrEqual(ACCURACY.partA.rel);
    expect(a.detections.rel).toBeGreaterThan(0.9);
  });
});

/**
 * This subset with the committed weights and the deployed fusion (wasm)
 * measured part_B MAE 25.3, relative 20.0 % (density alone 24.0 / 15.2 %);
 * part_A relative 18.2 %. The whole held-out split: part_B MAE 16.7, 18.1 %;
 * part_A 21.0 % (models/density.manifest.json).
 */
const ACCURACY = { partB: { mae: 26.5, rel: 0.21 }, partA: { rel: 0.2 } };
