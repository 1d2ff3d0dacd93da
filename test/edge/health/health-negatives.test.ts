import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixtures, CACHE_DIR } from '../../../fixtures/compose/build.ts';
import { run } from './run-health.ts';

describe('camera health stays quiet on normal footage', () => {
  it('raises nothing on the unaltered footage, through lighting changes, or when an object is left', async () => {
    await buildFixtures({ only: ['negative-lighting', 'abandoned-suitcase-walkway'] });
    expect(await run(path.join(CACHE_DIR, 'vtest.avi'))).toEqual([]);
    expect(await run(path.join(CACHE_DIR, 'negative-lighting.mp4'))).toEqual([]);
    expect(await run(path.join(CACHE_DIR, 'abandoned-suitcase-walkway.mp4'))).toEqual([]);
  }, 120_000);

});
