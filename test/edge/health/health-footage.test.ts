import { describe, expect, it } from 'vitest';
import { buildFixtures } from '../../../fixtures/compose/build.ts';
import { clipSpec } from '../../../fixtures/compose/clips.ts';
import { run } from './run-health.ts';

// ffmpeg-made variants of vtest.avi (fixtures/compose/clips.ts): each fault starts at 15 s.
describe('camera health on real footage', () => {
  for (const name of ['health-covered', 'health-defocused', 'health-moved', 'health-frozen']) {
    it(`raises ${name.replace('health-', '')} on its clip, and nothing else`, async () => {
      const [built] = await buildFixtures({ only: [name] });
      const expectAlarm = clipSpec(name).expect!;
      const out = await run(built!.video);
      expect(out.map((o) => [o.kind, o.state, o.reason])).toEqual([[expectAlarm.kind, 'raised', expectAlarm.reason ?? 'frozen']]);
      // Tamper after its 3 s hold; frozen after frozenS (10 s).
      const latest = expectAlarm.kind === 'camera.frozen' ? 27 : 20;
      expect(out[0]!.t!).toBeGreaterThanOrEqual(expectAlarm.at);
      expect(out[0]!.t!).toBeLessThanOrEqual(latest);
    }, 120_000);
  }

  it('leaves tamper checks off when the camera says so', async () => {
    const [built] = await buildFixtures({ only: ['health-covered'] });
    expect(await run(built!.video, { tamper: false })).toEqual([]);
  }, 120_000);
});
