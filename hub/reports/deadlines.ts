/** The emergency plan's deadlines, counted from the plan's activation for the incident (never from the first alarm). */
export const ON_SCENE_MS = 30 * 60 * 1000;
export const FIRST_REPORT_MS = 60 * 60 * 1000;
export const WRITTEN_REPORT_MS = 2 * 60 * 60 * 1000;

export const REPORT_KINDS = ['first', 'written'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export function reportDueAt(kind: ReportKind, activatedAt: number): number {
  return activatedAt + (kind === 'first' ? FIRST_REPORT_MS : WRITTEN_REPORT_MS);
}
