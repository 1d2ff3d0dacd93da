import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { createHubEvents } from '../../../hub/events.ts';
import type { DispatchService } from '../../../hub/dispatch/dispatch-service.ts';
import type { OpsPublisher } from '../../../hub/dispatch/publisher.ts';
import type { DispatchOrder } from '../../../hub/dispatch/order.ts';
import { createDrillScheduler } from '../../../hub/drills/drill-scheduler.ts';
import { listDrills, RAN } from '../../../hub/drills/drill-store.ts';
import { isWorkingTime, DEFAULT_DRILL_RULES } from '../../../hub/drills/planner.ts';
import { seedUnits } from '../../../hub/units/seed-units.ts';
import { addMonths, monthKey } from '../../../hub/units/zoned-time.ts';
import { dispatchServices, insertIncident, openTestDb, testSite, unitConfig, type TestDialect } from '../dispatch/ops-fixture.ts';
import { seededRandom } from '../../../common/seeded-random.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

/** Deterministic PRNG so that a failure can be replayed. */
const mulberry32 = seededRandom;

const site = { ...testSite(Array.from({ length: 8 }, (_, i) => unitConfig(`u${i + 1}`, 20 + i * 10, 10))) };
const parisSite = (() => { const s = structuredClone(site); s.site.timezone = 'Europe/Paris'; return s; })();

/** Units that answer drills: acknowledge at once, on scene 5 min later; `silent` ones never answer. */
function simulatedUnits(clock: FakeClock, getDispatcher: () => DispatchService, silent: (o: DispatchOrder) => boolean) {
  const pending = new Set<Promise<unknown>>();
  const orders: DispatchOrder[] = [];
  const track = (p: Promise<unknown>) => { const t = p.finally(() => pending.delete(t)); pending.add(t); };
  const publisher: OpsPublisher = {
    async order(o) {
      orders.push(o);
      if (silent(o)) return;
      queueMicrotask(() => track(getDispatcher().report(o.dispatchId, 'acknowledged', { name: 'sim', unit: o.unit })));
      clock.setTimeout(() => track(getDispatcher().report(o.dispatchId, 'on_scene', { name: 'sim', unit: o.unit })), 5 * MIN);
    },
    async warning() {},
  };
  return { publisher, orders, idle: async () => { while (pending.size) await Promise.allSettled([...pending]); } };
}

async function simulate(dialect: TestDialect, days: number, siteCfg = site, seed = 7) {
  const h = await openTestDb(dialect);
  const clock = new FakeClock(T0);
  const events = createHubEvents({ now: () => clock.now() });
  const rnd = mulberry32(seed);
  let dispatcher!: DispatchService;
  let silentCount = 0;
  const sim = simulatedUnits(clock, () => dispatcher, () => (rnd() < 0.1 ? (silentCount++, true) : false));
  const svc = dispatchServices({ db: h.db, clock, events, sites: [siteCfg], publisher: sim.publisher });
  dispatcher = svc.dispatch;
  await seedUnits(h.db, siteCfg, T0);
  await dispatcher.start();
  const drills = createDrillScheduler({ db: h.db, clock, events, dispatch: dispatcher, units: svc.units, sites: [siteCfg], random: mulberry32(seed * 31), intervalMs: 6 * 60 * MIN });
  const unitEvents: string[] = [];
  events.on('*', (e) => { if (e.unit) unitEvents.push(e.type); });
  await drills.start();
  const step = 10 * MIN;
  for (let t = 0; t < days * 86_400_000; t += step) {
    clock.advance(step);
    for (let i = 0; i < 3; i++) {
      await drills.idle();
      await dispatcher.idle();
      await sim.idle();
    }
  }
  return { h, clock, drills, dispatcher, sim, silentCount, unitEvents };
}

describe('drill scheduler over a simulated year (sqlite, 8 units)', () => {
  let r: Awaited<ReturnType<typeof simulate>>;
  beforeAll(async () => { r = await simulate('sqlite', 365); }, 120_000);
  afterAll(async () => { r?.drills.stop(); r?.dispatcher.stop(); await r?.h.cleanup(); });

  it('drills every unit at least once every 6 months', async () => {
    const ran = await listDrills(r.h.db, { states: [...RAN] });
    for (let i = 1; i <= 8; i++) {
      const times = ran.filter((d) => d.unitId === `u${i}`).map((d) => d.startedAt!).sort((a, b) => a - b);
      expect(times.length, `u${i}`).toBeGreaterThanOrEqual(2);
      let prev = T0;
      for (const t of [...times, r.clock.now()]) {
        expect(t, `u${i} gap after ${new Date(prev).toISOString()}`).toBeLessThanOrEqual(addMonths(prev, 6));
        prev = t;
      }
    }
  });

  it('drills at least 3 distinct units every month, at unannounced working-hour times', async () => {
    const ran = await listDrills(r.h.db, { states: [...RAN] });
    for (let m = 0; m < 12; m++) {
      const key = `2026-${String(m + 1).padStart(2, '0')}`;
      const units = new Set(ran.filter((d) => monthKey(d.startedAt!, 'UTC') === key).map((d) => d.unitId));
      expect(units.size, key).toBeGreaterThanOrEqual(3);
    }
    for (const d of ran) expect(isWorkingTime(d.scheduledAt, 'UTC', DEFAULT_DRILL_RULES), new Date(d.scheduledAt).toISOString()).toBe(true);
    // Times differ from one month to the next (random, not a fixed slot).
    expect(new Set(ran.map((d) => new Date(d.scheduledAt).getUTCHours() * 60 + new Date(d.scheduledAt).getUTCMinutes())).size).toBeGreaterThan(10);
  });

  it('records ack and on-scene times and outcomes, with reports by unit and month', async () => {
    const ran = await listDrills(r.h.db, { states: [...RAN] });
    const done = ran.filter((d) => d.state === 'completed');
    expect(done.length).toBeGreaterThan(20);
    for (const d of done) {
      expect(d.ackS).toBe(0);
      expect(d.onSceneS).toBeGreaterThanOrEqual(300);
    }
    expect(ran.filter((d) => d.state === 'no_ack').length).toBe(r.silentCount);
    expect(r.silentCount).toBeGreaterThan(0);
    const byMonth = await r.drills.reportByMonth('metro');
    expect(byMonth.map((m) => m.month)).toEqual(Array.from({ length: 12 }, (_, m) => `2026-${String(m + 1).padStart(2, '0')}`));
    expect(byMonth.every((m) => m.units >= 3)).toBe(true);
    const byUnit = await r.drills.reportByUnit('metro');
    expect(byUnit).toHaveLength(8);
    expect(byUnit.every((u) => u.drills >= 2 && u.lastDrilledAt !== null)).toBe(true);
    // Drill dispatches never reach units as "drill", nor change their status.
    expect(r.sim.orders.length).toBe(ran.length);
    for (const o of r.sim.orders) expect(JSON.stringify(o)).not.toMatch(/drill/i);
    expect(r.unitEvents).toEqual([]);
    const statuses = await r.h.db.selectFrom('units').select(['status']).execute();
    expect(statuses.every((s) => s.status === 'available')).toBe(true);
  });
});

describe('drill scheduler on postgres (two months, Europe/Paris)', () => {
  it('plans, runs and re-plans drills, and a real incident takes the unit out of a drill', async () => {
    const r = await simulate('postgres', 45, parisSite, 11);
    try {
      const ran = await listDrills(r.h.db, { states: [...RAN] });
      expect(new Set(ran.filter((d) => monthKey(d.startedAt!, 'Europe/Paris') === '2026-01').map((d) => d.unitId)).size).toBeGreaterThanOrEqual(3);
      for (const d of ran) expect(isWorkingTime(d.scheduledAt, 'Europe/Paris', DEFAULT_DRILL_RULES)).toBe(true);
      const upcoming = await r.drills.schedule('metro');
      expect(upcoming.length).toBeGreaterThanOrEqual(1);
      // Start the next drill now, then a real incident arrives and takes the nearest unit.
      const next = upcoming[0]!;
      const manual = await r.drills.scheduleManual(next.unitId, r.clock.now(), 'cmd');
      r.clock.advance(1);
      await r.drills.idle();
      const running = (await listDrills(r.h.db, { states: ['running'] })).find((d) => d.id === manual.id);
      expect(running).toBeDefined();
      const id = await insertIncident(r.h, { at: r.clock.now(), severity: 'warning', kind: 'crowd.density' });
      const sent = await r.dispatcher.dispatch(id, { actor: { name: 'op', role: 'operator' }, units: [next.unitId] });
      expect(sent[0]!.unitId).toBe(next.unitId);
      await r.dispatcher.idle();
      await r.drills.idle();
      const after = (await listDrills(r.h.db, { unitId: next.unitId })).find((d) => d.id === manual.id)!;
      expect(['skipped', 'completed']).toContain(after.state);
    } finally {
      r.drills.stop();
      r.dispatcher.stop();
      await r.h.cleanup();
    }
  }, 120_000);
});

describe('drills and readiness', () => {
  it('skips a drill of a unit that is not ready, records why, and re-plans it within 3 days', async () => {
    const h = await openTestDb('sqlite');
    try {
      const clock = new FakeClock(Date.UTC(2026, 2, 2, 9, 0));
      const events = createHubEvents({ now: () => clock.now() });
      const cfg = testSite([unitConfig('u1', 20, 10), unitConfig('u2', 30, 10, { members: [{ id: 'u2-a', name: 'A' }] })]);
      const { dispatch: dispatcher, units } = dispatchServices({ db: h.db, clock, events, sites: [cfg], publisher: { async order() {}, async warning() {} } });
      await seedUnits(h.db, cfg, clock.now());
      await dispatcher.start();
      const drills = createDrillScheduler({ db: h.db, clock, events, dispatch: dispatcher, units, sites: [cfg], random: mulberry32(3), intervalMs: 3_600_000 });
      await drills.start();
      const manual = await drills.scheduleManual('u2', clock.now(), 'cmd');
      clock.advance(1);
      await drills.idle();
      const all = await listDrills(h.db, { unitId: 'u2' });
      const skipped = all.find((d) => d.id === manual.id)!;
      expect(skipped.state).toBe('skipped');
      expect(skipped.outcome).toMatch(/not ready: has 1 members/);
      const retry = all.find((d) => d.state === 'scheduled' && d.reason === 'manual')!;
      expect(retry.scheduledAt - clock.now()).toBeLessThanOrEqual(3 * 86_400_000);
      expect(isWorkingTime(retry.scheduledAt, 'UTC', DEFAULT_DRILL_RULES)).toBe(true);
      drills.stop();
      dispatcher.stop();
    } finally {
      await h.cleanup();
    }
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`drill planning with two hub replicas (${dialect})`, () => {
    it('writes one plan per site and month however many replicas start at once', async () => {
      const h = await openTestDb(dialect);
      try {
        const clock = new FakeClock(Date.UTC(2026, 4, 4, 9, 0));
        const cfg = testSite(Array.from({ length: 6 }, (_, i) => unitConfig(`u${i + 1}`, 20 + i * 10, 10)));
        await seedUnits(h.db, cfg, clock.now());
        // The same random seed: two plans would name the same units twice, which the check below would see.
        const replicas = [1, 1].map((seed) => {
          const events = createHubEvents({ now: () => clock.now() });
          const { dispatch: dispatcher, units } = dispatchServices({ db: h.db, clock, events, sites: [cfg], publisher: { async order() {}, async warning() {} } });
          return { dispatcher, drills: createDrillScheduler({ db: h.db, clock, events, dispatch: dispatcher, units, sites: [cfg], random: mulberry32(seed), intervalMs: 3_600_000 }) };
        });
        for (const r of replicas) await r.dispatcher.start();
        // Both schedulers read "no plan yet" before either writes one: the race the plan key settles.
        await Promise.all(replicas.map((r) => r.drills.start()));
        const planned = (await listDrills(h.db, { site: 'metro' })).filter((d) => d.reason === 'due' || d.reason === 'random');
        const months = new Set(planned.map((d) => d.month));
        expect(months.size).toBe(1);
        // One plan's worth: each unit at most once, at least the monthly minimum.
        const units = planned.map((d) => d.unitId);
        expect(new Set(units).size).toBe(units.length);
        expect(units.length).toBeGreaterThanOrEqual(DEFAULT_DRILL_RULES.perMonth);
        for (const r of replicas) { r.drills.stop(); r.dispatcher.stop(); }
      } finally {
        await h.cleanup();
      }
    }, 60_000);
  });
}
