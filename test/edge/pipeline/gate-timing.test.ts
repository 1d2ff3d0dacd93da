import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../../common/alarm.ts';
import { createMemorySink } from '../../../edge/pipeline/memory-sink.ts';
import { createRecordedDetector } from '../../../edge/replay/recorded-detector.ts';
import { runReplay, type ReplaySummary } from '../../../edge/replay/replay-runner.ts';
import { evalClips, SHARED_ABANDONED } from '../../../fixtures/compose/eval-set.ts';

const here = existsSync(path.join(SHARED_ABANDONED, 'aboda-video4.avi'));

/**
 * Change-gated inference must not move abandoned-object timing: on a real
 * street with quiet stretches (ABODA clip 4: a man sets a bag down and walks
 * off, then nothing moves), a replay that skips unchanged frames raises the
 * same alarms, at the same media time, with the same score, as one that
 * detects every frame. The model's detections are recorded once per frame
 * (fixtures/compose/record-detections.ts), so the two runs differ only in
 * what the gate reuses.
 */
describe.skipIf(!here)('abandoned-object timing under the change gate (real ABODA street clip)', { timeout: 600_000 }, () => {
  it('raises the same abandoned-object alarms at the same media time, while skipping the still frames', async () => {
    const [clip] = await evalClips(['aboda-video4']);
    const rec = await clip!.recorded();
    const truthFile = path.join(SHARED_ABANDONED, 'aboda-video4.truth.json');
    async function replay(gate: boolean): Promise<{ summary: ReplaySummary; alarms: readonly Alarm[] }> {
      const sink = createMemorySink();
      const summary = await runReplay({
        video: clip!.video, truthFile, fps: clip!.fps, dwellS: clip!.dwellS, detector: createRecordedDetector(rec.lookup, rec.width),
        sink: () => sink, ...(gate ? { gate: { maxIntervalS: 5 } } : {}),
      });
      return { summary, alarms: sink.alarms.filter((a) => a.kind === 'object.abandoned') };
    }
    const every = await replay(false);
    const gated = await replay(true);
    // 39 s at 2 fps: every frame decoded in both runs, and the gate really skipped the quiet ones.
    expect(every.summary.frames).toBe(78);
    expect(gated.summary.frames + gated.summary.gated!).toBe(78);
    expect(gated.summary.gated!).toBeGreaterThanOrEqual(10);
    // The bag is raised without the gate, so the comparison has something to compare.
    expect(every.summary.abandoned).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
    const key = (a: Alarm) => `${a.kind}:${a.state}`;
    expect(gated.alarms.map(key)).toEqual(every.alarms.map(key));
    gated.alarms.forEach((a, i) => expect(Math.abs((a.mediaTime ?? 0) - (every.alarms[i]!.mediaTime ?? 0))).toBeLessThanOrEqual(0.5));
    expect(gated.summary.abandoned).toEqual(every.summary.abandoned);
  });
});
