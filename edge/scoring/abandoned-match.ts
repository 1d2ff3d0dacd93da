import { iou } from '../../common/geometry.ts';

/**
 * The one scoring rule for abandoned objects, used by `vigil replay --truth`,
 * `vigil eval abandoned`, the bench and the dashboard's replay review (so it
 * imports nothing from Node). A raised `object.abandoned` episode is a true
 * positive when its box overlaps a truth box at IoU ≥ SCORE_MIN_IOU and it was
 * raised within [abandonAt + dwell, abandonAt + dwell + SCORE_LATE_S] (and not
 * after the object was removed); each truth object takes at most one alarm
 * (the earliest that qualifies). Every other raised episode is a false
 * positive; a truth object without one is a false negative.
 */
export const SCORE_MIN_IOU = 0.3;
/** The goal: found within dwell + 5 s. */
export const SCORE_LATE_S = 5;

export interface TruthBox { id: string; abandonAt: number; removedAt?: number | null; bbox: readonly [number, number, number, number] }
export interface ScoredAlarm { kind: string; state: string; episode?: string; id?: string; mediaTime: number | null; object?: { bbox: readonly [number, number, number, number] } | null }

export type Mark<A extends ScoredAlarm = ScoredAlarm, T extends TruthBox = TruthBox> =
  | { kind: 'TP'; alarm: A; truth: T; t: number; delay: number }
  | { kind: 'FP'; alarm: A; t: number }
  | { kind: 'FN'; truth: T; t: number };

export interface AbandonedScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  meanDelaySeconds: number | null;
}

export interface Matched<A extends ScoredAlarm, T extends TruthBox> extends AbandonedScore { marks: Mark<A, T>[] }

export function matchAbandoned<A extends ScoredAlarm, T extends TruthBox>(alarms: readonly A[], truth: readonly T[], dwellS: number): Matched<A, T> {
  const seen = new Set<string>();
  const raised = alarms
    .filter((a) => a.kind === 'object.abandoned' && a.state === 'raised' && a.object)
    .filter((a) => {
      const key = a.episode ?? a.id;
      if (key === undefined) return true;
      return seen.has(key) ? false : (seen.add(key), true);
    })
    .sort((a, b) => (a.mediaTime ?? Infinity) - (b.mediaTime ?? Infinity));
  const matched = new Set<number>();
  const marks: Mark<A, T>[] = [];
  for (const alarm of raised) {
    const t = alarm.mediaTime;
    let hit = -1;
    let best = 0;
    truth.forEach((o, i) => {
      if (matched.has(i) || t === null) return;
      const from = o.abandonAt + dwellS;
      // A small tolerance: analysed frames fall on the detect-fps grid, not on abandonAt exactly.
      if (t < from - 1e-6 || t > from + SCORE_LATE_S + 1e-6) return;
      if (o.removedAt != null && t > o.removedAt) return;
      const overlap = iou(alarm.object!.bbox as [number, number, number, number], o.bbox as [number, number, number, number]);
      if (overlap >= SCORE_MIN_IOU && overlap > best) { best = overlap; hit = i; }
    });
    if (hit < 0) { marks.push({ kind: 'FP', alarm, t: t ?? 0 }); continue; }
    matched.add(hit);
    marks.push({ kind: 'TP', alarm, truth: truth[hit]!, t: t!, delay: t! - truth[hit]!.abandonAt });
  }
  truth.forEach((o, i) => { if (!matched.has(i)) marks.push({ kind: 'FN', truth: o, t: o.abandonAt }); });
  marks.sort((x, y) => x.t - y.t);
  const delays = marks.flatMap((m) => (m.kind === 'TP' ? [m.delay] : []));
  return {
    marks,
    truePositives: matched.size,
    falsePositives: marks.filter((m) => m.kind === 'FP').length,
    falseNegatives: truth.length - matched.size,
    meanDelaySeconds: delays.length ? Math.round((delays.reduce((s, d) => s + d, 0) / delays.length) * 100) / 100 : null,
  };
}
