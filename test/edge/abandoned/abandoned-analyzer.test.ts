import { describe, expect, it } from 'vitest';
import { cameraSchema } from '../../../common/config/site.ts';
import { abandonedSchema } from '../../../common/config/zone.ts';
import { alarmSchema } from '../../../common/alarm.ts';
import type { BBox } from '../../../common/geometry.ts';
import { createAbandonedAnalyzer, type AbandonedAnalyzerOptions } from '../../../edge/abandoned/abandoned-analyzer.ts';
import type { AnalyzerOutput, Detection } from '../../../edge/types.ts';
import { createScene, frameAt, person, result, type Patch } from './synthetic.ts';

const FPS = 2;
const BAG: Patch = { box: [200, 150, 230, 186], rgb: [30, 40, 140] };
const scene = createScene();

function analyzer(over: Partial<AbandonedAnalyzerOptions> = {}, camera: Record<string, unknown> = {}) {
  return createAbandonedAnalyzer({
    camera: cameraSchema.parse({ id: 'cam1', source: { file: 'x.mp4' }, ...camera }),
    // Painted objects appear out of nowhere: no person leaves them, so they take the unowned path, here with the same dwell.
    defaults: abandonedSchema.parse({ dwellS: 10, unownedDwellS: 10, graceS: 2 }),
    ...over,
  });
}

/** Runs `seconds` of synthetic footage; `at(t)` says what is in the scene and who the detector sees. */
function play(a: ReturnType<typeof analyzer>, seconds: number, at: (t: number) => { patches?: Patch[]; detections?: Detection[] }, source?: { w: number; h: number }) {
  const out: AnalyzerOutput[] = [];
  for (let i = 0; i <= seconds * FPS; i++) {
    const t = i / FPS;
    const s = at(t);
    out.push(...a.process(result(frameAt(scene, scene.frame(s.patches ?? []), i, t, source), s.detections ?? [])));
  }
  return out;
}

function validAlarm(o: AnalyzerOutput) {
  // The sink adds these; with them the alarm must pass the schema.
  return alarmSchema.parse({ ...o.alarm, v: 1, site: 'site1', edge: 'edge1' });
}

describe('abandoned-object analyzer', () => {
  it('raises once after the dwell, with the box in source pixels, and clears when the object is taken', () => {
    const a = analyzer();
    // The source is twice the analysed size: boxes must be scaled back up.
    const out = play(a, 40, (t) => ({ patches: t >= 4 && t < 30 ? [BAG] : [] }), { w: 768, h: 576 });
    expect(out.map((o) => [o.alarm.state, o.alarm.mediaTime])).toEqual([['raised', 14], ['cleared', expect.any(Number)]]);
    const [raised, cleared] = out as [AnalyzerOutput, AnalyzerOutput];
    expect(cleared.alarm.mediaTime).toBeGreaterThanOrEqual(30);
    expect(cleared.alarm.mediaTime).toBeLessThanOrEqual(33);
    const alarm = validAlarm(raised);
    expect(alarm.kind).toBe('object.abandoned');
    expect(alarm.severity).toBe('warning');
    expect(alarm.object!.class).toBeNull();
    expect(alarm.object!.dwellSeconds).toBe(10);
    const [x1, y1, x2, y2] = alarm.object!.bbox;
    for (const [got, want] of [[x1, 400], [y1, 300], [x2, 460], [y2, 372]] as const) expect(Math.abs(got - want)).toBeLessThanOrEqual(8);
    expect(cleared.alarm.episode).toBe(raised.alarm.episode);
    expect(raised.evidence?.mediaTime).toBe(14);
    expect(raised.draw).toHaveLength(1);
    validAlarm(cleared);
  });

  it('names the object and raises the confidence when the detector sees a bag there', () => {
    const a = analyzer();
    const bag: Detection = { bbox: [198, 148, 232, 188], score: 0.7, classId: 28, label: 'suitcase' };
    const out = play(a, 16, (t) => ({ patches: t >= 4 ? [BAG] : [], detections: t >= 8 ? [bag] : [] }));
    expect(out).toHaveLength(1);
    // Unowned (nobody was seen leaving it): 0.4 + 0.4 × 0.7.
    expect(out[0]!.alarm.object).toMatchObject({ class: 'suitcase', confidence: 0.68 });
  });

  it('leaves a change on a detected vehicle (a boot left open) to parking rules, but not a bicycle left like a bag', () => {
    // The detector sees a car around the patch in most frames, as its score flickers about the threshold.
    const around: BBox = [190, 140, 240, 196];
    const detected = (classId: number, label: string) => (t: number): Detection[] => (Math.round(t * FPS) % 4 === 3 ? [] : [{ bbox: around, score: 0.45, classId, label }]);
    const car = detected(2, 'car');
    expect(play(analyzer(), 30, (t) => ({ patches: t >= 4 ? [BAG] : [], detections: car(t) }))).toEqual([]);
    const bicycle = detected(1, 'bicycle');
    const out = play(analyzer(), 30, (t) => ({ patches: t >= 4 ? [BAG] : [], detections: bicycle(t) }));
    expect(out.map((o) => o.alarm.state)).toEqual(['raised']);
  });

  it('does not raise while someone stays beside the object, then raises after the grace once they leave', () => {
    const a = analyzer();
    const owner: BBox = [236, 110, 262, 190];
    const out = play(a, 40, (t) => ({
      patches: t >= 4 ? [BAG, ...(t < 25 ? [{ box: owner, rgb: [20, 20, 20] as [number, number, number], textured: false }] : [])] : [],
      detections: t >= 4 && t < 25 ? [person(owner)] : [],
    }));
    // The person there when it appeared owns it: unattended from when their track died (last seen 24.5 + 2.5 s), for the dwell.
    expect(out.map((o) => [o.alarm.state, o.alarm.mediaTime])).toEqual([['raised', 37]]);
  });

  it('is not reset by people walking past', () => {
    const a = analyzer();
    const out = play(a, 20, (t) => {
      if (t < 4) return {};
      if (t < 8) return { patches: [BAG] };
      // Every few seconds someone walks right past the bag at walking pace.
      const phase = t % 5;
      const x = 150 + phase * 60;
      const p: BBox = [x, 110, x + 26, 190];
      return { patches: [BAG, { box: p, rgb: [200, 200, 40], textured: false }], detections: [person(p)] };
    });
    expect(out.map((o) => [o.alarm.state, o.alarm.mediaTime])).toEqual([['raised', 14]]);
  });

  it('ignores an object carried slowly across the scene', () => {
    const a = analyzer();
    const out = play(a, 40, (t) => {
      const x = 10 + t * 8;
      return t >= 2 ? { patches: [{ box: [x, 150, x + 30, 186], rgb: [30, 40, 140] }] } : {};
    });
    expect(out).toEqual([]);
  });

  it('takes what is there at start-up as background: its removal raises nothing', () => {
    const out = play(analyzer(), 30, (t) => ({ patches: t < 5 ? [BAG] : [] }));
    expect(out).toEqual([]);
  });

  it('ignores an object taken back before the dwell', () => {
    const out = play(analyzer(), 30, (t) => ({ patches: t >= 4 && t < 12 ? [BAG] : [] }));
    expect(out).toEqual([]);
  });

  it('uses --dwell over the config, and zone overrides over the site defaults', () => {
    // Unowned objects wait at least twice --dwell (and at least their own dwell): max(10, 2 × 6) after 4 s.
    expect(play(analyzer({ dwellOverrideS: 6 }), 18, (t) => ({ patches: t >= 4 ? [BAG] : [] }))[0]?.alarm.mediaTime).toBe(16);
    const zone = { id: 'hall', polygon: [[150, 100], [300, 100], [300, 250], [150, 250]], areaM2: 50, abandoned: { unownedDwellS: 5, calibration: 'none' } };
    const out = play(analyzer({}, { zones: [zone] }), 14, (t) => ({ patches: t >= 4 ? [BAG] : [] }));
    // 4 s + the zone's 5 s, but not before the tracker has followed it for its 3 s stability window (from about 7 s).
    expect(out[0]?.alarm).toMatchObject({ mediaTime: 10, zone: 'hall' });
  });

  it('respects exclude masks, include masks and the size limits', () => {
    const box = [[150, 100], [300, 100], [300, 250], [150, 250]];
    const run = (defaults: Record<string, unknown>) => play(createAbandonedAnalyzer({
      camera: cameraSchema.parse({ id: 'cam1', source: { file: 'x.mp4' } }),
      defaults: abandonedSchema.parse({ dwellS: 5, unownedDwellS: 5, graceS: 0, ...defaults }),
    }), 12, (t) => ({ patches: t >= 2 ? [BAG] : [] }));
    expect(run({})).toHaveLength(1);
    expect(run({ exclude: [box] })).toEqual([]);
    expect(run({ include: [[[0, 0], [100, 0], [100, 100], [0, 100]]] })).toEqual([]);
    expect(run({ include: [box] })).toHaveLength(1);
    expect(run({ maxSizePx: 20 })).toEqual([]);
    expect(run({ minSizePx: 50 })).toEqual([]);
    expect(run({ enabled: false })).toEqual([]);
  });

  it('does not alarm on a global lighting change', () => {
    const a = analyzer();
    const out: AnalyzerOutput[] = [];
    for (let i = 0; i <= 40 * FPS; i++) {
      const t = i / FPS;
      const light = { gain: t < 10 ? 1 : t < 20 ? 1 + (t - 10) * 0.03 : 0.75, offset: t < 20 ? 0 : -8 };
      out.push(...a.process(result(frameAt(scene, scene.frame([], light), i, t))));
    }
    expect(out).toEqual([]);
  });

  it('clears open alarms on flush', () => {
    const a = analyzer();
    const out = play(a, 16, (t) => ({ patches: t >= 4 ? [BAG] : [] }));
    expect(out).toHaveLength(1);
    const flushed = a.flush!(Date.now());
    expect(flushed.map((o) => o.alarm.state)).toEqual(['cleared']);
    expect(flushed[0]!.alarm.episode).toBe(out[0]!.alarm.episode);
    expect(a.flush!(Date.now())).toEqual([]);
  });

  it('refuses a bad --dwell', () => {
    expect(() => analyzer({ dwellOverrideS: 0 })).toThrow(/dwell: must be a positive number/);
  });
});
