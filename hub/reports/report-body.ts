import { z } from 'zod';
import { ValidationError } from '../../common/errors.ts';

const text = (max = 4000) => z.string().trim().max(max);

/** The plan's report headings. A first report may leave later sections empty; a written report may not. */
export const reportBodySchema = z.object({
  /** time, place and situation */
  situation: text().min(1, 'is required'),
  whatHappened: text().min(1, 'is required'),
  people: z.object({
    involved: z.number().int().min(0).nullable().default(null),
    casualties: z.number().int().min(0).nullable().default(null),
    notes: text().default(''),
  }).strict().prefault({}),
  losses: text().default(''),
  cause: text().default(''),
  trend: text().default(''),
  measures: z.array(z.object({ taken: text(1000).min(1), effect: text(1000).default('') }).strict()).max(50).default([]),
  nextSteps: text().default(''),
  other: text().default(''),
}).strict();

export type ReportBody = z.infer<typeof reportBodySchema>;

const WRITTEN_REQUIRED = ['cause', 'trend', 'nextSteps'] as const;

/** Validates a submitted report, naming the first bad field. */
export function parseReportBody(value: unknown, kind: 'first' | 'written'): ReportBody {
  const r = reportBodySchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ValidationError(issue.path.join('.') || 'body', issue.message, { cause: r.error });
  }
  if (kind === 'written') {
    for (const f of WRITTEN_REQUIRED) if (!r.data[f]) throw new ValidationError(f, 'is required in a written report');
    if (r.data.measures.length === 0) throw new ValidationError('measures', 'a written report lists the measures taken and their effect');
  }
  return r.data;
}
