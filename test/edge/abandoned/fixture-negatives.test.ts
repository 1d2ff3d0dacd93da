import { describe, expect, it } from 'vitest';
import { runClip } from './fixture-clips.ts';

describe('no abandoned-object alarm on composed negatives', () => {
  it('stays silent through global lighting changes', async () => {
    const { alarms } = await runClip('negative-lighting');
    expect(alarms).toEqual([]);
  }, 120_000);

  it('stays silent when a bag is set down and taken back before the dwell', async () => {
    const { alarms } = await runClip('negative-brief');
    expect(alarms).toEqual([]);
  }, 120_000);
});
