import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsApp, testSite, unitConfig, USERS } from '../dispatch/ops-fixture.ts';
import { seedUnits } from '../../../hub/units/seed-units.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const site = testSite([
  unitConfig('u1', 20, 10, { position: { x: 20, y: 10, lat: 48.86, lon: 2.34 } }),
  unitConfig('u2', 25, 10, { members: [{ id: 'x', name: 'X' }] }),
  unitConfig('u3', 40, 10),
]);

describe('units API', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  beforeAll(async () => { t = await opsApp(site, T0); });
  afterAll(async () => { await t?.close(); });

  it('lists units with their readiness', async () => {
    const r = await t.call(USERS.operator, 'GET', '/api/units?site=metro');
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.body.units.map((u: { id: string }) => [u.id, u]));
    expect(byId.u1).toMatchObject({ status: 'available', position: { x: 20, y: 10, lat: 48.86, lon: 2.34 }, readiness: { ready: true, shift: 'all-day', leader: 'u1-a' }, speed: 1.5 });
    expect(byId.u2.readiness.ready).toBe(false);
    expect(byId.u2.readiness.reasons[0]).toMatch(/1 members, needs at least 5/);
    const ready = await t.call(USERS.commander, 'GET', '/api/units?ready=false');
    expect(ready.body.units.map((u: { id: string }) => u.id)).toEqual(['u2']);
    expect((await t.call(USERS.unit1, 'GET', '/api/units')).status).toBe(403);
    expect((await t.call(USERS.operator, 'GET', '/api/units?bogus=1')).status).toBe(400);
  });

  it('shows a unit its own record only', async () => {
    expect((await t.call(USERS.unit1, 'GET', '/api/units/u1')).status).toBe(200);
    expect((await t.call(USERS.unit1, 'GET', '/api/units/u3')).status).toBe(403);
    expect((await t.call(USERS.operator, 'GET', '/api/units/nope')).status).toBe(404);
  });

  it('updates status by role, with audit and a unit.updated event', async () => {
    const seen: string[] = [];
    t.events.on('unit.updated', (e) => seen.push(`${e.data.unit}:${e.data.status}`));
    const bad = await t.call(USERS.unit1, 'PATCH', '/api/units/u1/status', { status: 'on_scene' });
    expect(bad).toMatchObject({ status: 400, body: { field: 'status' } });
    expect((await t.call(USERS.unit1, 'PATCH', '/api/units/u3/status', { status: 'off_duty' })).status).toBe(403);
    const ok = await t.call(USERS.unit1, 'PATCH', '/api/units/u1/status', { status: 'off_duty', note: 'training' });
    expect(ok).toMatchObject({ status: 200, body: { unit: { status: 'off_duty' } } });
    expect(seen).toEqual(['u1:off_duty']);
    const audit = await t.h.db.selectFrom('audit_log').select(['action', 'actor']).where('entity_id', '=', 'u1').execute();
    expect(audit).toEqual([{ action: 'unit.status', actor: 'u1-radio' }]);
    // Re-seeding from config keeps the live status.
    await seedUnits(t.h.db, site, T0 + 1);
    expect((await t.call(USERS.operator, 'GET', '/api/units/u1')).body.unit.status).toBe('off_duty');
    await t.call(USERS.commander, 'PATCH', '/api/units/u1/status', { status: 'available' });
  });

  it('updates the roster (commander only) and readiness follows it', async () => {
    const roster = [{ name: 'day', start: '08:00', end: '20:00', onDuty: ['u3-a', 'u3-b'], leader: 'u3-a' }];
    expect((await t.call(USERS.operator, 'PUT', '/api/units/u3/roster', { roster })).status).toBe(403);
    const bad = await t.call(USERS.commander, 'PUT', '/api/units/u3/roster', { roster: [{ ...roster[0], start: '8am' }] });
    expect(bad).toMatchObject({ status: 400, body: { field: 'roster.0.start' } });
    const ok = await t.call(USERS.commander, 'PUT', '/api/units/u3/roster', { roster });
    expect(ok.status).toBe(200);
    expect(ok.body.unit.readiness).toMatchObject({ ready: false, onDuty: 2 });
    // A restart re-seeds from the same config: the commander's roster stays.
    await seedUnits(t.h.db, site, T0 + 2);
    expect((await t.call(USERS.operator, 'GET', '/api/units/u3')).body.unit.roster).toEqual(roster);
    // A changed config roster replaces it.
    const changed = testSite([unitConfig('u3', 40, 10, { roster: [{ name: 'new', start: '00:00', end: '00:00', onDuty: ['u3-a', 'u3-b', 'u3-c'], leader: 'u3-b' }] })]);
    await seedUnits(t.h.db, changed, T0 + 3);
    expect((await t.call(USERS.operator, 'GET', '/api/units/u3')).body.unit.readiness).toMatchObject({ ready: true, shift: 'new', leader: 'u3-b' });
  });
});
