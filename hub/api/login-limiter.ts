import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Slows password guessing, in the store so that every hub replica shares the
 * count and a restart clears nothing:
 * - each attempt is counted *before* the password is checked, so a burst of
 *   parallel guesses gets exactly `maxPerName` checks, not as many as arrive;
 * - per user name: after maxPerName attempts in windowMs the name is locked
 *   for lockMs (short on purpose: anyone can lock anyone's name); a success
 *   clears it;
 * - per client address: after maxPerAddress attempts, the address is locked
 *   for addressLockMs; successes do not count against it;
 * - names that are not users share 4,096 buckets, so junk names cannot grow
 *   the table, nor evict a real lock (nothing is ever evicted), and a refusal
 *   looks the same for a name that exists and one that does not.
 * Locks seen are cached in memory, so a flood against a locked name or
 * address costs no database write.
 */
export interface LoginLimiterOptions {
  db: Kysely<Database>;
  now: () => number;
  /** whether a name is a configured user (others share hashed buckets) */
  isUser: (name: string) => boolean;
  /** @default 5 */
  maxPerName?: number;
  /** @default 20 */
  maxPerAddress?: number;
  /** @default 15 minutes */
  windowMs?: number;
  /** @default 5 minutes */
  lockMs?: number;
  /** @default 15 minutes */
  addressLockMs?: number;
}

export type LimitVerdict = { ok: true } | { ok: false; retryAfterMs: number; reason: 'name' | 'address' };

export interface LoginLimiter {
  /** From the memory cache only: ms until the name or address may try again, or 0 (then call attempt). */
  lockedFor(name: string, address: string | null): number;
  /** Counts an attempt; refused when the address or name is locked or over its limit. */
  attempt(name: string, address: string | null): Promise<LimitVerdict>;
  succeeded(name: string, address: string | null): Promise<void>;
  /** Deletes rows whose window and lock have both passed. */
  sweep(): Promise<number>;
}

const BUCKETS = 4096;
const MAX_CACHED = 10_000;

/** FNV-1a: a stable bucket for a name that is not a user. */
function bucket(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return (h >>> 0) % BUCKETS;
}

/** An IPv6 client is one /64 (a host gets a whole prefix); IPv4-mapped addresses are IPv4. */
export function addressKey(address: string): string {
  const a = address.trim().toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const full = a.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${full.slice(0, 4).map((x) => x.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function createLoginLimiter(o: LoginLimiterOptions): LoginLimiter {
  const maxPerName = o.maxPerName ?? 5;
  const maxPerAddress = o.maxPerAddress ?? 20;
  const windowMs = o.windowMs ?? 15 * 60_000;
  const lockMs = o.lockMs ?? 5 * 60_000;
  const addressLockMs = o.addressLockMs ?? 15 * 60_000;
  const locks = new Map<string, number>();

  const nameKey = (name: string) => (o.isUser(name) ? `name:${name}` : `name?${bucket(name)}`);
  const addrKey = (address: string) => `addr:${addressKey(address)}`;

  const cached = (key: string, now: number): number => {
    const until = locks.get(key);
    if (until === undefined) return 0;
    if (until <= now) { locks.delete(key); return 0; }
    return until - now;
  };
  const remember = (key: string, until: number) => {
    if (locks.size >= MAX_CACHED) {
      const now = o.now();
      for (const [k, u] of locks) if (u <= now) locks.delete(k);
      // Still full: forget the oldest cached lock. The store still holds it.
      if (locks.size >= MAX_CACHED) locks.delete(locks.keys().next().value!);
    }
    locks.set(key, until);
  };

  /** One atomic upsert: a new window, a counted attempt, or (while locked) nothing. */
  async function count(key: string, max: number, lock: number): Promise<number> {
    const now = o.now();
    const expired = now - windowMs;
    const row = await o.db.insertInto('login_limits')
      .values({ key, window_start_ms: now, attempts: 1, locked_until_ms: 0, updated_at_ms: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({
        attempts: sql<number>`case when login_limits.locked_until_ms > ${now} then login_limits.attempts when login_limits.window_start_ms <= ${expired} then 1 else login_limits.attempts + 1 end`,
        window_start_ms: sql<number>`case when login_limits.locked_until_ms > ${now} then login_limits.window_start_ms when login_limits.window_start_ms <= ${expired} then ${now} else login_limits.window_start_ms end`,
        updated_at_ms: now,
      }))
      .returning(['attempts', 'locked_until_ms'])
      .executeTakeFirstOrThrow();
    const lockedUntil = Number(row.locked_until_ms);
    if (lockedUntil > now) { remember(key, lockedUntil); return lockedUntil - now; }
    if (Number(row.attempts) <= max) return 0;
    // Over the limit: lock, and start the next window when the lock ends.
    const until = now + lock;
    await o.db.updateTable('login_limits').set({ locked_until_ms: until, attempts: 0, window_start_ms: until, updated_at_ms: now }).where('key', '=', key).execute();
    remember(key, until);
    return lock;
  }

  return {
    lockedFor(name, address) {
      const now = o.now();
      return Math.max(cached(nameKey(name), now), address ? cached(addrKey(address), now) : 0);
    },
    async attempt(name, address) {
      if (address) {
        const wait = await count(addrKey(address), maxPerAddress, addressLockMs);
        if (wait > 0) return { ok: false, retryAfterMs: wait, reason: 'address' };
      }
      const wait = await count(nameKey(name), maxPerName, lockMs);
      return wait > 0 ? { ok: false, retryAfterMs: wait, reason: 'name' } : { ok: true };
    },
    async succeeded(name, address) {
      const now = o.now();
      await o.db.deleteFrom('login_limits').where('key', '=', nameKey(name)).execute();
      locks.delete(nameKey(name));
      if (address) {
        await o.db.updateTable('login_limits').set({ attempts: sql<number>`case when attempts > 0 then attempts - 1 else 0 end`, updated_at_ms: now }).where('key', '=', addrKey(address)).where('locked_until_ms', '<=', now).execute();
      }
    },
    async sweep() {
      const now = o.now();
      const r = await o.db.deleteFrom('login_limits').where('locked_until_ms', '<=', now).where('window_start_ms', '<=', now - windowMs).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
