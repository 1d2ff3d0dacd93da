import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.ts';
import { createFrameDecoder } from '../../../edge/decode/ffmpeg-decoder.ts';
import { createFileSource } from '../../../edge/decode/sources.ts';
import { createBatcher } from '../../../edge/detect/batcher.ts';
import { createDetectorPool, type DetectorPool } from '../../../edge/detect/detector-pool.ts';
import type { DetectionResult } from '../../../edge/types.ts';
import { VTEST } from './vtest-frames.ts';

let pool: DetectorPool | null = null;
afterAll(async () => { await pool?.close(); });

describe('decoder → batcher → detector pool (replay wiring)', () => {
  it('two cameras replayed losslessly: every decoded frame is detected once, in order, with its pixels', async () => {
    pool = await createDetectorPool({ workers: 2 });
    const batcher = createBatcher({ maxBatch: 2, maxWaitMs: 50, maxAgeMs: 1_000, clock: systemClock, lossless: true });
    const perCamera = 4;
    const feed = async (camera: string) => {
      const dec = createFrameDecoder(createFileSource(camera, VTEST), { fps: 1, width: 384, lossless: true });
      dec.start();
      let n = 0;
      for await (const f of dec.frames()) {
        await batcher.offer(f);
        if (++n === perCamera) break;
      }
      await dec.stop();
    };
    const feeding = Promise.all([feed('north'), feed('south')]);
    const results: DetectionResult[] = [];
    while (results.length < 2 * perCamera) {
      const batch = (await batcher.next())!;
      const t0 = performance.now();
      results.push(...(await pool.detect(batch)));
      batcher.recordInference(performance.now() - t0);
    }
    await feeding;
    batcher.close();
    for (const camera of ['north', 'south']) {
      const mine = results.filter((r) => r.frame.camera === camera);
      expect(mine.map((r) => r.frame.seq)).toEqual([0, 1, 2, 3]);
      expect(mine.map((r) => r.frame.mediaTime)).toEqual([0, 1, 2, 3]);
    }
    expect(results.every((r) => r.frame.data.length === 384 * 288 * 3)).toBe(true);
    // Both cameras play the same clip: the same frame gives the same persons whichever worker ran it.
    const persons = (camera: string) => results.filter((r) => r.frame.camera === camera).map((r) => r.detections.filter((d) => d.classId === 0 && d.score >= 0.4).length);
    expect(persons('north')).toEqual(persons('south'));
    expect(persons('north').some((n) => n >= 2)).toBe(true);
    const m = batcher.metrics();
    expect(m).toMatchObject({ frames: 8, droppedReplaced: 0, droppedStale: 0 });
    expect(m.meanBatchSize).toBeGreaterThan(1);
  });
});
