import { describe, expect, it } from 'vitest';
import { cameraSchema } from '../../../common/config/site.ts';
import { abandonedSchema } from '../../../common/config/zone.ts';
import type { BBox } from '../../../common/geometry.ts';
import { createAbandonedAnalyzer } from '../../../edge/abandoned/abandoned-analyzer.ts';
import type { AnalyzerOutput, Detection } from '../../../edge/types.ts';
import { createScene, frameAt, person, result, type Patch } from './synthetic.ts';

/**
 * Deposits with owners: a "person" carries a bag in, sets it down, stands by
 * it and walks off. The detector sees the person (not the bag) on every frame
 * they are in view.
 */
const FPS = 2;
const DWELL = 10;
const scene = createScene();
const GREY: [number, number, number] = [200, 200, 40];
const BAG_RGB: [number, number, number] = [30, 40, 140];

function analyzer(abandoned: Record<string, unknown> = {}) {
  return createAbandonedAnalyzer({
    camera: cameraSchema.parse({ id: 'cam1', source: { file: 'x.mp4' } }),
    // Unowned objects off: what raises here is the owner-aware path only.
    defaults: abandonedSchema.parse({ dwellS: DWELL, unowned: false, ...abandoned }),
  });
}

/** Person box with its feet at (x, 190). */
const body = (x: number): BBox => [x, 110, x + 26, 190];
const BAG: BBox = [200, 150, 230, 186];

type Scene = { people: BBox[]; bag: BBox | null };
function play(seconds: number, at: (t: number) => Scene, a = analyzer()): { out: AnalyzerOutput[]; frames: number } {
  const out: AnalyzerOutput[] = [];
  let frames = 0;
  for (let i = 0; i <= seconds * FPS; i++) {
    const t = i / FPS;
    const s = at(t);
    const patches: Patch[] = [...(s.bag ? [{ box: s.bag, rgb: BAG_RGB }] : []), ...s.people.map((p) => ({ box: p, rgb: GREY, textured: false }))];
    const detections: Detection[] = s.people.map((p) => person(p));
    out.push(...a.process(result(frameAt(scene, scene.frame(patches), i, t), detections)));
    frames++;
  }
  return { out, frames };
}

/** Walks from x0 at t0 to x1 at t1 (pixels), clamped. */
const walk = (t: number, t0: number, t1: number, x0: number, x1: number) => x0 + (x1 - x0) * Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));

/**
 * The owner: in from the left carrying the bag (2–6 s), sets it down and
 * stands beside it (6–10 s), walks off to the right from 10 s. `leave` says
 * where they are after that (null: out of view).
 */
function ownerScene(t: number, after: (t: number) => number | null): Scene {
  if (t < 2) return { people: [], bag: null };
  if (t < 6) {
    const x = walk(t, 2, 6, 40, 236);
    return { people: [body(x)], bag: [x - 36, 150, x - 6, 186] };
  }
  if (t < 10) return { people: [body(236)], bag: BAG };
  const x = after(t);
  return { people: x === null ? [] : [body(x)], bag: BAG };
}
const raised = (out: AnalyzerOutput[]) => out.filter((o) => o.alarm.state === 'raised').map((o) => o.alarm.mediaTime!);

describe('owner-aware deposits', () => {
  it('raises when the person who set the bag down has been away for the dwell', () => {
    // Walks right at 50 px/s and out of view at 13 s; beyond the attendance radius from about 11.5 s.
    const { out, frames } = play(30, (t) => ownerScene(t, (tt) => (tt < 13 ? walk(tt, 10, 13, 236, 386) : null)));
    expect(frames).toBe(61);
    const [at, ...more] = raised(out);
    expect(more).toEqual([]);
    expect(at).toBeGreaterThanOrEqual(10 + DWELL);
    expect(at).toBeLessThanOrEqual(16 + DWELL);
    const alarm = out.find((o) => o.alarm.state === 'raised')!.alarm;
    expect(alarm.object!.confidence).toBe(0.6);
    alarm.object!.bbox.forEach((v, i) => expect(Math.abs(v - BAG[i]!)).toBeLessThanOrEqual(8));
  });

  it('is not reset by a stranger who stands by the bag for a while', () => {
    const alone = raised(play(30, (t) => ownerScene(t, (tt) => (tt < 13 ? walk(tt, 10, 13, 236, 386) : null))).out);
    // A stranger walks up at 15 s, stands beside the bag 16–19 s, and walks on.
    const withStranger = raised(play(30, (t) => {
      const s = ownerScene(t, (tt) => (tt < 13 ? walk(tt, 10, 13, 236, 386) : null));
      if (t >= 15 && t < 21) s.people.push(body(t < 16 ? walk(t, 15, 16, 300, 240) : t < 19 ? 240 : walk(t, 19, 21, 240, 360)));
      return s;
    }).out);
    expect(alone).toHaveLength(1);
    expect(withStranger).toEqual(alone);
  });

  it('restarts the timer when the owner comes back, and raises only after they leave again', () => {
    // Away to x = 330 (beyond the radius, still in view) 10–12 s, back beside the bag 14–17 s, then gone for good.
    const { out } = play(40, (t) => ownerScene(t, (tt) =>
      tt < 12 ? walk(tt, 10, 12, 236, 346) : tt < 14 ? walk(tt, 12, 14, 346, 236) : tt < 17 ? 236 : tt < 20 ? walk(tt, 17, 20, 236, 386) : null));
    const at = raised(out);
    expect(at).toHaveLength(1);
    expect(at[0]).toBeGreaterThanOrEqual(17 + DWELL);
    expect(at[0]).toBeLessThanOrEqual(23 + DWELL);
  });

  it('raises nothing while the owner stays beside it', () => {
    const { out } = play(40, (t) => ownerScene(t, () => 236));
    expect(out).toEqual([]);
  });

  it('raises nothing for a bag set down and picked up again before the dwell', () => {
    const { out } = play(40, (t) => {
      const s = ownerScene(t, (tt) => (tt < 12 ? walk(tt, 10, 12, 236, 330) : tt < 14 ? walk(tt, 12, 14, 330, 236) : walk(tt, 16, 20, 236, 420)));
      // Picked up at 15 s and carried off.
      if (t >= 15) s.bag = t < 16 ? BAG : [s.people[0]![0] - 36, 150, s.people[0]![0] - 6, 186];
      return s;
    });
    expect(out).toEqual([]);
  });
});
