/**
 * A time window of samples (seconds, value): the moving mean smooths density
 * and the least-squares slope gives its trend. Times are media or wall
 * seconds passed in, so the window is testable without timers.
 */
export interface TimeWindow {
  push(t: number, value: number): void;
  mean(): number;
  /** least-squares slope in value per second; null with fewer than `minSamples` or too short a span */
  slope(minSamples?: number, minSpanS?: number): number | null;
  readonly size: number;
}

export function createTimeWindow(spanS: number): TimeWindow {
  const ts: number[] = [];
  const vs: number[] = [];
  return {
    push(t, value) {
      // Media time can restart (a looped file): the old samples no longer belong to this series.
      if (ts.length && t < ts[ts.length - 1]!) { ts.length = 0; vs.length = 0; }
      ts.push(t);
      vs.push(value);
      while (ts.length > 1 && t - ts[0]! > spanS) { ts.shift(); vs.shift(); }
    },
    mean() {
      if (!vs.length) return 0;
      let s = 0;
      for (const v of vs) s += v;
      return s / vs.length;
    },
    slope(minSamples = 3, minSpanS = 0) {
      const n = ts.length;
      if (n < Math.max(2, minSamples) || ts[n - 1]! - ts[0]! < minSpanS) return null;
      let mt = 0, mv = 0;
      for (let i = 0; i < n; i++) { mt += ts[i]!; mv += vs[i]!; }
      mt /= n; mv /= n;
      let num = 0, den = 0;
      for (let i = 0; i < n; i++) { const dt = ts[i]! - mt; num += dt * (vs[i]! - mv); den += dt * dt; }
      return den > 0 ? num / den : null;
    },
    get size() { return ts.length; },
  };
}

/** Seconds until `value` reaches the next threshold above it at `ratePerS`; null when not rising towards one. */
export function etaToNextThreshold(value: number, ratePerS: number | null, thresholds: readonly number[]): number | null {
  if (ratePerS === null || !(ratePerS > 1e-9)) return null;
  const next = thresholds.filter((t) => t > value).sort((a, b) => a - b)[0];
  return next === undefined ? null : (next - value) / ratePerS;
}
