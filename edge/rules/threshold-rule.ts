import { ValidationError } from '../../common/errors.ts';
import { createEpisode } from './episode.ts';

/**
 * A threshold rule with hysteresis, a minimum duration and a clear duration,
 * driven by the sample times passed in (media or wall seconds), so it runs
 * the same in replay, live and tests without timers.
 *
 * - A level is *reached* when any metric is at or above its threshold for it.
 * - The rule raises a level once it has been reached continuously for
 *   `minDurationS`; a higher level reached the same way escalates (a new
 *   `raised` event in the same episode).
 * - A level is *held* while any metric stays above threshold × (1 − hysteresis);
 *   the episode clears once the lowest level has not been held for
 *   `clearDurationS`. Values between the clear level and the threshold
 *   neither raise nor clear, which is what stops flapping.
 */
export type RuleLevel = 'warning' | 'critical';
export const RULE_LEVELS: readonly RuleLevel[] = ['warning', 'critical'];

export interface MetricThresholds {
  metric: string;
  warning?: number | undefined;
  critical?: number | undefined;
}

export interface ThresholdRuleOptions {
  thresholds: readonly MetricThresholds[];
  /** fraction below a threshold before it stops holding. @default 0.15 */
  hysteresis?: number;
  /** @default 5 */
  minDurationS?: number;
  /** @default 10 */
  clearDurationS?: number;
  /** new episode ids; the caller's so that ids can be deterministic in tests */
  newEpisode: () => string;
}

export type RuleEvent =
  | { type: 'raised'; level: RuleLevel; episode: string; escalation: boolean; metric: string; threshold: number; value: number; t: number }
  /** `level` is the highest level the episode reached */
  | { type: 'cleared'; level: RuleLevel; episode: string; t: number };

export interface ThresholdRule {
  update(t: number, sample: Readonly<Record<string, number>>): RuleEvent[];
  /** clears an open episode (end of replay, shutdown) */
  flush(t: number): RuleEvent[];
  readonly state: { level: RuleLevel | null; episode: string | null };
}

export function createThresholdRule(options: ThresholdRuleOptions): ThresholdRule {
  const hysteresis = options.hysteresis ?? 0.15;
  const minDurationS = options.minDurationS ?? 5;
  const clearDurationS = options.clearDurationS ?? 10;
  if (!(hysteresis >= 0 && hysteresis < 1)) throw new ValidationError('hysteresis', 'must be in [0, 1)');
  if (!(minDurationS >= 0)) throw new ValidationError('minDurationS', 'must be ≥ 0');
  if (!(clearDurationS >= 0)) throw new ValidationError('clearDurationS', 'must be ≥ 0');
  const thresholds = options.thresholds.map((m) => Object.freeze({ ...m }));
  if (!thresholds.some((m) => m.warning !== undefined || m.critical !== undefined)) throw new ValidationError('thresholds', 'at least one threshold is needed');

  // When each level was first reached (or last held) without a break; null while not.
  const reachedSince: Record<RuleLevel, number | null> = { warning: null, critical: null };
  const unheldSince: Record<RuleLevel, number | null> = { warning: null, critical: null };
  let level: RuleLevel | null = null;
  /** the highest level of the open episode: a clear closes what was raised, whatever it has eased to */
  let peak: RuleLevel | null = null;
  // The episode opens on the first raise and closes once warning has not been held for clearDurationS.
  const ep = createEpisode({ clearDurationS, newEpisode: () => options.newEpisode() });

  const rank = (l: RuleLevel) => RULE_LEVELS.indexOf(l);
  /** the metric that reaches `l` (by the largest margin), or null */
  const reaching = (l: RuleLevel, sample: Readonly<Record<string, number>>, factor: number) => {
    let best: { metric: string; threshold: number; value: number; margin: number } | null = null;
    for (const m of thresholds) {
      // A lower level is reached whenever a higher one is (count-only warning with density-only critical, etc.).
      const ths = RULE_LEVELS.slice(rank(l)).map((x) => m[x]).filter((x): x is number => x !== undefined);
      const value = sample[m.metric];
      if (value === undefined || !Number.isFinite(value) || !ths.length) continue;
      const th = Math.min(...ths);
      const margin = value / (th * factor);
      if (margin >= 1 && (!best || margin > best.margin)) best = { metric: m.metric, threshold: th, value, margin };
    }
    return best;
  };

  return {
    get state() { return { level, episode: ep.episode }; },
    update(t, sample) {
      const events: RuleEvent[] = [];
      for (const l of RULE_LEVELS) {
        if (reaching(l, sample, 1)) reachedSince[l] ??= t; else reachedSince[l] = null;
        if (reaching(l, sample, 1 - hysteresis)) unheldSince[l] = null; else unheldSince[l] ??= t;
      }
      // Raise or escalate to the highest level sustained for the minimum duration.
      for (const l of [...RULE_LEVELS].reverse()) {
        const since = reachedSince[l];
        if (since === null || t - since < minDurationS) continue;
        if (level === null || rank(l) > rank(level)) {
          const escalation = level !== null;
          ep.raiseNow(t);
          level = l;
          peak = l;
          const hit = reaching(l, sample, 1)!;
          events.push({ type: 'raised', level: l, episode: ep.episode!, escalation, metric: hit.metric, threshold: hit.threshold, value: hit.value, t });
        }
        break;
      }
      if (level !== null) {
        const cleared = ep.update(t, false, unheldSince.warning === null);
        if (cleared) {
          events.push({ type: 'cleared', level: peak ?? level, episode: cleared.episode, t });
          level = null;
          peak = null;
        } else if (level === 'critical') {
          // De-escalate quietly: alarms are raised or cleared, and a later
          // return to critical must raise again within the same episode.
          const c = unheldSince.critical;
          if (c !== null && t - c >= clearDurationS) level = 'warning';
        }
      }
      return events;
    },
    flush(t) {
      if (level === null) return [];
      const ev: RuleEvent = { type: 'cleared', level: peak ?? level, episode: ep.clearNow(t)!.episode, t };
      level = null;
      peak = null;
      for (const l of RULE_LEVELS) { reachedSince[l] = null; unheldSince[l] = null; }
      return [ev];
    },
  };
}
