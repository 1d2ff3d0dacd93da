import type { BenchContext } from '../cli/bench.ts';
import { cameraSchema } from '../common/config/site.ts';
import { abandonedSchema } from '../common/config/zone.ts';
import { createAbandonedAnalyzer } from '../edge/abandoned/abandoned-analyzer.ts';
import { createBackgroundModel } from '../edge/abandoned/background-model.ts';
import { createHealthAnalyzer } from '../edge/health/health-analyzer.ts';
import type { Frame } from '../edge/types.ts';
import { msPerFrame, vtestFrames } from './_per-frame.ts';

/**
 * Per-frame cost of the pixel analytics at the detect size (vtest.avi,
 * 768x576), on frames decoded beforehand so that ffmpeg is not counted:
 * - abandoned.backgroundMsPerFrame: the dual background model (update and
 *   static-blob extraction), the bulk of the abandoned-object analyzer;
 * - abandoned.analyzerMsPerFrame: the whole analyzer, with no detections;
 * - health.msPerFrame: the camera-health analyzer.
 * Each is the median over several passes of the mean per frame.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const count = ctx.quick ? 40 : 160;
  const frames = await vtestFrames(count);
  const passes = ctx.quick ? 2 : 5;
  const camera = cameraSchema.parse({ id: 'bench', source: { file: 'vtest.avi' } });

  const perFrame = (make: () => (f: Frame) => void) => Math.round(msPerFrame(frames, passes, make) * 100) / 100;

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
