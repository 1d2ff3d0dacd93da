import { describe, it, expect } from 'vitest';
import { fruinLevel } from '../../../edge/crowd/fruin.ts';
import { createTimeWindow, etaToNextThreshold } from '../../../edge/crowd/window.ts';
import { createCrowdZone } from '../../../edge/crowd/zones.ts';
import { createCrowdAnalyzer } from '../../../edge/crowd/crowd-analyzer.ts';
import { cameraSchema } from '../../../common/config/site.ts';
import { parseAlarm } from '../../../common/alarm.ts';
import type { BBox } from '../../../common/geometry.ts';
import type { DetectionResult, Frame } from '../../../edge/types.ts';

const zoneCfg = (over: object = {}) => ({ id: 'z1', polygon: [[0, 0], [400, 0], [400, 300], [0, 300]] as [number, number][], areaM2: 10, ...over });

describe('Fruin walkway level of service', () => {
  it('maps densities to A–F at the published walkway boundaries', () => {
    expect(fruinLevel(0)).toBe('A');
    expect(fruinLevel(0.3)).toBe('A');
    expect(fruinLevel(0.32)).toBe('B');
    expect(fruinLevel(0.5)).toBe('C');
    expect(fruinLevel(1.0)).toBe('D');
    expect(fruinLevel(1.5)).toBe('E');
    expect(fruinLevel(2.2)).toBe('F');
    expect(fruinLevel(6)).toBe('F');
  });
});

describe('time window', () => {
  it('means over the span and drops old samples', () => {
    const w = createTimeWindow(5);
    for (let t = 0; t <= 10; t++) w.push(t, t);
    expect(w.size).toBe(6); // 5..10
    expect(w.mean()).toBe(7.5);
  });
  it('least-squares slope and time to the next threshold', () => {
    const w = createTimeWindow(60);
    for (let t = 0; t < 30; t++) w.push(t, 1 + 0.02 * t + (t % 2 ? 0.01 : -0.01));
    const slope = w.slope()!;
    expect(slope).toBeCloseTo(0.02, 3);
    expect(etaToNextThreshold(1.6, slope, [2, 4])).toBeCloseTo(20, 0);
    expect(etaToNextThreshold(2.5, slope, [2, 4])).toBeCloseTo(75, 0);
    expect(etaToNextThreshold(5, slope, [2, 4])).toBeNull();
    expect(etaToNextThreshold(1, -0.1, [2, 4])).toBeNull();
    expect(etaToNextThreshold(1, null, [2, 4])).toBeNull();
  });
  it('restarts when time goes backwards (looped media)', () => {
    const w = createTimeWindow(60);
    w.push(10, 5); w.push(11, 5); w.push(0, 1);
    expect(w.size).toBe(1);
    expect(w.mean()).toBe(1);
  });
});

describe('zones', () => {
  it('places a person by the bottom centre of the box, scaling frame to source pixels', () => {
    const z = createCrowdZone(cameraSchema.parse({ id: 'c', source: { file: 'x' }, zones: [zoneCfg()] }).zones[0]!);
    // frame is half the source size: scale 2
    expect(z.contains([90, 10, 110, 140], 2, 2)).toBe(true); // feet at (200, 280) source
    expect(z.contains([90, 10, 110, 160], 2, 2)).toBe(false); // feet at (200, 320): below the zone
    const m = z.mask(8, 6, 800, 600);
    expect(m.reduce((a, b) => a + b, 0)).toBe(4 * 3);
  });
});

function frame(seq: number, t: number): Frame {
  return { camera: 'c', seq, width: 400, height: 300, data: new Uint8Array(400 * 300 * 3), capturedAt: Date.UTC(2026, 0, 1) + t * 1000, mediaTime: t, sourceWidth: 400, sourceHeight: 300 };
}
function people(n: number, y = 200): BBox[] {
  return Array.from({ length: n }, (_, i) => [10 + (i % 30) * 12, y - 80, 20 + (i % 30) * 12, y] as BBox);
}
function result(seq: number, t: number, boxes: BBox[]): DetectionResult {
  return { frame: frame(seq, t), detections: boxes.map((bbox) => ({ bbox, score: 0.8, classId: 0, label: 'person' })), inferenceMs: 1 };
}

describe('crowd analyzer', () => {
  const camera = cameraSchema.parse({
    id: 'cam1', source: { file: 'x' },
    zones: [zoneCfg({ crowd: { minDurationS: 2, clearDurationS: 3, smoothingS: 1 } }), zoneCfg({ id: 'z2', polygon: [[0, 250], [400, 250], [400, 300], [0, 300]], areaM2: 5 })],
  });

  it('counts per zone, computes density, LOS and a rising trend', () => {
    const a = createCrowdAnalyzer({ camera });
    for (let i = 0; i < 40; i++) a.process(result(i, i * 0.5, people(Math.floor(i / 2), 200)));
    const [z1, z2] = a.latest();
    expect(z1!.zone).toBe('z1');
    expect(z1!.rawCount).toBe(19);
    expect(z1!.density).toBeCloseTo(z1!.count / 10);
    expect(z1!.density).toBeGreaterThan(1.08);
    expect(z1!.los).toBe('E'); // 1.08–2.17 persons/m²
    expect(z1!.method).toBe('detections');
    expect(z1!.trendPerMin).toBeGreaterThan(0);
    expect(z2!.rawCount).toBe(0); // feet at y=200 are not in z2 (y ≥ 250)
  });

  it('raises crowd.density alarms that validate against the alarm schema, then clears them', () => {
    let n = 0;
    const a = createCrowdAnalyzer({ camera, newId: () => `id-000000${++n}` });
    const outs = [];
    for (let i = 0; i < 20; i++) outs.push(...a.process(result(i, i * 0.5, people(30))));   // 3/m²: warning
    for (let i = 20; i < 40; i++) outs.push(...a.process(result(i, i * 0.5, people(50))));  // 5/m²: critical
    for (let i = 40; i < 60; i++) outs.push(...a.process(result(i, i * 0.5, people(2))));
    const alarms = outs.map((o) => o.alarm);
    expect(alarms.map((x) => `${x.state}:${x.severity}`)).toEqual(['raised:warning', 'raised:critical', 'cleared:critical']);
    expect(new Set(alarms.map((x) => x.episode)).size).toBe(1);
    for (const x of alarms) parseAlarm({ ...x, v: 1, site: 's', edge: 'e' });
    expect(alarms[0]!.crowd).toMatchObject({ level: 'warning', threshold: 2, areaM2: 10, method: 'detections' });
    expect(alarms[0]!.zone).toBe('z1');
    expect(outs[0]!.evidence?.seq).toBeGreaterThan(0);
    expect(outs[0]!.draw!.length).toBe(30);
  });

  it('flush clears open alarms at the end of a replay', () => {
    const a = createCrowdAnalyzer({ camera });
    for (let i = 0; i < 20; i++) a.process(result(i, i * 0.5, people(30)));
    const out = a.flush!(Date.now());
    expect(out.map((o) => o.alarm.state)).toEqual(['cleared']);
  });

  it('falls back to given zones without config, asks for density in the same pass, and never for tiles', () => {
    const bare = cameraSchema.parse({ id: 'cam2', source: { file: 'x' } });
    const a = createCrowdAnalyzer({ camera: bare, fallbackZones: [zoneCfg({ id: 'frame' })], maxDetections: 20 });
    a.process(result(0, 0, people(3)));
    expect(a.detectOptions()).toEqual({ heatmap: true, density: true });
    // Without a density map, a saturated detector is reported as such, with low confidence.
    a.process(result(1, 0.1, people(20)));
    expect(a.detectOptions().tiles).toBeUndefined();
    expect(a.latest()[0]).toMatchObject({ saturated: true, method: 'detections', confidence: 0.4 });
    expect(a.stats()[0]).toMatchObject({ zone: 'frame', frames: 2 });
  });

  it('counts from the density map in a crowd, with the method and its weight', () => {
    const bare = cameraSchema.parse({ id: 'cam3', source: { file: 'x' } });
    const a = createCrowdAnalyzer({ camera: bare, fallbackZones: [zoneCfg({ id: 'frame', polygon: [[0, 0], [400, 0], [400, 300], [0, 300]], areaM2: 100 })] });
    // 60 persons standing together in the middle of the frame; the detector finds 12 of them.
    const data = new Float32Array(64 * 64);
    for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) data[y * 64 + x] = 60 / (32 * 32);
    const r = { ...result(0, 0, people(12)), density: { width: 64, height: 64, data } };
    a.process(r);
    expect(a.latest()[0]).toMatchObject({ method: 'density', detected: 12, densityWeight: 1 });
    expect(a.latest()[0]!.rawCount).toBeCloseTo(60, 0);
  });
});
