import { describe, expect, it } from 'vitest';
import { createBackgroundModel } from '../../../edge/abandoned/background-model.ts';
import { createScene } from './synthetic.ts';

const FPS = 4;
const BAG = { box: [200, 150, 230, 186] as const, rgb: [30, 40, 140] as [number, number, number] };

describe('background model', () => {
  it('takes whatever is present at start-up as background', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    for (let i = 0; i < 20 * FPS; i++) m.update(scene.frame([BAG]), i / FPS, []);
    expect(m.blobs()).toEqual([]);
    expect(m.presence([100, 75, 115, 93])).toBe(0);
  });

  it('finds an object that arrives and stays, dated to its arrival', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    for (let i = 0; i < 20 * FPS; i++) m.update(scene.frame(i >= 5 * FPS ? [BAG] : []), i / FPS, []);
    const blobs = m.blobs();
    expect(blobs).toHaveLength(1);
    const b = blobs[0]!;
    expect(b.box[0]).toBeGreaterThanOrEqual(196); expect(b.box[0]).toBeLessThanOrEqual(204);
    expect(b.box[3]).toBeGreaterThanOrEqual(182); expect(b.box[3]).toBeLessThanOrEqual(190);
    expect(b.since).toBe(5);
    // The object brings its outline with it.
    expect(b.edgeRatio).toBeGreaterThan(1.5);
  });

  it('does not call an object carried past static', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    let seen = 0;
    for (let i = 0; i < 8 * FPS; i++) {
      const x = 20 + i * 10; // 40 px/s: slow walking pace at this scale
      m.update(scene.frame(i >= 2 * FPS ? [{ box: [x, 100, x + 30, 136], rgb: [200, 60, 40] }] : []), i / FPS, []);
      seen += m.blobs().length;
    }
    expect(seen).toBe(0);
  });

  it('is blind to global lighting changes, gradual or sudden', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    for (let i = 0; i < 40 * FPS; i++) {
      const t = i / FPS;
      const light = t < 10 ? {} : t < 15 ? { gain: 1 + (t - 10) * 0.05, offset: (t - 10) * 4 } : t < 25 ? { gain: 1.25, offset: 20 } : { gain: 0.7, offset: -10 };
      const u = m.update(scene.frame([], light), t, []);
      expect(u.rebaselined).toBe(i === 0);
      expect(u.foregroundFraction).toBeLessThan(0.02);
      expect(m.blobs()).toEqual([]);
    }
  });

  it('still finds an object placed while the light changes', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    for (let i = 0; i < 25 * FPS; i++) {
      const t = i / FPS;
      m.update(scene.frame(t >= 8 ? [BAG] : [], { gain: 1 + Math.min(0.3, Math.max(0, t - 5) * 0.03) }), t, []);
    }
    expect(m.blobs().map((b) => b.since)).toEqual([8]);
  });

  it('re-baselines when the whole scene changes for good', () => {
    const a = createScene(384, 288, 7);
    const b = createScene(384, 288, 99);
    const m = createBackgroundModel({ width: a.width, height: a.height });
    const re: number[] = [];
    for (let i = 0; i < 20 * FPS; i++) {
      const t = i / FPS;
      if (m.update((t < 5 ? a : b).frame(), t, []).rebaselined) re.push(t);
    }
    expect(re[0]).toBe(0);
    expect(re).toHaveLength(2);
    expect(re[1]).toBeGreaterThanOrEqual(7);
    expect(re[1]).toBeLessThanOrEqual(8);
    expect(m.blobs()).toEqual([]);
  });

  it('masks people: someone standing still is not static foreground', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    const body = [100, 60, 130, 140] as const;
    for (let i = 0; i < 20 * FPS; i++) m.update(scene.frame(i >= 4 ? [{ box: body, rgb: [20, 20, 20] }] : []), i / FPS, i >= 4 ? [body] : []);
    expect(m.blobs()).toEqual([]);
  });

  it('marks the trace of something that left as a ghost, and absorbs it on request', () => {
    const scene = createScene();
    const m = createBackgroundModel({ width: scene.width, height: scene.height });
    for (let i = 0; i < 15 * FPS; i++) m.update(scene.frame(i < 2 * FPS ? [BAG] : []), i / FPS, []);
    const ghosts = m.blobs();
    expect(ghosts).toHaveLength(1);
    expect(ghosts[0]!.edgeRatio).toBeLessThan(0.85);
    m.absorb(ghosts[0]!.cellBox);
    m.update(scene.frame(), 15, []);
    expect(m.blobs()).toEqual([]);
  });

  it('refuses frames of the wrong size with a clear error', () => {
    const m = createBackgroundModel({ width: 64, height: 48 });
    expect(() => m.update(new Uint8Array(10), 0, [])).toThrow(/frame\.data: expected 9216 bytes/);
    expect(() => createBackgroundModel({ width: 4, height: 4 })).toThrow(/too small/);
  });
});
