import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestAlarms, metroAlarm, opsApp, testSite, unitConfig, USERS } from '../dispatch/ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const MIN = 60_000;
const site = testSite([unitConfig('u1', 20, 10), unitConfig('u2', 30, 10), unitConfig('u3', 40, 10)]);

describe('alarm handling: acknowledgement, shelving, out of service, escalation and the plan', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  beforeAll(async () => { t = await opsApp(site, T0); });
  afterAll(async () => { await t?.close(); });
  const settle = () => t.ops.idle();
  const audit = async (entityId: string) => (await t.h.db.selectFrom('audit_log').select(['action', 'actor', 'note', 'data']).where('entity_id', '=', entityId).orderBy('id').execute());

  it('acknowledges one alarm, then all alarms of an incident, which acknowledges the incident', async () => {
    const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now() }), metroAlarm({ at: t.clock.now() + 1000 })], t.clock.now());
    await settle();
    const incident = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
    const [a1] = r.stored;
    expect((await t.call(USERS.unit1, 'POST', `/api/alarms/${a1}/ack`, {})).status).toBe(403);
    const one = await t.call(USERS.operator, 'POST', `/api/alarms/${a1}/ack`, {});
    expect(one).toMatchObject({ status: 200, body: { alarmId: a1, incidentId: incident, changed: true } });
    expect((await t.call(USERS.operator, 'POST', `/api/alarms/${a1}/ack`, {})).body.changed).toBe(false);
    expect((await t.call(USERS.operator, 'GET', `/api/alarms/${a1}`)).body.alarm).toMatchObject({ ackedBy: 'olga' });
    const all = await t.call(USERS.operator, 'POST', `/api/incidents/${incident}/ack`, { note: 'seen on camera' });
    expect(all).toMatchObject({ status: 200, body: { acknowledgedAlarms: 1, incident: { status: 'acknowledged', ackedBy: 'olga' } } });
    const actions = (await audit(incident)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['alarm.acknowledged', 'incident.acknowledged', 'incident.transition']));
  });

  it('escalates an incident nobody acknowledges within the policy\'s 5 minutes to the commander role', async () => {
    const seen: string[] = [];
    const off = t.events.on('incident.updated', (e) => { if (e.data.change === 'unacknowledged') seen.push(e.data.incident.id); });
    const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), kind: 'object.abandoned', camera: 'cam1', zone: 'hall', object: { bbox: [1, 1, 20, 20], class: 'suitcase', dwellSeconds: 30, confidence: 0.8, objectId: 'o1' } })], t.clock.now());
    const id = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
    await settle();
    t.clock.advance(4 * MIN);
    await t.ops.overdue.tick();
    expect(seen).toEqual([]);
    expect((await t.call(USERS.commander, 'GET', '/api/escalations')).body.escalations).toEqual([]);
    t.clock.advance(2 * MIN);
    await t.ops.overdue.tick();
    await settle();
    expect(seen).toEqual([id]);
    const esc = await t.call(USERS.commander, 'GET', '/api/escalations');
    expect(esc.body.escalations.map((e: { incident: { id: string }; to: string }) => [e.incident.id, e.to])).toEqual([[id, 'commander']]);
    expect((await audit(id)).map((a) => a.action)).toEqual(expect.arrayContaining(['warning.incident.unacknowledged', 'incident.escalated_unacknowledged']));
    // Once only, also on a later pass.
    t.clock.advance(5 * MIN);
    await t.ops.overdue.tick();
    expect(seen).toEqual([id]);
    // Acknowledging it ends the escalation.
    expect((await t.call(USERS.commander, 'POST', `/api/incidents/${id}/ack`, {})).status).toBe(200);
    expect((await t.call(USERS.commander, 'GET', '/api/escalations')).body.escalations).toEqual([]);
    off();
  });

  it('suggests resolving once every alarm of the incident has cleared, and withdraws it when trouble returns', async () => {
    const now = t.clock.now();
    const raised = metroAlarm({ at: now, kind: 'camera.frozen', camera: 'cam1' });
    const r = await ingestAlarms(t, [raised], now);
    const id = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
    await ingestAlarms(t, [{ ...metroAlarm({ at: now + 20_000, kind: 'camera.frozen', camera: 'cam1' }), state: 'cleared', episode: raised.episode }], now + 20_000);
    await settle();
    const inc = (await t.call(USERS.engineer, 'GET', `/api/incidents/${id}`)).body.incident;
    expect(inc).toMatchObject({ assignedRole: 'engineer' });
    expect(inc.allClearedAt).not.toBeNull();
    expect((await audit(id)).some((a) => a.action === 'incident.all_cleared')).toBe(true);
    // The engineers' board: an engineer acknowledges and resolves the camera fault.
    expect((await t.call(USERS.engineer, 'GET', '/api/incidents')).body.incidents.map((i: { id: string }) => i.id)).toContain(id);
    await ingestAlarms(t, [metroAlarm({ at: now + 40_000, kind: 'camera.frozen', camera: 'cam1' })], now + 40_000);
    expect((await t.call(USERS.engineer, 'GET', `/api/incidents/${id}`)).body.incident.allClearedAt).toBeNull();
    expect((await t.call(USERS.engineer, 'POST', `/api/incidents/${id}/transition`, { to: 'acknowledged' })).status).toBe(200);
    expect((await t.call(USERS.engineer, 'POST', `/api/incidents/${id}/transition`, { to: 'dispatched' })).status).toBe(403);
    expect((await t.call(USERS.engineer, 'POST', `/api/incidents/${id}/transition`, { to: 'resolved', note: 'camera rebooted' })).status).toBe(200);
  });

  it('shelves a source for a chosen time (8 h at most), lists it, and brings it back by itself', async () => {
    const changes: string[] = [];
    t.events.on('suppression.changed', (e) => changes.push(`${e.data.type}:${e.data.state}:${e.data.actor}`));
    expect((await t.call(USERS.operator, 'POST', '/api/suppressions/shelve', { site: 'metro', source: 'panic1', minutes: 481, reason: 'x' }))).toMatchObject({ status: 400, body: { field: 'minutes' } });
    expect((await t.call(USERS.operator, 'POST', '/api/suppressions/shelve', { site: 'metro', source: 'nope', minutes: 30, reason: 'x' }))).toMatchObject({ status: 400, body: { field: 'source' } });
    expect((await t.call(USERS.unit1, 'POST', '/api/suppressions/shelve', { site: 'metro', source: 'panic1', minutes: 30, reason: 'x' })).status).toBe(403);
    const shelvedAt = t.clock.now();
    const s = await t.call(USERS.operator, 'POST', '/api/suppressions/shelve', { site: 'metro', source: 'panic1', kind: 'sensor.input', minutes: 90, reason: 'button under repair' });
    expect(s).toMatchObject({ status: 201, body: { suppression: { type: 'shelved', source: 'panic1', sourceType: 'sensor', kind: 'sensor.input', createdBy: 'olga', until: new Date(shelvedAt + 90 * MIN).toISOString() } } });
    const list = await t.call(USERS.engineer, 'GET', '/api/suppressions?site=metro');
    expect(list.body.suppressions.map((x: { id: string }) => x.id)).toEqual([s.body.suppression.id]);
    // While shelved: stored, not shown, no incident.
    const during = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), kind: 'sensor.input', camera: 'panic1', severity: 'critical' })], t.clock.now());
    expect(during.incidentsCreated).toBe(0);
    expect(during.events.find((e) => e.type === 'alarm.ingested')!.data).toMatchObject({ suppressed: 'shelved' });
    // Its time is up: back by itself, audited, and off the list.
    t.clock.advance(89 * MIN);
    await settle();
    expect((await t.call(USERS.operator, 'GET', '/api/suppressions')).body.suppressions).toHaveLength(1);
    t.clock.advance(2 * MIN);
    await settle();
    expect((await t.call(USERS.operator, 'GET', '/api/suppressions')).body.suppressions).toEqual([]);
    expect(changes).toEqual(['shelved:active:olga', 'shelved:ended:system:shelving']);
    const trail = await audit('metro/panic1');
    expect(trail.map((a) => [a.action, a.actor])).toEqual([['alarm.shelved', 'olga'], ['alarm.unshelved', 'system:shelving']]);
    expect(JSON.parse(trail[1]!.data!)).toMatchObject({ expired: true });
    const after = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), kind: 'sensor.input', camera: 'panic1', severity: 'critical' })], t.clock.now());
    expect(after.incidentsCreated).toBe(1);
    // Unshelving early by hand.
    const s2 = await t.call(USERS.operator, 'POST', '/api/suppressions/shelve', { site: 'metro', source: 'cam1', minutes: 480, reason: 'cleaning' });
    expect(s2.status).toBe(201);
    expect((await t.call(USERS.operator, 'DELETE', `/api/suppressions/${s2.body.suppression.id}`)).body.suppression).toMatchObject({ endedBy: 'olga' });
    expect((await t.call(USERS.operator, 'DELETE', `/api/suppressions/${s2.body.suppression.id}`)).status).toBe(404);
  });

  it('puts a camera out of service with a reason (engineers, commanders) until it is returned', async () => {
    expect((await t.call(USERS.operator, 'POST', '/api/suppressions/out-of-service', { site: 'metro', source: 'cam1', reason: 'lens replaced' })).status).toBe(403);
    expect((await t.call(USERS.engineer, 'POST', '/api/suppressions/out-of-service', { site: 'metro', source: 'cam1', reason: '' }))).toMatchObject({ status: 400, body: { field: 'reason' } });
    const o = await t.call(USERS.engineer, 'POST', '/api/suppressions/out-of-service', { site: 'metro', source: 'cam1', reason: 'lens replaced' });
    expect(o).toMatchObject({ status: 201, body: { suppression: { type: 'out_of_service', sourceType: 'camera', reason: 'lens replaced', until: null } } });
    t.clock.advance(24 * 60 * MIN);
    await settle();
    const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), kind: 'camera.offline', camera: 'cam1' })], t.clock.now());
    expect(r.events.find((e) => e.type === 'alarm.ingested')!.data).toMatchObject({ suppressed: 'out_of_service' });
    expect((await t.call(USERS.operator, 'DELETE', `/api/suppressions/${o.body.suppression.id}`)).status).toBe(403);
    expect((await t.call(USERS.engineer, 'DELETE', `/api/suppressions/${o.body.suppression.id}`)).status).toBe(200);
    expect((await audit('metro/cam1')).map((a) => a.action)).toEqual(expect.arrayContaining(['source.out_of_service', 'source.in_service']));
  });

  it('activates the plan by policy for a critical incident, and a commander may raise the level but never lose the start', async () => {
    const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), severity: 'critical', zone: 'hall', camera: 'cam1' })], t.clock.now());
    const id = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
    const activatedAt = t.clock.now();
    await settle();
    const inc = (await t.call(USERS.commander, 'GET', `/api/incidents/${id}`)).body.incident;
    expect(inc.plan).toMatchObject({ state: 'activated', level: 'III', activatedBy: 'system:policy', activatedAt: new Date(activatedAt).toISOString() });
    t.clock.advance(3 * MIN);
    const up = await t.call(USERS.commander, 'POST', `/api/incidents/${id}/plan`, { level: 'II', note: 'second platform affected' });
    expect(up.body.incident.plan).toMatchObject({ level: 'II', activatedAt: new Date(activatedAt).toISOString() });
    const trail = (await audit(id)).filter((a) => a.action.startsWith('plan.'));
    expect(trail.map((a) => [a.action, a.actor])).toEqual([['plan.activated', 'system:policy'], ['plan.level_changed', 'chris']]);
    const dl = (await t.call(USERS.commander, 'GET', `/api/incidents/${id}/reports`)).body.deadlines;
    expect(dl.map((d: { dueAt: string }) => d.dueAt)).toEqual([new Date(activatedAt + 60 * MIN).toISOString(), new Date(activatedAt + 120 * MIN).toISOString()]);
  });

  it('shows the alarm load against the ISA-18.2 targets, per operator position and per user', async () => {
    const r = await t.call(USERS.operator, 'GET', '/api/alarm-rates?site=metro&hours=48');
    expect(r.status).toBe(200);
    const rates = r.body.rates;
    expect(rates.targets).toMatchObject({ perOperatorPer10Min: 1, floodPer10Min: 10 });
    expect(rates.presented).toBeGreaterThan(0);
    expect(rates.suppressed).toMatchObject({ shelved: 1, out_of_service: 1 });
    expect(rates.operators.find((o: { name: string }) => o.name === 'olga').acknowledged).toBeGreaterThanOrEqual(2);
    expect(['ok', 'over', 'unmanageable', 'flood']).toContain(rates.verdict);
    expect((await t.call(USERS.unit1, 'GET', '/api/alarm-rates')).status).toBe(403);
  });
});
