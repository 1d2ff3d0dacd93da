import { evalClips, type EvalClip } from '../../../fixtures/compose/eval-set.ts';
import { evaluate, type ClipOutcome } from '../../../fixtures/compose/eval-run.ts';
import { createMemorySink } from '../../../edge/pipeline/memory-sink.ts';
import { createRecordedDetector } from '../../../edge/replay/recorded-detector.ts';
import { runReplay } from '../../../edge/replay/replay-runner.ts';
import type { Alarm } from '../../../common/alarm.ts';

/**
 * Runs an evaluation clip through the whole replay pipeline with the model's
 * recorded detections (fixtures/compose/record-detections.ts) and scores it
 * with the one scoring rule: what `vigil eval abandoned --recorded` does.
 */
export async function runClip(name: string): Promise<ClipOutcome> {
  const clips = await evalClips([name]);
  if (clips.length !== 1) throw new Error(`no evaluation clip ${name}`);
  const o = (await evaluate(clips, { detector: 'recorded' })).clips[0]!;
  if (o.errors.length) throw new Error(`${name}: the pipeline logged errors: ${o.errors.join('; ')}`);
  return o;
}

/** The alarms of one clip, for tests that look past the score (clearing). */
export async function clipAlarms(clip: EvalClip): Promise<Alarm[]> {
  const r = await clip.recorded();
  const sink = createMemorySink();
  await runReplay({ video: clip.video, fps: clip.fps, detector: createRecordedDetector(r.lookup, r.width), abandoned: { dwellS: clip.dwellS, ...clip.abandoned }, sink: () => sink });
  return [...sink.alarms];
}
