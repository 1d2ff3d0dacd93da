/** The emergency plan's reporting deadlines, counted from the moment the incident opened. */
export const FIRST_REPORT_MS = 60 * 60 * 1000;
export const WRITTEN_REPORT_MS = 2 * 60 * 60 * 1000;

export const REPORT_KINDS = ['first', 'written'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export function reportDueAt(kind: ReportKind, openedAt: number): number {
  return openedAt + (kind === 'first' ? FIRST_REPORT_MS : WRITTEN_REPORT_MS);
}
