import { ValidationError } from '../../common/errors.ts';

/**
 * One alarm episode: raised once a condition has held for `minDurationS`,
 * cleared once its (hysteresis) hold test has failed for `clearDurationS`;
 * a raise and its clear share one episode id. Driven by the times passed in
 * (media or wall seconds), so it runs the same in replay, live and tests.
 * Crowd rules, camera health, sensors, ONVIF events and abandoned objects all
 * open and close their alarms through it.
 *
 * - `update(t, raise, hold)`: `raise` is the raise test (at or above the
 *   threshold), `hold` the laxer test that keeps an episode open (above
 *   threshold × (1 − hysteresis)); without `hold`, it is `raise`. Values
 *   between the two neither raise nor clear.
 * - `raiseNow` / `clearNow`: for conditions that are events (a sensor turning
 *   active, an object taken away) or judged elsewhere.
 */
export interface EpisodeOptions {
  /** @default 0 */
  minDurationS?: number;
  /** @default 0 */
  clearDurationS?: number;
  /** new episode ids; the caller's, so that ids can be deterministic in tests */
  newEpisode: (t: number) => string;
}

export type EpisodeEvent = { type: 'raised' | 'cleared'; episode: string; t: number; /** when the condition began */ since: number };

export interface Episode {
  update(t: number, raise: boolean, hold?: boolean): EpisodeEvent | null;
  raiseNow(t: number, since?: number): EpisodeEvent | null;
  clearNow(t: number): EpisodeEvent | null;
  /** true while raised */
  readonly open: boolean;
  readonly episode: string | null;
  /** when the condition began (raised or still pending), else null */
  readonly since: number | null;
  /** when the open episode was raised */
  readonly raisedAt: number | null;
}

/** `value` holds a threshold with hysteresis: at or above threshold × (1 − hysteresis). */
export function holds(value: number, threshold: number, hysteresis: number): boolean {
  return value >= threshold * (1 - hysteresis);
}

export function createEpisode(options: EpisodeOptions): Episode {
  const minS = options.minDurationS ?? 0;
  const clearS = options.clearDurationS ?? 0;
  if (!(minS >= 0)) throw new ValidationError('minDurationS', 'must be ≥ 0');
  if (!(clearS >= 0)) throw new ValidationError('clearDurationS', 'must be ≥ 0');
  let open = false;
  let episode: string | null = null;
  let since: number | null = null;
  let unheldSince: number | null = null;
  let raisedAt: number | null = null;

  function raiseNow(t: number, from = t): EpisodeEvent | null {
    if (open) return null;
    open = true;
    since ??= from;
    since = Math.min(since, from);
    raisedAt = t;
    unheldSince = null;
    episode = options.newEpisode(t);
    return { type: 'raised', episode, t, since };
  }

  function clearNow(t: number): EpisodeEvent | null {
    if (!open) { since = null; return null; }
    const ev: EpisodeEvent = { type: 'cleared', episode: episode!, t, since: since ?? t };
    open = false; episode = null; since = null; unheldSince = null; raisedAt = null;
    return ev;
  }

  return {
    get open() { return open; },
    get episode() { return episode; },
    get since() { return since; },
    get raisedAt() { return raisedAt; },
    raiseNow,
    clearNow,
    update(t, raise, hold = raise) {
      if (!open) {
        if (!raise) { since = null; return null; }
        since ??= t;
        return t - since >= minS ? raiseNow(t, since) : null;
      }
      if (hold) { unheldSince = null; return null; }
      unheldSince ??= t;
      return t - unheldSince >= clearS ? clearNow(t) : null;
    },
  };
}
