import type { Alarm } from '../../common/alarm.ts';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.ts';
import { matchAbandoned, type AbandonedScore } from './abandoned-match.ts';

/**
 * Ground truth for one composed clip (fixtures/compose, documented in
 * fixtures/compose/README.md). Times are seconds of media time from the start
 * of the clip; `bbox` is [x1, y1, x2, y2] in source pixels.
 */
export interface AbandonedTruth {
  video?: string;
  objects: { id: string; abandonAt: number; removedAt?: number | null; bbox: [number, number, number, number]; class?: string | null }[];
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

export { SCORE_LATE_S, SCORE_MIN_IOU, type AbandonedScore } from './abandoned-match.ts';

/** Scores `object.abandoned` alarms against a truth file: the rule is in abandoned-match.ts. */
export function scoreAbandoned(alarms: readonly Alarm[], truth: AbandonedTruth, dwellS: number): AbandonedScore {
  const { marks: _marks, ...score } = matchAbandoned(alarms, truth.objects, dwellS);
  return score;
}
