import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../common/alarm.ts';
import { createDetectorPool, type DetectorPool } from '../../../edge/detect/detector-pool.ts';
import { createMemorySink } from '../../../edge/pipeline/memory-sink.ts';
import { runReplay, type ReplaySummary } from '../../../edge/replay/replay-runner.ts';
import { SHARED_DATA } from '../../support/shared-data.ts';

const ABODA = path.join(SHARED_DATA, 'abandoned/aboda-video4.avi');
const TRUTH = path.join(SHARED_DATA, 'abandoned/aboda-video4.truth.json');

/**
 * Change-gated inference must not move abandoned-object timing: on a real
 * street with quiet stretches (a man sets a bag down and walks off, then
 * nothing moves), a replay that skips unchanged frames raises the same
 * alarms, at the same media time, with the same score, as one that detects
 * every frame.
 */
describe.skipIf(!existsSync(ABODA))('abandoned-object timing under the change gate (real ABODA street clip)', { timeout: 600_000 }, () => {
  let pool: DetectorPool;
  beforeAll(async () => { pool = await createDetectorPool({ workers: 1 }); }, 120_000);
  afterAll(async () => { await pool?.close(); });

  async function replay(gate: boolean): Promise<{ summary: ReplaySummary; alarms: readonly Alarm[] }> {
    let sink!: ReturnType<typeof createMemorySink>;
    const summary = await runReplay({
      video: ABODA, truthFile: TRUTH, dwellS: 10, detector: pool,
      sink: () => (sink = createMemorySink()),
      ...(gate ? { gate: { maxIntervalS: 5 } } : {}),
    });
    return { summary, alarms: sink.alarms.filter((a) => a.kind.startsWith('object.')) };
  }

  it('raises the same abandoned-object alarms at the same media time, while skipping the still frames', async () => {
    const every = await replay(false);
    const gated = await replay(true);
    // The clip is 39 s at 2 fps: every frame decoded in both runs, and the gate really skipped the quiet ones.
    expect(every.summary.frames).toBeGreaterThanOrEqual(76);
    expect(gated.summary.frames + gated.summary.gated!).toBe(every.summary.frames);
    expect(gated.summary.gated!).toBeGreaterThanOrEqual(10);
    const key = (a: Alarm) => `${a.kind}:${a.state}`;
    expect(gated.alarms.map(key)).toEqual(every.alarms.map(key));
    gated.alarms.forEach((a, i) => expect(Math.abs((a.mediaTime ?? 0) - (every.alarms[i]!.mediaTime ?? 0))).toBeLessThanOrEqual(0.5));
    expect(gated.summary.abandoned).toEqual(every.summary.abandoned);
  });
});
