import { describe, expect, it } from 'vitest';
import { runClip } from './fixture-clips.ts';

// Zero false alarms on vtest, its mirror (barrier tape flutters on the right),
// a shifted copy, and every composed negative (the fluttering flag included);
// and each clip really decoded.

describe('no abandoned-object alarm on negatives', () => {
  for (const name of ['negative-vtest', 'negative-vtest-mirrored', 'negative-vtest-shifted', 'negative-lighting', 'negative-brief', 'negative-carried',
    'negative-picked-up', 'negative-standing', 'negative-group', 'negative-flag-tape']) {
    it(`raises nothing on ${name}`, async () => {
      const o = await runClip(name);
      expect(o.raised).toEqual([]);
      expect(o).toMatchObject({ truePositives: 0, falsePositives: 0, falseNegatives: 0 });
      expect(o.expectedFrames).toBeGreaterThan(90);
      expect(o.frames).toBe(o.expectedFrames);
    }, 300_000);
  }
});
