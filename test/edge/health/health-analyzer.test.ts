import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { cameraSchema } from '../../../common/config/site.ts';
import { alarmSchema } from '../../../common/alarm.ts';
import { createHealthAnalyzer } from '../../../edge/health/health-analyzer.ts';
import type { AnalyzerOutput, Frame } from '../../../edge/types.ts';
import { createScene } from '../abandoned/synthetic.ts';

const camera = (health: Record<string, unknown> = {}) => cameraSchema.parse({ id: 'cam1', source: { rtsp: 'rtsp://cam/1' }, health });
const scene = createScene(192, 144);

function frame(data: Uint8Array, seq: number, mediaTime: number, wallMs: number): Frame {
  return { camera: 'cam1', seq, width: 192, height: 144, data, capturedAt: wallMs, mediaTime, sourceWidth: 192, sourceHeight: 144 };
}

const valid = (o: AnalyzerOutput) => alarmSchema.parse({ ...o.alarm, v: 1, site: 's', edge: 'e' });

describe('camera health: offline', () => {
  it('raises once after offlineS without frames and clears when frames return', () => {
    const clock = new FakeClock();
    const h = createHealthAnalyzer({ camera: camera({ offlineS: 10 }) });
    const out: AnalyzerOutput[] = [];
    clock.setInterval(() => out.push(...h.tick!(clock.now())), 1000);
    out.push(...h.process({ frame: frame(scene.frame(), 0, 0, clock.now()), detections: [], inferenceMs: 0 }));
    clock.advance(9_000);
    expect(out).toEqual([]);
    clock.advance(30_000);
    expect(out.map((o) => [o.alarm.kind, o.alarm.state])).toEqual([['camera.offline', 'raised']]);
    expect(valid(out[0]!).health).toMatchObject({ reason: 'offline', forSeconds: 10 });
    out.push(...h.process({ frame: frame(scene.frame(), 1, 0.5, clock.now()), detections: [], inferenceMs: 0 }));
    expect(out.map((o) => o.alarm.state)).toEqual(['raised', 'cleared']);
    expect(out[1]!.alarm.episode).toBe(out[0]!.alarm.episode);
    valid(out[1]!);
  });

  it('counts from the first tick when no frame ever came', () => {
    const clock = new FakeClock();
    const h = createHealthAnalyzer({ camera: camera({ offlineS: 5 }) });
    expect(h.tick!(clock.now())).toEqual([]);
    clock.advance(4_000);
    expect(h.tick!(clock.now())).toEqual([]);
    clock.advance(1_000);
    expect(h.tick!(clock.now()).map((o) => o.alarm.kind)).toEqual(['camera.offline']);
    expect(h.flush!(clock.now()).map((o) => [o.alarm.kind, o.alarm.state])).toEqual([['camera.offline', 'cleared']]);
  });
});

describe('camera health: frozen', () => {
  it('takes a still, empty but live scene (sensor noise) as live, and an exactly repeated picture as frozen', () => {
    const h = createHealthAnalyzer({ camera: camera({ frozenS: 5 }) });
    const out: AnalyzerOutput[] = [];
    const t0 = Date.UTC(2026, 0, 1);
    let still: Uint8Array | null = null;
    for (let i = 0; i <= 60; i++) {
      const t = i / 2;
      // Live for 15 s (the same empty scene, new noise each frame), then one picture repeated.
      const data = t < 15 ? scene.frame() : (still ??= scene.frame());
      out.push(...h.process({ frame: frame(data, i, t, t0 + t * 1000), detections: [], inferenceMs: 0 }));
    }
    expect(out.map((o) => [o.alarm.kind, o.alarm.state, o.alarm.mediaTime])).toEqual([['camera.frozen', 'raised', 20]]);
    expect(valid(out[0]!).health).toMatchObject({ reason: 'frozen', forSeconds: 5 });
    // The picture moves again: cleared at once.
    const next = h.process({ frame: frame(scene.frame(), 61, 30.5, t0 + 30_500), detections: [], inferenceMs: 0 });
    expect(next.map((o) => [o.alarm.kind, o.alarm.state])).toEqual([['camera.frozen', 'cleared']]);
  });

  it('checks its tuning', () => {
    expect(() => createHealthAnalyzer({ camera: camera(), tuning: { tamperHoldS: -1 } })).toThrow(/health\.tamperHoldS/);
  });
});
