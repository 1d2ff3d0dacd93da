import { cameraSchema } from '../../../common/config/site.ts';
import type { Alarm } from '../../../common/alarm.ts';
import { createHealthAnalyzer } from '../../../edge/health/health-analyzer.ts';
import { decodeFrames } from '../../fixtures/frames.ts';

/** Runs the health analyzer over a video at 2 fps; returns what it raised and cleared. */
interface Seen { kind: Alarm['kind']; state: Alarm['state']; t: number | null; reason: string | undefined }

export async function run(file: string, health: Record<string, unknown> = {}): Promise<Seen[]> {
  const h = createHealthAnalyzer({ camera: cameraSchema.parse({ id: 'cam1', source: { file }, health }) });
  const out: Seen[] = [];
  for await (const frame of decodeFrames(file, { fps: 2 })) {
    for (const o of h.process({ frame, detections: [], inferenceMs: 0 })) out.push({ kind: o.alarm.kind, state: o.alarm.state, t: o.alarm.mediaTime, reason: o.alarm.health?.reason });
  }
  return out;
}

