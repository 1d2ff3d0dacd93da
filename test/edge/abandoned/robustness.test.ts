import { describe, expect, it } from 'vitest';
import { cameraSchema } from '../../../common/config/site.ts';
import { abandonedSchema } from '../../../common/config/zone.ts';
import { createAbandonedAnalyzer } from '../../../edge/abandoned/abandoned-analyzer.ts';
import { createBackgroundModel } from '../../../edge/abandoned/background-model.ts';
import type { AnalyzerOutput } from '../../../edge/types.ts';
import { createScene, frameAt, result, type Patch } from './synthetic.ts';

/**
 * Platforms and weather on synthetic footage (384x288, 2 fps): a train that
 * pulls in, darkens and lights the whole view and stands for a while; barrier
 * tape that flutters; a bag left during the train's arrival (still found).
 * Unowned objects at a 10 s dwell, so that anything static would be raised.
 */
const FPS = 2;
const scene = createScene();

function analyzer() {
  return createAbandonedAnalyzer({
    camera: cameraSchema.parse({ id: 'cam1', source: { file: 'x.mp4' } }),
    defaults: abandonedSchema.parse({ dwellS: 10, unownedDwellS: 10, graceS: 2 }),
  });
}

function play(seconds: number, at: (t: number) => { patches?: Patch[]; light?: { gain?: number; offset?: number } }) {
  const a = analyzer();
  const out: AnalyzerOutput[] = [];
  let frames = 0;
  for (let i = 0; i <= seconds * FPS; i++) {
    const t = i / FPS;
    const s = at(t);
    out.push(...a.process(result(frameAt(scene, scene.frame(s.patches ?? [], s.light ?? {}), i, t))));
    frames++;
  }
  return { out, frames };
}

/** The train: a wide dark band sliding in from the left over 3 s, standing 20 s, leaving over 3 s; its shadow changes the light everywhere. */
function train(t: number): { patches: Patch[]; light: { gain: number; offset: number } } {
  const arrive = 6, leave = 29;
  const x = t < arrive ? -400 : t < arrive + 3 ? -400 + ((t - arrive) / 3) * 400 : t < leave ? 0 : t < leave + 3 ? -((t - leave) / 3) * 400 : -400;
  const inView = x > -400;
  // Its shadow darkens the platform as it pulls in, and lifts as it leaves.
  const gain = 1 - 0.3 * (x + 400) / 400;
  return { patches: inView ? [{ box: [x, 20, x + 384, 120], rgb: [90, 90, 100] }] : [], light: { gain, offset: inView ? 10 : 0 } };
}

describe('abandoned objects: platforms and weather', () => {
  it('raises nothing for a train pulling in, standing and leaving, with the light changing over the whole view', () => {
    const { out, frames } = play(50, train);
    expect(frames).toBe(101);
    expect(out).toEqual([]);
  });

  it('still finds a bag set down while the train stands in the station', () => {
    const bag: Patch = { box: [200, 180, 230, 216], rgb: [30, 40, 140] };
    const { out } = play(50, (t) => { const s = train(t); return { ...s, patches: [...s.patches, ...(t >= 12 ? [bag] : [])] }; });
    const raised = out.filter((o) => o.alarm.state === 'raised');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.alarm.mediaTime!).toBeGreaterThanOrEqual(22);
    expect(raised[0]!.alarm.mediaTime!).toBeLessThanOrEqual(27);
  });

  it('raises nothing for barrier tape fluttering in the wind', () => {
    // A thin diagonal strip of tape, redrawn each frame at a slightly different sag.
    const { out } = play(60, (t) => {
      if (t < 3) return {};
      const sag = Math.round(6 * Math.sin(t * 2.3) + 3 * Math.sin(t * 5.1));
      const tape: Patch[] = [];
      for (let k = 0; k < 30; k++) {
        const x = 60 + k * 8, y = 200 + Math.round(k * 1.5) + Math.round(sag * Math.sin((k / 30) * Math.PI));
        tape.push({ box: [x, y, x + 8, y + 3], rgb: [240, 60, 40], textured: false });
      }
      return { patches: tape };
    });
    expect(out).toEqual([]);
  });

  it('pauses learning during a global change, and says so', () => {
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    const steps = [1, 1, 1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6].map((g, i) => m.update(scene.frame([], { gain: g }), i * 0.5, []));
    expect(steps.slice(1, 3).every((u) => !u.paused)).toBe(true);
    expect(steps[3]!.paused).toBe(true);
    // It settles two seconds after the light stopped moving.
    expect(steps.at(-1)!.paused).toBe(false);
    expect(m.blobs()).toEqual([]);
  });
});
