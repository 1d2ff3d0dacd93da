/**
 * Handling time of alarm messages (delivery → ack), kept in a ring so that the
 * consumer's ack_wait follows what handling really takes: ack_wait =
 * max(floor, k × p99). Too short an ack_wait redelivers work in progress; too
 * long delays redelivery after a crash.
 */
export interface AckWaitPolicy {
  /** @default 30_000 ms */
  floorMs: number;
  /** @default 10 */
  k: number;
  /** @default 300_000 ms */
  ceilingMs: number;
}

export const DEFAULT_ACK_WAIT: AckWaitPolicy = Object.freeze({ floorMs: 30_000, k: 10, ceilingMs: 300_000 });

export class HandlingTimes {
  readonly #ring: Float64Array;
  #n = 0;
  constructor(size = 2048) { this.#ring = new Float64Array(size); }
  record(ms: number): void { this.#ring[this.#n++ % this.#ring.length] = ms; }
  get count(): number { return Math.min(this.#n, this.#ring.length); }
  percentile(p: number): number | null {
    const n = this.count;
    if (n === 0) return null;
    const sorted = Array.from(this.#ring.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!;
  }
}

export function recommendedAckWaitMs(p99Ms: number | null, policy: AckWaitPolicy = DEFAULT_ACK_WAIT): number {
  const want = p99Ms === null ? policy.floorMs : Math.max(policy.floorMs, policy.k * p99Ms);
  return Math.round(Math.min(policy.ceilingMs, want));
}

/**
 * Redelivery schedule. The server takes backoff[0] as the ack wait, so the list
 * starts at the measured ack wait and grows to a cap.
 */
export function backoffSchedule(ackWaitMs: number, capMs = 300_000): number[] {
  const steps = [ackWaitMs, ackWaitMs * 2, ackWaitMs * 4, 60_000, 120_000, capMs].map((v) => Math.min(capMs, Math.max(ackWaitMs, v)));
  return [...new Set(steps)].sort((a, b) => a - b);
}
