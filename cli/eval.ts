import { ValidationError } from '../common/errors.ts';
import { parseCli } from './args.ts';

const USAGE = 'usage: vigil eval abandoned [--json] [--recorded] [--only clip,clip]';

/**
 * `vigil eval abandoned`: replays every evaluation clip (the composed vtest
 * positives and negatives, and the real ABODA clip and its variants where
 * ../shared/data/abandoned is present) through the pipeline and prints a
 * per-clip table (clip, truth, TP, FP, FN, delay) and totals, scored by the
 * one rule in edge/scoring/abandoned-match.ts. By default the detector model
 * runs on every frame; --recorded replays its recorded detections instead
 * (seconds, not minutes). Exits 3 when a clip decoded short or the pipeline
 * logged errors on it (an analyzer that throws would otherwise score clean).
 */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    json: { type: 'boolean' },
    recorded: { type: 'boolean' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(USAGE + '\n'); return 0; }
  if (positionals.length !== 1 || positionals[0] !== 'abandoned') throw new ValidationError('what', `expected "abandoned"\n${USAGE}`);
  const { evalClips } = await import('../fixtures/compose/eval-set.ts');
  const { evaluate, formatTable } = await import('../fixtures/compose/eval-run.ts');
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const clips = await evalClips(only);
  if (!clips.length) throw new ValidationError('--only', `no evaluation clip named ${only?.join(', ')}`);
  const recorded = Boolean(values.recorded);
  let model: Awaited<ReturnType<typeof import('../edge/detect/detector-pool.ts').createDetectorPool>> | undefined;
  if (!recorded) model = await (await import('../edge/detect/detector-pool.ts')).createDetectorPool({ workers: 1 });
  try {
    const result = await evaluate(clips, {
      detector: recorded ? 'recorded' : 'model', ...(model ? { model } : {}),
      ...(values.json ? {} : { onClip: (o) => process.stderr.write(`eval: ${o.clip} ${o.frames} frames, TP ${o.truePositives} FP ${o.falsePositives} FN ${o.falseNegatives}\n`) }),
    });
    if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
    else process.stdout.write(`detector: ${recorded ? 'recorded detections of the model' : 'the model, live'}\n\n${formatTable(result)}`);
    // A clip that decoded much less than it should is not a clip that was evaluated.
    const short = result.clips.filter((o) => o.frames < o.expectedFrames - 2);
    for (const o of short) process.stderr.write(`vigil eval: ${o.clip} decoded ${o.frames} of ${o.expectedFrames} frames\n`);
    const failed = result.clips.filter((o) => o.errors.length);
    for (const o of failed) process.stderr.write(`vigil eval: ${o.clip}: the pipeline logged errors, its score does not count: ${o.errors.slice(0, 3).join('; ')}\n`);
    return short.length || failed.length ? 3 : 0;
  } finally {
    await model?.close();
  }
}
