import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiUser } from '../../../hub/api/deps.ts';
import { eventVisibleTo } from '../../../hub/api/stream-filter.ts';
import type { AnyHubEvent } from '../../../hub/events.ts';
import { ingestAlarms, metroAlarm, opsApp, testSite, unitConfig, USERS } from '../dispatch/ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const MIN = 60_000;
const metro = testSite([unitConfig('u1', 20, 10), unitConfig('u2', 30, 10)]);
const depot = testSite([unitConfig('d1', 20, 10)], 'depot');

/** Logins of one site (hub.yaml users[].sites): the metro's guard, commander and engineer. */
const M = {
  operator: { name: 'mia', role: 'operator', sites: ['metro'] },
  commander: { name: 'max', role: 'commander', sites: ['metro'] },
  engineer: { name: 'meg', role: 'engineer', sites: ['metro'] },
} as const satisfies Record<string, ApiUser>;

/**
 * The operations routes (issue 13) under the site scope (issue 12): a login of
 * one site sees and acts on that site only; another site's records do not
 * exist for it (404), its lists hold its own site only, and the stream's new
 * events are filtered by site like the others.
 */
describe('operations scoped to the login\'s sites', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  const events: AnyHubEvent[] = [];
  const ids = { metroInc: '', depotInc: '', metroAlarm: '', depotAlarm: '' };
  beforeAll(async () => {
    t = await opsApp(metro, T0, { extraSites: [depot] });
    t.events.on('*', (e) => events.push(e));
    for (const site of ['metro', 'depot'] as const) {
      const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), site, kind: 'object.abandoned', zone: 'hall', object: { bbox: [1, 1, 20, 20], class: 'suitcase', dwellSeconds: 30, confidence: 0.8, objectId: `o-${site}` } })], t.clock.now());
      const inc = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
      if (site === 'metro') { ids.metroInc = inc; ids.metroAlarm = r.stored[0]!; } else { ids.depotInc = inc; ids.depotAlarm = r.stored[0]!; }
    }
    await t.ops.idle();
  });
  afterAll(async () => { await t?.close(); });

  it('escalation banners: each commander sees the unacknowledged incidents of their own sites', async () => {
    t.clock.advance(6 * MIN);
    await t.ops.overdue.tick();
    await t.ops.idle();
    const list = async (u: ApiUser) => (await t.call(u, 'GET', '/api/escalations')).body.escalations.map((e: { incident: { id: string } }) => e.incident.id).sort();
    expect(await list(USERS.commander)).toEqual([ids.metroInc, ids.depotInc].sort());
    expect(await list(M.commander)).toEqual([ids.metroInc]);
  });

  it('acknowledges alarms and incidents of its own sites only', async () => {
    expect((await t.call(M.operator, 'POST', `/api/alarms/${ids.depotAlarm}/ack`, {})).status).toBe(404);
    expect((await t.call(M.operator, 'POST', `/api/incidents/${ids.depotInc}/ack`, {})).status).toBe(404);
    const depotAlarm = await t.h.db.selectFrom('alarms').select('acked_at_ms').where('id', '=', ids.depotAlarm).executeTakeFirstOrThrow();
    expect(depotAlarm.acked_at_ms).toBeNull();
    expect((await t.call(M.operator, 'POST', `/api/alarms/${ids.metroAlarm}/ack`, {})).status).toBe(200);
    expect((await t.call(M.operator, 'POST', `/api/incidents/${ids.metroInc}/ack`, {})).status).toBe(200);
    expect((await t.call(USERS.operator, 'POST', `/api/alarms/${ids.depotAlarm}/ack`, {})).status).toBe(200);
    const zh = await t.call(M.operator, 'POST', `/api/incidents/${ids.depotInc}/ack`, {}, 'zh-CN');
    expect(zh.body).toEqual({ error: 'not_found', message: `找不到事件 ${ids.depotInc}` });
  });

  it('activates the plan, and prints its reports, for its own sites only', async () => {
    expect((await t.call(USERS.commander, 'POST', `/api/incidents/${ids.depotInc}/plan`, { level: 'IV' })).status).toBe(200);
    expect((await t.call(M.commander, 'POST', `/api/incidents/${ids.depotInc}/plan`, { level: 'III' })).status).toBe(404);
    expect((await t.h.db.selectFrom('incidents').select('plan_level').where('id', '=', ids.depotInc).executeTakeFirstOrThrow()).plan_level).toBe('IV');
    expect((await t.call(M.commander, 'POST', `/api/incidents/${ids.metroInc}/plan`, { level: 'IV' })).status).toBe(200);
    const print = async (u: ApiUser, id: string) => (await t.app.request(`/api/incidents/${id}/reports/first/print?lang=zh-CN`, { headers: await t.authHeaders(u) })).status;
    expect(await print(USERS.commander, ids.depotInc)).toBe(200);
    expect(await print(M.commander, ids.depotInc)).toBe(404);
    expect(await print(M.commander, ids.metroInc)).toBe(200);
    expect((await t.call(M.commander, 'GET', `/api/incidents/${ids.depotInc}/reports/first/draft`)).status).toBe(404);
  });

  it('shelves, takes out of service and lists sources of its own sites only', async () => {
    const shelf = { source: 'cam1', minutes: 30, reason: 'maintenance nearby' };
    const depotShelf = await t.call(USERS.operator, 'POST', '/api/suppressions/shelve', { site: 'depot', ...shelf });
    expect(depotShelf.status).toBe(201);
    expect((await t.call(M.operator, 'POST', '/api/suppressions/shelve', { site: 'depot', ...shelf })).status).toBe(404);
    expect((await t.call(M.engineer, 'POST', '/api/suppressions/out-of-service', { site: 'depot', source: 'cam1', reason: 'lens' })).status).toBe(404);
    expect((await t.call(M.operator, 'DELETE', `/api/suppressions/${depotShelf.body.suppression.id}`)).status).toBe(404);
    expect((await t.call(M.operator, 'POST', '/api/suppressions/shelve', { site: 'metro', ...shelf })).status).toBe(201);
    const sites = async (u: ApiUser, q = '') => (await t.call(u, 'GET', `/api/suppressions${q}`)).body.suppressions.map((s: { site: string }) => s.site).sort();
    expect(await sites(USERS.operator)).toEqual(['depot', 'metro']);
    expect(await sites(M.operator)).toEqual(['metro']);
    expect(await sites(M.operator, '?site=depot')).toEqual([]);
    expect((await t.call(USERS.operator, 'DELETE', `/api/suppressions/${depotShelf.body.suppression.id}`)).status).toBe(200);
  });

  it('counts the alarm rates and the flood summaries of its own sites only', async () => {
    const rates = async (u: ApiUser, q = '') => (await t.call(u, 'GET', `/api/alarm-rates${q}`)).body.rates;
    expect(await rates(USERS.operator)).toMatchObject({ site: null, presented: 2 });
    expect(await rates(M.operator)).toMatchObject({ site: 'metro', presented: 1 });
    expect(await rates(M.operator, '?site=depot')).toMatchObject({ presented: 0 });
    const now = t.clock.now();
    await t.h.db.insertInto('alarm_floods').values(['metro', 'depot'].map((site) => ({ key: `${site}/cam1/crowd.density`, site, source: 'cam1', kind: 'crowd.density', window_start_ms: now, last_at_ms: now, count: 30, suppressed: 20 }))).execute();
    const floods = async (u: ApiUser) => (await t.call(u, 'GET', '/api/alarms/floods')).body.floods.map((f: { site: string }) => f.site).sort();
    expect(await floods(USERS.operator)).toEqual(['depot', 'metro']);
    expect(await floods(M.operator)).toEqual(['metro']);
  });

  it('lists the webhook outbox of its own sites only', async () => {
    const now = t.clock.now();
    await t.h.db.insertInto('notifications').values(['metro', 'depot'].map((site) => ({
      id: `n-${site}`, webhook: 'pa', event: 'plan.activated', site, incident_id: null, payload: '{}', state: 'delivered' as const, attempts: 1, next_at_ms: now, created_at_ms: now, delivered_at_ms: now, last_status: 200, last_error: null,
    }))).execute();
    const list = async (u: ApiUser) => (await t.call(u, 'GET', '/api/notifications')).body.notifications.map((n: { site: string }) => n.site).sort();
    expect(await list(USERS.commander)).toEqual(['depot', 'metro']);
    expect(await list(M.commander)).toEqual(['metro']);
  });

  it('dispatches, releases and sets unit statuses on its own sites only', async () => {
    const sent = await t.call(USERS.operator, 'POST', '/api/dispatches', { incident: ids.depotInc, units: ['d1'] });
    expect(sent.status).toBe(201);
    const dispatchId = sent.body.dispatches[0].id as string;
    expect((await t.call(M.operator, 'POST', `/api/dispatches/${dispatchId}/release`, {})).status).toBe(404);
    expect((await t.call(M.operator, 'GET', '/api/dispatches')).body.dispatches).toEqual([]);
    expect((await t.call(M.operator, 'PATCH', '/api/units/d1/status', { status: 'unavailable' })).status).toBe(404);
    expect((await t.call(M.operator, 'GET', '/api/units')).body.units.map((u: { id: string }) => u.id).sort()).toEqual(['u1', 'u2']);
    expect((await t.call(USERS.operator, 'POST', `/api/dispatches/${dispatchId}/release`, {})).status).toBe(200);
  });

  it('filters the stream\'s operations events by site', () => {
    const types = ['alarm.acknowledged', 'suppression.changed', 'incident.updated', 'warning.raised', 'dispatch.sent', 'unit.updated'];
    const ops = events.filter((e) => types.includes(e.type));
    // Every one of these events says its site, so that the stream can filter it.
    expect(ops.filter((e) => e.site === undefined)).toEqual([]);
    for (const type of ['alarm.acknowledged', 'suppression.changed', 'incident.updated']) {
      expect(ops.some((e) => e.type === type && e.site === 'depot'), `${type} at depot`).toBe(true);
      expect(ops.some((e) => e.type === type && e.site === 'metro'), `${type} at metro`).toBe(true);
    }
    const seenBy = (u: ApiUser) => ops.filter((e) => eventVisibleTo(e, u));
    expect(seenBy(M.operator).length).toBeGreaterThan(0);
    expect(seenBy(M.operator).every((e) => e.site === 'metro')).toBe(true);
    expect(seenBy(M.commander).some((e) => e.type === 'incident.updated' && (e.data as { change: string }).change === 'unacknowledged')).toBe(true);
    expect(seenBy(USERS.commander).some((e) => e.site === 'depot')).toBe(true);
  });
});
