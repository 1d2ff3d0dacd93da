import { cameraSchema } from '../../../common/config/site.ts';
import { abandonedSchema } from '../../../common/config/zone.ts';
import type { Alarm } from '../../../common/alarm.ts';
import { createAbandonedAnalyzer } from '../../../edge/abandoned/abandoned-analyzer.ts';
import { loadAbandonedTruth, scoreAbandoned, type AbandonedScore } from '../../../edge/scoring/abandoned-score.ts';
import { buildFixtures } from '../../../fixtures/compose/build.ts';
import { clipSpec } from '../../../fixtures/compose/clips.ts';
import { decodeFrames } from '../../fixtures/frames.ts';
import { recordedDetections } from '../../fixtures/recorded-detections.ts';

/** Runs the analyzer over a composed clip with the recorded detections and scores it against its truth. */
export async function runClip(name: string, fps = 2): Promise<{ alarms: Alarm[]; score: AbandonedScore }> {
  const [built] = await buildFixtures({ only: [name] });
  const clip = clipSpec(name);
  const a = createAbandonedAnalyzer({ camera: cameraSchema.parse({ id: 'cam1', source: { file: built!.video } }), defaults: abandonedSchema.parse({}) });
  const alarms: Alarm[] = [];
  const take = (outs: ReturnType<typeof a.process>) => outs.forEach((o) => alarms.push({ ...o.alarm, v: 1, site: 's', edge: 'e' } as Alarm));
  for await (const frame of decodeFrames(built!.video, { fps })) {
    take(a.process({ frame, detections: recordedDetections(clip.start + frame.mediaTime), inferenceMs: 0 }));
  }
  take(a.flush!(Date.now()));
  return { alarms, score: scoreAbandoned(alarms, loadAbandonedTruth(built!.truth!), 30) };
}
