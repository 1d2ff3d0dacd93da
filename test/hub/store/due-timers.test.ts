import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDb } from '../dispatch/ops-fixture.ts';
import { claimDueTimers, scheduleTimer, cancelTimer, timerFired } from '../../../hub/store/due-timers.ts';

describe.each(DIALECTS)('due timers (%s)', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => { h = await openTestDb(dialect); });
  afterAll(async () => { await h?.cleanup(); });

  it('two replicas claiming at once take disjoint rows, and between them every due timer, once', async () => {
    for (let i = 0; i < 60; i++) await scheduleTimer(h.db, 't', `a${i}`, 1000 + i);
    await scheduleTimer(h.db, 't', 'later', 99_000);
    const claimedBy = { r1: [] as string[], r2: [] as string[] };
    const claimer = async (owner: 'r1' | 'r2') => {
      for (;;) {
        const got = await claimDueTimers(h.db, h.dialect, { owner, now: 5000, leaseMs: 5000, limit: 7, kinds: ['t'] });
        if (!got.length) return;
        for (const t of got) { claimedBy[owner].push(t.ref); expect(await timerFired(h.db, t.id, owner, 5000)).toBe(true); }
      }
    };
    await Promise.all([claimer('r1'), claimer('r2')]);
    const all = [...claimedBy.r1, ...claimedBy.r2];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `a${i}`).sort());
    expect(all).not.toContain('later');
  });

  it('a dead replica\'s claim moves to another when its lease ends; a cancelled timer never fires', async () => {
    await scheduleTimer(h.db, 'u', 'x', 10_000);
    await scheduleTimer(h.db, 'u', 'gone', 10_000);
    await cancelTimer(h.db, 'u', 'gone');
    const first = await claimDueTimers(h.db, h.dialect, { owner: 'dead', now: 10_000, leaseMs: 3000, limit: 10, kinds: ['u'] });
    expect(first.map((t) => t.ref)).toEqual(['x']);
    // still leased: nobody else gets it
    expect(await claimDueTimers(h.db, h.dialect, { owner: 'alive', now: 12_000, leaseMs: 3000, limit: 10, kinds: ['u'] })).toEqual([]);
    const moved = await claimDueTimers(h.db, h.dialect, { owner: 'alive', now: 13_001, leaseMs: 3000, limit: 10, kinds: ['u'] });
    expect(moved).toMatchObject([{ ref: 'x', attempts: 2 }]);
    // the dead replica's late mark is refused; the live one's counts
    expect(await timerFired(h.db, moved[0]!.id, 'dead', 13_002)).toBe(false);
    expect(await timerFired(h.db, moved[0]!.id, 'alive', 13_002)).toBe(true);
    expect(await claimDueTimers(h.db, h.dialect, { owner: 'alive', now: 99_000, leaseMs: 3000, limit: 10, kinds: ['u'] })).toEqual([]);
  });
});
