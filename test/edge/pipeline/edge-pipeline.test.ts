import { describe, it, expect } from 'vitest';
import { createEdgePipeline } from '../../../edge/pipeline/edge-pipeline.ts';
import { createMemorySink } from '../../../edge/pipeline/memory-sink.ts';
import { defaultAnalyzers, type AnalyzerFactory } from '../../../edge/pipeline/analyzer-factories.ts';
import { cameraSchema } from '../../../common/config/site.ts';
import type { Alarm } from '../../../common/alarm.ts';
import type { DetectRequestOptions, Frame } from '../../../edge/types.ts';
import { fakeDecoder, fakeDetector, row } from './fakes.ts';

// Fake frames are black and still, which the camera-health analyzer rightly
// reports as frozen/tampered; these tests look at the crowd alarms.
const crowd = (alarms: readonly Alarm[]) => alarms.filter((a) => a.kind === 'crowd.density');

// source is 640×480 (frames are 160×120, scale 4); zone = whole image, 10 m²
const camera = (id: string) => cameraSchema.parse({
  id, source: { file: 'x.avi' },
  zones: [{ id: 'hall', polygon: [[0, 0], [640, 0], [640, 480], [0, 480]], areaM2: 10, crowd: { minDurationS: 2, clearDurationS: 3, smoothingS: 1 } }],
});

// 0–10 s: 5 people, 10–30 s: 30 people (3/m², warning), 30–50 s: 2 people.
const scenario = (seq: number) => row(seq < 20 ? 5 : seq < 60 ? 30 : 2);

describe('edge pipeline (fake detector)', () => {
  it('replay analyses every frame in order and raises then clears crowd.density with site, edge and evidence', async () => {
    const sink = createMemorySink();
    const det = fakeDetector((f) => scenario(f.seq));
    const p = createEdgePipeline({ site: 'site1', edgeId: 'edge1', cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 100) }], detector: det, sink, mode: 'replay', crowd: {  } });
    p.start();
    const m = await p.done;
    expect(m.framesIn).toBe(100);
    expect(m.detected).toBe(100);
    expect(m.dropped).toBe(0);
    expect(det.calls.map((c) => c.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(crowd(sink.alarms).map((a) => `${a.kind}:${a.state}:${a.severity}`)).toEqual(['crowd.density:raised:warning', 'crowd.density:cleared:warning']);
    const [raised, cleared] = crowd(sink.alarms);
    expect(raised).toMatchObject({ v: 1, site: 'site1', edge: 'edge1', camera: 'cam1', zone: 'hall' });
    expect(cleared!.episode).toBe(raised!.episode);
    expect(raised!.mediaTime).toBeGreaterThanOrEqual(12);
    expect(raised!.mediaTime).toBeLessThan(14);
    expect(raised!.crowd).toMatchObject({ level: 'warning', threshold: 2, areaM2: 10, los: 'F' });
    const ev = sink.evidence[sink.alarms.indexOf(raised!)]!;
    expect(ev.frame.seq).toBe(raised!.mediaTime! * 2);
    expect(ev.draw).toHaveLength(30);
    expect(m.alarmsByKind['crowd.density']).toBe(2);
    expect(m.alarms).toBe(sink.alarms.length);
    const stats = p.crowdStats().cam1![0]!;
    expect(stats).toMatchObject({ zone: 'hall', frames: 100, peakCount: 30, peakLos: 'F' });
    expect(stats.peakDensity).toBeCloseTo(3);
  });

  it('replay clears alarms still open when the footage ends', async () => {
    const sink = createMemorySink();
    const p = createEdgePipeline({ site: 's', edgeId: 'e', cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 30) }], detector: fakeDetector(() => row(40)), sink, mode: 'replay', crowd: {  } });
    p.start();
    await p.done;
    expect(crowd(sink.alarms).map((a) => `${a.state}:${a.severity}`)).toEqual(['raised:critical', 'cleared:critical']);
  });

  it('replay is deterministic across runs and cameras are kept apart', async () => {
    const run = async () => {
      const sink = createMemorySink();
      const p = createEdgePipeline({
        site: 's', edgeId: 'e',
        cameras: [{ config: camera('a'), decoder: fakeDecoder('a', 80) }, { config: camera('b'), decoder: fakeDecoder('b', 80) }],
        detector: fakeDetector((f) => (f.camera === 'a' ? scenario(f.seq) : row(1))), sink, mode: 'replay', crowd: {  },
      });
      p.start();
      await p.done;
      return crowd(sink.alarms).map((a) => [a.camera, a.state, a.severity, a.mediaTime, a.crowd?.count]);
    };
    const first = await run();
    expect(first.length).toBe(2);
    expect(first.every((a) => a[0] === 'a')).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('live mode drops stale frames through the batcher instead of queueing them', async () => {
    const sink = createMemorySink();
    const det = fakeDetector(() => row(1), 25);
    const p = createEdgePipeline({ site: 's', edgeId: 'e', cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 60) }], detector: det, sink, mode: 'live', batcher: { maxWaitMs: 5, maxAgeMs: 10_000 } });
    p.start();
    const m = await p.done;
    expect(m.framesIn).toBe(60);
    expect(m.detected).toBeGreaterThan(0);
    // The decoder produces frames far faster than a 25 ms detector: most must be replaced, not queued.
    expect(m.detected + m.dropped).toBe(60);
    expect(m.dropped).toBeGreaterThan(0);
    expect(m.batcher!.pending).toBe(0);
  });

  it('live mode keeps several frames in detection yet analyses each camera in frame order', async () => {
    const seen: Record<string, number[]> = { a: [], b: [] };
    // Even frames take far longer than odd ones, so later batches overtake earlier ones.
    const det = fakeDetector(() => row(1), (f) => (f.seq % 2 ? 2 : 40));
    const p = createEdgePipeline({
      site: 's', edgeId: 'e', mode: 'live', detector: det, sink: createMemorySink(), maxFramesInFlight: 3,
      cameras: [{ config: camera('a'), decoder: fakeDecoder('a', 40, { gapMs: 8 }) }, { config: camera('b'), decoder: fakeDecoder('b', 40, { gapMs: 8 }) }],
      batcher: { maxWaitMs: 5, maxAgeMs: 10_000 },
      onResult: (cam, r) => { seen[cam]!.push(r.frame.seq); },
    });
    p.start();
    const m = await p.done;
    for (const cam of ['a', 'b']) {
      expect(seen[cam]!.length).toBeGreaterThan(0);
      expect(seen[cam]).toEqual([...seen[cam]!].sort((x, y) => x - y));
    }
    expect(m.detected).toBe(seen.a!.length + seen.b!.length);
  });

  it('asks the detector for the heatmap and the density map in the same pass, and never for tiles', async () => {
    const det = fakeDetector((f) => row(f.seq < 5 ? 2 : 100));
    const p = createEdgePipeline({ site: 's', edgeId: 'e', cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 10) }], detector: det, sink: createMemorySink(), mode: 'replay' });
    p.start();
    await p.done;
    expect(det.calls).toHaveLength(10);
    for (const c of det.calls) expect(c.options).toEqual({ heatmap: true, density: true });
  });

  it('runs the analyzers it is given as factories, one set per camera, and plain detection without a crowd analyzer', async () => {
    const made: string[] = [];
    const seen: Record<string, number[]> = {};
    const counting: AnalyzerFactory = (cam) => {
      made.push(cam.id);
      return { name: 'counting', process: (r) => { (seen[cam.id] ??= []).push(r.frame.seq); return []; } };
    };
    const det = fakeDetector(() => row(3));
    const p = createEdgePipeline({
      site: 's', edgeId: 'e', mode: 'replay', sink: createMemorySink(), detector: det, analyzers: [counting],
      cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 6) }, { config: camera('cam2'), decoder: fakeDecoder('cam2', 4) }],
    });
    p.start();
    await p.done;
    expect(made).toEqual(['cam1', 'cam2']);
    expect(seen).toEqual({ cam1: [0, 1, 2, 3, 4, 5], cam2: [0, 1, 2, 3] });
    for (const c of det.calls) expect(c.options).toEqual({});
    expect(p.crowdStats()).toEqual({ cam1: [], cam2: [] });
  });

  it('by default runs crowd, abandoned objects and health on each camera', () => {
    const list = defaultAnalyzers().map((f) => f(camera('cam1')));
    expect(list.map((a) => a.name)).toEqual(['crowd', 'abandoned', 'health']);
  });

  it('stop() ends a live pipeline and resolves done', async () => {
    const sink = createMemorySink();
    const p = createEdgePipeline({ site: 's', edgeId: 'e', cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 1_000_000, { gapMs: 5 }) }], detector: fakeDetector(() => row(1)), sink, mode: 'live' });
    p.start();
    await new Promise((r) => setTimeout(r, 100));
    await p.stop();
    const m = await p.done;
    expect(m.framesIn).toBeGreaterThan(0);
    expect(m.framesIn).toBeLessThan(1_000_000);
  });

  it('stop() analyses the frames already in detection before it resolves, and nothing after', async () => {
    const sink = createMemorySink();
    const p = createEdgePipeline({ site: 's', edgeId: 'e', cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 1_000_000, { gapMs: 5 }) }], detector: fakeDetector(() => row(1), 150), sink, mode: 'live' });
    p.start();
    await new Promise((r) => setTimeout(r, 100));
    await p.stop();
    const atStop = p.metrics();
    expect(atStop.framesIn).toBeGreaterThan(0);
    expect(atStop.detected).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    const later = p.metrics();
    expect(later.detected).toBe(atStop.detected);
    expect(later.alarms).toBe(atStop.alarms);
    expect(sink.alarms.length).toBe(atStop.alarms);
  });

  it('replay with the change gate: still frames reuse the last detection, in order, and a still scene is refreshed every maxIntervalS', async () => {
    const det = fakeDetector(() => row(3));
    const seen: { seq: number; reusedFrom?: number; persons: number }[] = [];
    // Frames 0–9 move; 10–39 are still (the block stays where frame 9 left it).
    const p = createEdgePipeline({
      site: 's', edgeId: 'e', mode: 'replay', detector: det, sink: createMemorySink(), gate: { maxIntervalS: 5 },
      cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 40, { still: (q) => q >= 10 }) }],
      onResult: (_c, r) => seen.push({ seq: r.frame.seq, persons: r.detections.length, ...(r.reusedFrom !== undefined ? { reusedFrom: r.reusedFrom } : {}) }),
    });
    p.start();
    const m = await p.done;
    // Detected: 0–9, then refreshes at 9.5 s, 14.5 s and 19.5 s of media time (5 s after the last detection).
    expect(det.calls.map((c) => c.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 19, 29, 39]);
    expect(m).toMatchObject({ framesIn: 40, detected: 13, gated: 27 });
    expect(m.cameras[0]).toMatchObject({ detected: 13, gated: 27 });
    expect(seen.map((x) => x.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const x of seen.filter((x) => x.seq > 9 && x.seq < 19)) expect(x).toEqual({ seq: x.seq, reusedFrom: 9, persons: 3 });
    expect(seen.find((x) => x.seq === 20)).toEqual({ seq: 20, reusedFrom: 19, persons: 3 });
  });

  it('live mode with the gate (on by default): every frame is detected, gated or dropped, analysed in order, never more than maxIntervalS apart', async () => {
    const det = fakeDetector(() => row(1), 3);
    const seen: { seq: number; t: number; reused: boolean }[] = [];
    const p = createEdgePipeline({
      site: 's', edgeId: 'e', mode: 'live', detector: det, sink: createMemorySink(), batcher: { maxWaitMs: 1, maxAgeMs: 10_000 },
      cameras: [{ config: camera('cam1'), decoder: fakeDecoder('cam1', 60, { gapMs: 8, still: (q) => q >= 10 }) }],
      onResult: (_c, r) => seen.push({ seq: r.frame.seq, t: r.frame.mediaTime, reused: r.reusedFrom !== undefined }),
    });
    p.start();
    const m = await p.done;
    expect(m.detected + m.gated + m.dropped).toBe(60);
    expect(m.gated).toBeGreaterThan(35);
    expect(seen.map((x) => x.seq)).toEqual([...seen.map((x) => x.seq)].sort((a, b) => a - b));
    let last = 0;
    for (const x of seen.filter((x) => !x.reused)) { expect(x.t - last).toBeLessThanOrEqual(5.01); last = x.t; }
    expect(seen.filter((x) => !x.reused && x.t > 5).length).toBeGreaterThanOrEqual(4); // refreshes at about 9.5, 14.5, 19.5, 24.5 s
  });

  it('under overload the detect rate of every camera drops evenly, latency stays bounded, and the cameras say they are overloaded', async () => {
    // Four cameras at 100 frames/s against a detector of 50 frames/s, one frame a batch.
    const det = fakeDetector(() => row(1), 20);
    const ids = ['c1', 'c2', 'c3', 'c4'];
    const p = createEdgePipeline({
      site: 's', edgeId: 'e', mode: 'live', detector: det, sink: createMemorySink(), tickMs: 100, maxFramesInFlight: 1,
      batcher: { maxBatch: 1, maxWaitMs: 1, maxAgeMs: 1500 },
      cameras: ids.map((id) => ({ config: camera(id), decoder: fakeDecoder(id, 150, { gapMs: 10 }) })),
    });
    p.start();
    await new Promise((r) => setTimeout(r, 900));
    const mid = p.metrics();
    const m = await p.done;
    expect(mid.cameras.map((c) => c.overloaded)).toEqual([true, true, true, true]);
    const counts = m.cameras.map((c) => c.detected);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(Math.max(2, Math.ceil(0.15 * Math.max(...counts))));
    for (const c of m.cameras) expect(c.detected + c.dropped).toBe(150);
    expect(m.queueAgeMs.max!).toBeLessThan(1500);
  });

  it('gives the detector no more frames than it works on at once, so frames wait in the batcher and are fresh when detected', async () => {
    // A pool of 2 workers at 40 ms a frame against 4 cameras at 100 frames/s.
    let inside = 0, most = 0;
    const ages: number[] = [];
    const base = fakeDetector(() => row(1));
    const det = {
      ...base, concurrency: 2,
      async detect(frames: readonly Frame[], o?: DetectRequestOptions) {
        inside += frames.length; most = Math.max(most, inside);
        for (const f of frames) ages.push(Date.now() - f.capturedAt);
        await new Promise((r) => setTimeout(r, 40));
        inside -= frames.length;
        return base.detect(frames, o);
      },
    };
    const ids = ['c1', 'c2', 'c3', 'c4'];
    const p = createEdgePipeline({
      site: 's', edgeId: 'e', mode: 'live', detector: det, sink: createMemorySink(),
      batcher: { maxWaitMs: 1, maxAgeMs: 10_000 },
      cameras: ids.map((id) => ({ config: camera(id), decoder: fakeDecoder(id, 60, { gapMs: 10 }) })),
    });
    p.start();
    const m = await p.done;
    expect(most).toBe(2);
    // Queued inside the detector, a frame would wait up to 4 × 40 / 2 = 80 ms; in the batcher a newer one replaces it.
    expect(ages.length).toBeGreaterThan(10);
    // (The cameras' last frames, once no newer frame replaces them, wait their turn: hence the 90th percentile.)
    const p90 = [...ages].sort((a, b) => a - b)[Math.floor(0.9 * ages.length)]!;
    expect(p90).toBeLessThan(60);
    expect(m.dropped).toBeGreaterThan(0);
  });

  it('refuses bad options by name', () => {
    expect(() => createEdgePipeline({ site: 's', edgeId: 'e', cameras: [], detector: fakeDetector(() => []), sink: createMemorySink(), mode: 'replay' })).toThrow(/cameras/);
    expect(() => createEdgePipeline({ site: 's', edgeId: 'e', cameras: [{ config: camera('a'), decoder: fakeDecoder('a', 1) }, { config: camera('a'), decoder: fakeDecoder('a', 1) }], detector: fakeDetector(() => []), sink: createMemorySink(), mode: 'replay' })).toThrow(/duplicate/);
  });
});
