import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { cameraSchema } from '../common/config/site.ts';
import { abandonedSchema } from '../common/config/zone.ts';
import { createAbandonedAnalyzer } from '../edge/abandoned/abandoned-analyzer.ts';
import { createBackgroundModel } from '../edge/abandoned/background-model.ts';
import { createDetectorPool } from '../edge/detect/detector-pool.ts';
import type { Frame } from '../edge/types.ts';
import { msPerFrame, vtestFrames } from './_per-frame.ts';
import { evalClips, type EvalClip } from '../fixtures/compose/eval-set.ts';
import { evaluate } from '../fixtures/compose/eval-run.ts';
import { pingPongClip, pingPongTime } from './_soak-clips.ts';

/**
 * - abandoned.msPerFrame: the whole abandoned-object analyzer at 768x576
 *   (vtest.avi, with the model's recorded detections, so that person tracks
 *   and owners are exercised), median over passes of the mean per frame;
 *   `vsBackground` is that over the background model alone, run in the same
 *   process (the baseline).
 * - abandoned.eval: every evaluation clip through the replay pipeline, scored
 *   by the one rule (per clip and total TP, FP, FN, mean delay, frames), on
 *   the model's recorded detections; `evalModel` is ABODA clip 4 with the model
 *   running live (not with --quick).
 * - abandoned.soak: false alarms per hour of real footage: vtest, its mirror
 *   and its shifted view (the negative eval clips), each played forwards and
 *   backwards 8 times over (about 21 minutes each, an hour in all, with no cut:
 *   bench/_soak-clips.ts) through the replay pipeline with the eval's settings
 *   and recorded detections. One scene for an hour is not the "mixed real
 *   footage" of a site; it is what this machine holds. Not with --quick.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const [vtest] = await evalClips(['negative-vtest']);
  const rec = await vtest!.recorded();
  const count = ctx.quick ? 40 : 160;
  const frames = await vtestFrames(count);
  const passes = ctx.quick ? 2 : 5;
  const camera = cameraSchema.parse({ id: 'bench', source: { file: 'vtest.avi' } });
  const perFrame = (make: () => (f: Frame) => void) => msPerFrame(frames, passes, make);
  const background = perFrame(() => {
    const m = createBackgroundModel({ width: frames[0]!.width, height: frames[0]!.height });
    return (f) => { m.update(f.data, f.mediaTime, []); m.blobs(); };
  });
  const analyzer = perFrame(() => {
    const a = createAbandonedAnalyzer({ camera, defaults: abandonedSchema.parse({}) });
    return (f) => { a.process({ frame: f, detections: rec.lookup(f.mediaTime), inferenceMs: 0 }); };
  });
  ctx.log(`abandoned analyzer ${analyzer.toFixed(2)} ms/frame at ${frames[0]!.width}x${frames[0]!.height} (background model alone ${background.toFixed(2)})`);

  const clips = await evalClips(ctx.quick ? ['negative-vtest', 'aboda-video4'] : undefined);
  const recorded = await evaluate(clips, { detector: 'recorded', onClip: (o) => ctx.log(`eval ${o.clip}: TP ${o.truePositives} FP ${o.falsePositives} FN ${o.falseNegatives}`) });
  const row = (o: (typeof recorded.clips)[number]) => ({ truth: o.truth, truePositives: o.truePositives, falsePositives: o.falsePositives, falseNegatives: o.falseNegatives, meanDelaySeconds: o.meanDelaySeconds, dwellS: o.dwellS, frames: o.frames, expectedFrames: o.expectedFrames });
  let evalModel: Record<string, unknown> | undefined;
  const aboda = clips.find((c) => c.name === 'aboda-video4');
  if (!ctx.quick && aboda) {
    const pool = await createDetectorPool({ workers: 1 });
    try {
      const live = await evaluate([aboda], { detector: 'model', model: pool });
      evalModel = { [aboda.name]: row(live.clips[0]!) };
    } finally {
      await pool.close();
    }
  }
  const soak = ctx.quick ? undefined : await soakRun(ctx);
  return {
    abandoned: {
      ...(soak ? { soak } : {}),
      msPerFrame: Math.round(analyzer * 100) / 100,
      msPerFrameVsBackground: Math.round((analyzer / background) * 100) / 100,
      msPerFrameSize: `${frames[0]!.width}x${frames[0]!.height}`,
      eval: {
        detector: 'recorded',
        clips: Object.fromEntries(recorded.clips.map((o) => [o.clip, row(o)])),
        total: recorded.totals,
      },
      ...(evalModel ? { evalModel } : {}),
    },
  };
}

const SOAK_CYCLES = 8;

async function soakRun(ctx: BenchContext): Promise<Record<string, unknown>> {
  const clips = await evalClips(['negative-vtest', 'negative-vtest-mirrored', 'negative-vtest-shifted']);
  // Each negative clip played there and back, scored by the eval itself: every raised alarm is a false one.
  const soaked = await Promise.all(clips.map(async (c): Promise<EvalClip> => {
    const frames = Math.round(c.durationS * c.fps);
    return {
      ...c, name: `${c.name}-soak`, durationS: 2 * SOAK_CYCLES * c.durationS,
      video: await pingPongClip(c.video, c.fps, SOAK_CYCLES, path.join(root, 'fixtures', '.cache')),
      recorded: async () => {
        const rec = await c.recorded();
        return { width: rec.width, lookup: (t) => rec.lookup(pingPongTime(t, frames, c.fps)) };
      },
    };
  }));
  const r = await evaluate(soaked, { detector: 'recorded', onClip: (o) => ctx.log(`soak ${o.clip} (${SOAK_CYCLES} times there and back): ${o.frames} frames, ${o.falsePositives} false alarm(s)${o.errors.length ? `, pipeline errors: ${o.errors.join('; ')}` : ''}`) });
  const hours = r.clips.reduce((s, o, i) => s + o.frames / soaked[i]!.fps, 0) / 3600;
  const clipsOut = Object.fromEntries(r.clips.map((o, i) => [o.clip, { minutes: Math.round(o.frames / soaked[i]!.fps / 6) / 10, falseAlarms: o.falsePositives, frames: o.frames, expectedFrames: o.expectedFrames, errors: o.errors.length }]));
  return { hours: Math.round(hours * 100) / 100, falseAlarms: r.totals.falsePositives, perHour: Math.round((r.totals.falsePositives / hours) * 100) / 100, clips: clipsOut };
}
