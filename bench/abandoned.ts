import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { cameraSchema } from '../common/config/site.ts';
import { abandonedSchema } from '../common/config/zone.ts';
import { createAbandonedAnalyzer } from '../edge/abandoned/abandoned-analyzer.ts';
import { createBackgroundModel } from '../edge/abandoned/background-model.ts';
import { createDetectorPool } from '../edge/detect/detector-pool.ts';
import type { Frame } from '../edge/types.ts';
import { decodeFrames } from '../fixtures/compose/decode-frames.ts';
import { evalClips } from '../fixtures/compose/eval-set.ts';
import { evaluate } from '../fixtures/compose/eval-run.ts';
import { silentLogger } from '../common/log.ts';
import { createMemorySink } from '../edge/pipeline/memory-sink.ts';
import { createRecordedDetector } from '../edge/replay/recorded-detector.ts';
import { runReplay } from '../edge/replay/replay-runner.ts';
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

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const [vtest] = await evalClips(['negative-vtest']);
  const rec = await vtest!.recorded();
  const count = ctx.quick ? 40 : 160;
  const frames: Frame[] = [];
  for await (const f of decodeFrames(path.join(root, 'fixtures', '.cache', 'vtest.avi'), { fps: 4, duration: count / 4 })) frames.push(f);
  const passes = ctx.quick ? 2 : 5;
  const camera = cameraSchema.parse({ id: 'bench', source: { file: 'vtest.avi' } });
  const perFrame = (make: () => (f: Frame) => void) => {
    // One pass unmeasured: the JIT's warm-up is not the steady state.
    const warm = make();
    for (const f of frames) warm(f);
    const ms: number[] = [];
    for (let p = 0; p < passes; p++) {
      const step = make();
      const t0 = performance.now();
      for (const f of frames) step(f);
      ms.push((performance.now() - t0) / frames.length);
    }
    return median(ms);
  };
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
  const perClip: Record<string, { minutes: number; falseAlarms: number; frames: number; errors: number }> = {};
  let seconds = 0, falseAlarms = 0;
  for (const c of clips) {
    const video = await pingPongClip(c.video, c.fps, SOAK_CYCLES, path.join(root, 'fixtures', '.cache'));
    const rec = await c.recorded();
    const frames = Math.round(c.durationS * c.fps);
    const lookup = (t: number) => rec.lookup(pingPongTime(t, frames, c.fps));
    let sink = createMemorySink();
    let errors = 0;
    const logger = { ...silentLogger, error: () => { errors++; }, child: () => logger };
    const summary = await runReplay({
      video, fps: c.fps, detector: createRecordedDetector(lookup, rec.width), workers: 1, logger,
      abandoned: { dwellS: c.dwellS, ...c.abandoned }, sink: () => (sink = createMemorySink()),
    });
    const raised = sink.alarms.filter((a) => a.kind === 'object.abandoned' && a.state === 'raised').length;
    const s = summary.frames / c.fps;
    perClip[c.name] = { minutes: Math.round(s / 6) / 10, falseAlarms: raised, frames: summary.frames, errors };
    ctx.log(`soak ${c.name} ×${SOAK_CYCLES} there and back: ${summary.frames} frames (${(s / 60).toFixed(1)} min), ${raised} false alarm(s)${errors ? `, ${errors} pipeline error(s)` : ''}`);
    seconds += s;
    falseAlarms += raised;
  }
  return { hours: Math.round((seconds / 3600) * 100) / 100, falseAlarms, perHour: Math.round((falseAlarms / (seconds / 3600)) * 100) / 100, clips: perClip };
}
