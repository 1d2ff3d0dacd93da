import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertIncident, opsApp, testSite, unitConfig, USERS } from './ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const site = testSite([
  unitConfig('u1', 20, 10),
  unitConfig('u2', 25, 10, { roster: [{ name: 'day', start: '00:00', end: '00:00', onDuty: ['u2-a', 'u2-b'], leader: 'u2-a' }] }),
  unitConfig('u3', 40, 10),
  unitConfig('u4', 60, 10),
]);

describe('dispatch API', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  beforeAll(async () => { t = await opsApp(site, T0); });
  afterAll(async () => { await t?.close(); });

  it('requires a login and the right role', async () => {
    expect((await t.call(null, 'GET', '/api/dispatches')).status).toBe(401);
    expect((await t.call(USERS.engineer, 'POST', '/api/dispatches', { incident: 'x', count: 1 })).status).toBe(403);
    expect((await t.call(USERS.unit1, 'POST', '/api/dispatches', { incident: 'x', count: 1 })).status).toBe(403);
    expect((await t.call(USERS.operator, 'GET', '/api/drills/schedule')).status).toBe(403);
  });

  it('names the bad field of a bad body', async () => {
    const r1 = await t.call(USERS.operator, 'POST', '/api/dispatches', { count: 1 });
    expect(r1).toMatchObject({ status: 400, body: { field: 'incident' } });
    const r2 = await t.call(USERS.operator, 'POST', '/api/dispatches', { incident: 'x', count: 0 });
    expect(r2).toMatchObject({ status: 400, body: { field: 'count' } });
    const r3 = await t.call(USERS.operator, 'POST', '/api/dispatches', '{nope');
    expect(r3).toMatchObject({ status: 400, body: { field: 'body' } });
    const r4 = await t.call(USERS.operator, 'POST', '/api/dispatches', { incident: 'x', unit: ['u1'] });
    expect(r4.status).toBe(400);
  });

  it('dispatches by hand, refuses an unready unit, and lets only the unit acknowledge its own order', async () => {
    const id = await insertIncident(t.h, { at: T0, kind: 'camera.offline', severity: 'warning' });
    const cand = await t.call(USERS.operator, 'GET', `/api/dispatches/candidates?incident=${id}`);
    expect(cand.status).toBe(200);
    expect(cand.body.candidates.map((c: { unit: string }) => c.unit)).toEqual(['u1', 'u3', 'u4']);

    const refused = await t.call(USERS.operator, 'POST', '/api/dispatches', { incident: id, units: ['u2'] });
    expect(refused).toMatchObject({ status: 400, body: { field: 'units.0' } });
    expect(refused.body.message).toMatch(/u2 is not ready: has 2 members on duty/);

    const sent = await t.call(USERS.operator, 'POST', '/api/dispatches', { incident: id, count: 2 });
    expect(sent.status).toBe(201);
    const [d1, d3] = sent.body.dispatches as { id: string; unit: string; drill?: boolean }[];
    expect([d1!.unit, d3!.unit]).toEqual(['u1', 'u3']);
    expect(d1!.drill).toBeUndefined();
    expect(t.publisher.orders.map((o) => o.unit)).toEqual(['u1', 'u3']);

    expect((await t.call(USERS.unit3, 'POST', `/api/dispatches/${d1!.id}/ack`)).status).toBe(404);
    const ack = await t.call(USERS.unit1, 'POST', `/api/dispatches/${d1!.id}/ack`);
    expect(ack).toMatchObject({ status: 200, body: { dispatch: { state: 'acknowledged' } } });
    const mine = await t.call(USERS.unit1, 'GET', '/api/dispatches');
    expect(mine.body.dispatches.map((d: { unit: string }) => d.unit)).toEqual(['u1']);
    expect((await t.call(USERS.unit1, 'GET', '/api/dispatches?unit=u3')).status).toBe(403);
    const onScene = await t.call(USERS.unit1, 'POST', `/api/dispatches/${d1!.id}/on_scene`);
    expect(onScene.body.dispatch).toMatchObject({ state: 'on_scene' });
    expect(onScene.body.dispatch.onSceneAt).not.toBeNull();
    const back = await t.call(USERS.unit1, 'POST', `/api/dispatches/${d1!.id}/ack`);
    expect(back.body.dispatch.state).toBe('on_scene');

    const byIncident = await t.call(USERS.commander, 'GET', `/api/dispatches?incident=${id}`);
    expect(byIncident.body.dispatches).toHaveLength(2);
    expect(byIncident.body.dispatches[0]).toHaveProperty('drill', false);
  });

  it('lists overdue items: unacknowledged orders and the on-scene target', async () => {
    t.clock.advance(61_000);
    await t.ops.idle();
    const r = await t.call(USERS.operator, 'GET', '/api/overdue');
    expect(r.status).toBe(200);
    expect(r.body.overdue.map((o: { kind: string; unit: string }) => `${o.kind}:${o.unit}`)).toContain('dispatch.unacknowledged:u3');
    // The replacement (u4) acknowledges, relayed by the commander, but never arrives.
    const u4 = (await t.call(USERS.commander, 'GET', '/api/dispatches?unit=u4&active=true')).body.dispatches[0];
    expect(u4.state).toBe('ordered');
    expect((await t.call(USERS.commander, 'POST', `/api/dispatches/${u4.id}/ack`)).status).toBe(200);
    t.clock.advance(31 * 60_000);
    await t.ops.idle();
    await t.ops.overdue.tick();
    // Without the plan's activation no on-scene clock runs, however late the unit is.
    const before = await t.call(USERS.commander, 'GET', '/api/overdue?site=metro');
    expect(before.body.overdue.map((o: { kind: string }) => o.kind)).not.toContain('dispatch.on_scene_overdue');
    const u4row = await t.h.db.selectFrom('dispatches').select('incident_id').where('id', '=', u4.id).executeTakeFirstOrThrow();
    expect((await t.call(USERS.commander, 'POST', `/api/incidents/${u4row.incident_id}/plan`, { level: 'IV' })).status).toBe(200);
    t.clock.advance(31 * 60_000);
    await t.ops.idle();
    await t.ops.overdue.tick();
    const r2 = await t.call(USERS.commander, 'GET', '/api/overdue?site=metro');
    const kinds = r2.body.overdue.map((o: { kind: string }) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['dispatch.unacknowledged', 'dispatch.on_scene_overdue']));
    expect(r2.body.overdue.every((o: { warnedAt: string | null }) => o.warnedAt !== null)).toBe(true);
    expect((await t.call(USERS.unit1, 'GET', '/api/overdue')).status).toBe(403);
  });
});
