/** Latency samples kept in a bounded ring, so a long-running edge does not grow without limit. */
export interface LatencyStats {
  add(ms: number): void;
  percentile(p: number): number | null;
  readonly count: number;
}

export function createLatencyStats(capacity = 10_000): LatencyStats {
  const ring = new Float64Array(capacity);
  let n = 0;
  return {
    add(ms) { ring[n % capacity] = ms; n++; },
    percentile(p) {
      const k = Math.min(n, capacity);
      if (!k) return null;
      const s = Array.from(ring.subarray(0, k)).sort((a, b) => a - b);
      return s[Math.min(k - 1, Math.max(0, Math.ceil((p / 100) * k) - 1))]!;
    },
    get count() { return n; },
  };
}
