import type { Alarm } from '../../common/alarm.ts';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.ts';
import { iou } from '../../common/geometry.ts';

/**
 * Ground truth for one composed clip (fixtures/compose, documented in
 * fixtures/compose/README.md). Times are seconds of media time from the start
 * of the clip; `bbox` is [x1, y1, x2, y2] in source pixels.
 */
export interface AbandonedTruth {
  video?: string;
  objects: { id: string; abandonAt: number; removedAt?: number | null; bbox: [number, number, number, number]; class?: string | null }[];
}

export interface AbandonedScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  meanDelaySeconds: number | null;
}

const truthSchema = z.object({
  video: z.string().optional(),
  objects: z.array(z.object({
    id: z.string().min(1),
    abandonAt: z.number().nonnegative(),
    removedAt: z.number().nonnegative().nullable().optional(),
    bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).refine((b) => b[2] > b[0] && b[3] > b[1], 'must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1'),
    class: z.string().nullable().optional(),
  }).passthrough()),
}).passthrough();

/** Reads and checks a truth file; errors name the file and the field. */
export function loadAbandonedTruth(file: string): AbandonedTruth {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ValidationError(file, `cannot read truth JSON: ${(err as Error).message}`, { cause: err });
  }
  const r = truthSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ValidationError(`${file}: ${issue.path.join('.') || '(root)'}`, issue.message, { cause: r.error });
  }
  return r.data as AbandonedTruth;
}

/** A TP must overlap its truth box at least this much. */
export const SCORE_MIN_IOU = 0.3;
/** A TP must be raised no later than this many seconds after abandonAt + dwell. */
export const SCORE_LATE_S = 10;

/**
 * Scores `object.abandoned` alarms against a truth file. Each raised episode
 * counts once; a raised alarm matches at most one truth object and a truth
 * object at most one alarm (the earliest that qualifies). Alarms raised before
 * abandonAt + dwell are early, hence false positives: the dwell is the contract.
 */
export function scoreAbandoned(alarms: readonly Alarm[], truth: AbandonedTruth, dwellS: number): AbandonedScore {
  const seen = new Set<string>();
  const raised = alarms
    .filter((a) => a.kind === 'object.abandoned' && a.state === 'raised' && a.object)
    .filter((a) => (seen.has(a.episode) ? false : (seen.add(a.episode), true)))
    .sort((a, b) => (a.mediaTime ?? Infinity) - (b.mediaTime ?? Infinity));
  const matched = new Set<number>();
  const delays: number[] = [];
  let falsePositives = 0;
  for (const alarm of raised) {
    const t = alarm.mediaTime;
    let hit = -1;
    let best = 0;
    truth.objects.forEach((o, i) => {
      if (matched.has(i) || t === null) return;
      const from = o.abandonAt + dwellS;
      // A small tolerance: analysed frames fall on the detect-fps grid, not on abandonAt exactly.
      if (t < from - 1e-6 || t > from + SCORE_LATE_S) return;
      const overlap = iou(alarm.object!.bbox, o.bbox);
      if (overlap >= SCORE_MIN_IOU && overlap > best) { best = overlap; hit = i; }
    });
    if (hit < 0) { falsePositives++; continue; }
    matched.add(hit);
    delays.push(t! - truth.objects[hit]!.abandonAt);
  }
  return {
    truePositives: matched.size,
    falsePositives,
    falseNegatives: truth.objects.length - matched.size,
    meanDelaySeconds: delays.length ? delays.reduce((s, d) => s + d, 0) / delays.length : null,
  };
}
