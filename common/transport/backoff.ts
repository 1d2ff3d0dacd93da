/**
 * Exponential, jittered, capped delays. Jitter keeps a fleet of edges that lost
 * the hub at the same moment from reconnecting and re-sending in lockstep.
 */
export interface BackoffOptions {
  /** first delay; @default 250 ms */
  initialMs?: number;
  /** cap; @default 10_000 ms */
  maxMs?: number;
  /** @default 2 */
  factor?: number;
  /** share of each delay that is random, 0..1; @default 0.5 */
  jitter?: number;
  random?: () => number;
}

export interface Backoff {
  /** the next delay in ms; each call grows the base until the cap */
  next(): number;
  reset(): void;
  readonly attempts: number;
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initialMs = options.initialMs ?? 250;
  const maxMs = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.5;
  const random = options.random ?? Math.random;
  if (!(initialMs > 0) || !(maxMs >= initialMs) || !(factor >= 1) || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`backoff: need 0 < initialMs <= maxMs, factor >= 1, 0 <= jitter <= 1 (got ${initialMs}, ${maxMs}, ${factor}, ${jitter})`);
  }
  let attempts = 0;
  return {
    next() {
      const base = Math.min(maxMs, initialMs * factor ** attempts);
      attempts++;
      return Math.round(base * (1 - jitter) + base * jitter * random());
    },
    reset() { attempts = 0; },
    get attempts() { return attempts; },
  };
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}
