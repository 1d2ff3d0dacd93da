import { describe, expect, it } from 'vitest';
import { runClip } from './fixture-clips.ts';

// Real footage (vtest.avi with a drawn object composed in), real detections
// (recorded), default settings: dwell 30 s.
describe('abandoned objects on composed footage', () => {
  it('finds the suitcase left on the busy walkway within dwell + 5 s', async () => {
    const { alarms, score } = await runClip('abandoned-suitcase-walkway');
    expect(score).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
    expect(score.meanDelaySeconds!).toBeLessThanOrEqual(35);
    expect(alarms.filter((a) => a.state === 'raised')).toHaveLength(1);
  }, 120_000);

  it('finds the box and clears the alarm when it is taken away', async () => {
    const { alarms, score } = await runClip('abandoned-box-road-removed');
    expect(score).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
    expect(score.meanDelaySeconds!).toBeLessThanOrEqual(35);
    const cleared = alarms.filter((a) => a.state === 'cleared');
    expect(cleared).toHaveLength(1);
    // Removed at 50 s of the clip.
    expect(cleared[0]!.mediaTime!).toBeGreaterThanOrEqual(50);
    expect(cleared[0]!.mediaTime!).toBeLessThanOrEqual(53);
  }, 120_000);
});
