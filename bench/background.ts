import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { cameraSchema } from '../common/config/site.ts';
import { abandonedSchema } from '../common/config/zone.ts';
import { createAbandonedAnalyzer } from '../edge/abandoned/abandoned-analyzer.ts';
import { createBackgroundModel } from '../edge/abandoned/background-model.ts';
import { createHealthAnalyzer } from '../edge/health/health-analyzer.ts';
import type { Frame } from '../edge/types.ts';
import { decodeFrames } from '../fixtures/compose/decode-frames.ts';

/**
 * Per-frame cost of the pixel analytics at the detect size (vtest.avi,
 * 768x576), on frames decoded beforehand so that ffmpeg is not counted:
 * - abandoned.backgroundMsPerFrame: the dual background model (update and
 *   static-blob extraction), the bulk of the abandoned-object analyzer;
 * - abandoned.analyzerMsPerFrame: the whole analyzer, with no detections;
 * - health.msPerFrame: the camera-health analyzer.
 * Each is the median over several passes of the mean per frame.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const video = path.join(root, 'fixtures', '.cache', 'vtest.avi');
  const count = ctx.quick ? 40 : 160;
  const frames: Frame[] = [];
  for await (const f of decodeFrames(video, { fps: 4, duration: count / 4 })) frames.push(f);
  const passes = ctx.quick ? 2 : 5;
  const camera = cameraSchema.parse({ id: 'bench', source: { file: video } });

  const perFrame = (run: () => (f: Frame) => void) => {
    const ms: number[] = [];
    for (let p = 0; p < passes; p++) {
      const step = run();
      const t0 = performance.now();
      for (const f of frames) step(f);
      ms.push((performance.now() - t0) / frames.length);
    }
    return Math.round(median(ms) * 100) / 100;
  };

  const backgroundMsPerFrame = perFrame(() => {
    const m = createBackgroundModel({ width: frames[0]!.width, height: frames[0]!.height });
    return (f) => { m.update(f.data, f.mediaTime, []); m.blobs(); };
  });
  const analyzerMsPerFrame = perFrame(() => {
    const a = createAbandonedAnalyzer({ camera, defaults: abandonedSchema.parse({}) });
    return (f) => { a.process({ frame: f, detections: [], inferenceMs: 0 }); };
  });
  const healthMsPerFrame = perFrame(() => {
    const h = createHealthAnalyzer({ camera });
    return (f) => { h.process({ frame: f, detections: [], inferenceMs: 0 }); };
  });
  ctx.log(`background ${backgroundMsPerFrame} ms/frame, abandoned ${analyzerMsPerFrame} ms/frame, health ${healthMsPerFrame} ms/frame (${frames[0]!.width}x${frames[0]!.height})`);
  return {
    abandoned: { backgroundMsPerFrame, analyzerMsPerFrame, frameSize: `${frames[0]!.width}x${frames[0]!.height}` },
    health: { msPerFrame: healthMsPerFrame },
  };
}
