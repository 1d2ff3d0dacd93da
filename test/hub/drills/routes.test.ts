import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsApp, testSite, unitConfig, USERS } from '../dispatch/ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 1, 0, 0);
const site = testSite(Array.from({ length: 5 }, (_, i) => unitConfig(`u${i + 1}`, 20 + 10 * i, 10)));

describe('drills API', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  beforeAll(async () => { t = await opsApp(site, T0, { drills: true }); });
  afterAll(async () => { await t?.close(); });

  it('shows the schedule to commanders and admins only', async () => {
    const s = await t.call(USERS.commander, 'GET', '/api/drills/schedule?site=metro');
    expect(s.status).toBe(200);
    expect(s.body.drills.length).toBeGreaterThanOrEqual(3);
    expect((await t.call(USERS.admin, 'GET', '/api/drills/schedule')).status).toBe(200);
    for (const u of [USERS.operator, USERS.unit1, USERS.engineer]) expect((await t.call(u, 'GET', '/api/drills/schedule')).status).toBe(403);
  });

  it('runs a drill the unit cannot tell from a real order until it is on scene', async () => {
    const r = await t.call(USERS.commander, 'POST', '/api/drills', { unit: 'u1' });
    expect(r.status).toBe(201);
    t.clock.advance(1);
    await t.ops.drills.idle();
    const mine = await t.call(USERS.unit1, 'GET', '/api/dispatches?active=true');
    expect(mine.body.dispatches).toHaveLength(1);
    const order = mine.body.dispatches[0];
    expect(order).not.toHaveProperty('drill');
    expect(JSON.stringify(t.publisher.orders.at(-1))).not.toMatch(/drill/i);
    // Operators do not see it; the unit's status does not change.
    expect((await t.call(USERS.operator, 'GET', '/api/dispatches')).body.dispatches).toHaveLength(0);
    expect((await t.call(USERS.operator, 'GET', '/api/units/u1')).body.unit.status).toBe('available');
    await t.call(USERS.unit1, 'POST', `/api/dispatches/${order.id}/ack`);
    t.clock.advance(240_000);
    const on = await t.call(USERS.unit1, 'POST', `/api/dispatches/${order.id}/on_scene`);
    expect(on.body.dispatch).toMatchObject({ state: 'on_scene', drill: true });
    await t.ops.drills.idle();
    const hist = await t.call(USERS.commander, 'GET', '/api/drills?unit=u1');
    expect(hist.body.drills[0]).toMatchObject({ state: 'completed', reason: 'manual', ackS: 0, onSceneS: 240 });
    const byUnit = await t.call(USERS.commander, 'GET', '/api/drills/report/units');
    expect(byUnit.body.units.find((u: { unit: string }) => u.unit === 'u1')).toMatchObject({ drills: 1, completed: 1 });
    const byMonth = await t.call(USERS.commander, 'GET', '/api/drills/report/months?site=metro');
    expect(byMonth.body.months[0]).toMatchObject({ month: '2026-06', drills: 1, completed: 1 });
    expect((await t.call(USERS.commander, 'POST', '/api/drills', { unit: 'u1', at: 'tomorrow' }))).toMatchObject({ status: 400, body: { field: 'at' } });
  });
});
