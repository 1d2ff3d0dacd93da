import type { Alarm } from '../../common/alarm.ts';

/** Ground truth for one composed clip (fixtures/compose). */
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

/** STUB (owned by the abandoned-object work). */
export function scoreAbandoned(_alarms: readonly Alarm[], truth: AbandonedTruth, _dwellS: number): AbandonedScore {
  return { truePositives: 0, falsePositives: 0, falseNegatives: truth.objects.length, meanDelaySeconds: null };
}
