import { describe, expect, it } from 'vitest';
import { runClip } from './fixture-clips.ts';

// Zero false alarms on vtest, its mirror (barrier tape flutters on the right),
// a shifted copy, and every composed negative; and each clip really decoded.
// Known failures (the analyzer's, not the clip's) are marked `fails`, so they
// turn red the day the analyzer passes them and the mark must go:
// negative-flag-tape raises the fluttering flag (3 episodes).
const KNOWN_FAILING = new Set(['negative-flag-tape']);

describe('no abandoned-object alarm on negatives', () => {
  for (const name of ['negative-vtest', 'negative-vtest-mirrored', 'negative-vtest-shifted', 'negative-lighting', 'negative-brief', 'negative-carried',
    'negative-picked-up', 'negative-standing', 'negative-group', 'negative-flag-tape']) {
    (KNOWN_FAILING.has(name) ? it.fails : it)(`raises nothing on ${name}`, async () => {
      const o = await runClip(name);
      expect(o.raised).toEqual([]);
      expect(o).toMatchObject({ truePositives: 0, falsePositives: 0, falseNegatives: 0 });
      expect(o.expectedFrames).toBeGreaterThan(90);
      expect(o.frames).toBe(o.expectedFrames);
    }, 300_000);
  }
});
