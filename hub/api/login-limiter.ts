/**
 * Slows password guessing: after `maxFailures` wrong passwords for one name
 * within `windowMs`, that name is refused for `lockMs` (429), right password or
 * not. The lock is short on purpose, since anyone can trigger it for any name.
 */
export interface LoginLimiterOptions {
  now: () => number;
  /** @default 5 */
  maxFailures?: number;
  /** @default 15 minutes */
  windowMs?: number;
  /** @default 5 minutes */
  lockMs?: number;
  /** names tracked at most, oldest forgotten first; @default 10_000 */
  maxNames?: number;
}

export interface LoginLimiter {
  /** ms until the name may try again, or 0 */
  lockedFor(name: string): number;
  failed(name: string): void;
  succeeded(name: string): void;
}

export function createLoginLimiter(options: LoginLimiterOptions): LoginLimiter {
  const { now, maxFailures = 5, windowMs = 15 * 60_000, lockMs = 5 * 60_000, maxNames = 10_000 } = options;
  const state = new Map<string, { failures: number[]; lockedUntil: number }>();
  return {
    lockedFor(name) {
      const s = state.get(name);
      return s ? Math.max(0, s.lockedUntil - now()) : 0;
    },
    failed(name) {
      const t = now();
      let s = state.get(name);
      if (!s) {
        if (state.size >= maxNames) state.delete(state.keys().next().value!);
        state.set(name, (s = { failures: [], lockedUntil: 0 }));
      }
      s.failures = s.failures.filter((f) => t - f < windowMs);
      s.failures.push(t);
      if (s.failures.length >= maxFailures) {
        s.lockedUntil = t + lockMs;
        s.failures = [];
      }
    },
    succeeded(name) {
      state.delete(name);
    },
  };
}
