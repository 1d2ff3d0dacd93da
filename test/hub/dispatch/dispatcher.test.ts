import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { ValidationError } from '../../../common/errors.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import type { DispatchService } from '../../../hub/dispatch/dispatch-service.ts';
import { incidentPortFrom } from '../../../hub/dispatch/incident-port.ts';
import { createMemoryOpsPublisher } from '../../../hub/dispatch/publisher.ts';
import { listDispatches } from '../../../hub/dispatch/dispatch-store.ts';
import { getUnit } from '../../../hub/units/unit-store.ts';
import { seedUnits } from '../../../hub/units/seed-units.ts';
import { DIALECTS, dispatchServices, insertIncident, openTestDb, summaryOf, testSite, unitConfig } from './ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);

// Units east of the hall (centre 10,10): u1 nearest … u6 farthest; u2 has only 4 members (not ready).
const units = [
  unitConfig('u1', 20, 10),
  unitConfig('u2', 25, 10, { members: ['a', 'b', 'c', 'd'].map((m) => ({ id: `u2-${m}`, name: m })) }),
  unitConfig('u3', 40, 10),
  unitConfig('u4', 60, 10),
  unitConfig('u5', 80, 10),
  unitConfig('u6', 190, 0),
];
const site = testSite(units);

for (const dialect of DIALECTS) {
  describe(`dispatcher on ${dialect}`, () => {
    let h: Awaited<ReturnType<typeof openTestDb>>;
    let clock: FakeClock;
    let pub: ReturnType<typeof createMemoryOpsPublisher>;
    let dispatcher: DispatchService;
    let events: ReturnType<typeof createHubEvents>;
    let incidents: ReturnType<typeof createIncidentService>;

    beforeAll(async () => { h = await openTestDb(dialect); });
    afterAll(async () => { dispatcher?.stop(); await h?.cleanup(); });

    const make = () => dispatchServices({ db: h.db, clock, events, sites: [site], publisher: pub, incidents: incidentPortFrom(incidents) }).dispatch;

    beforeEach(async () => {
      dispatcher?.stop();
      await h.db.deleteFrom('dispatches').execute();
      clock = new FakeClock(T0);
      events = createHubEvents({ now: () => clock.now() });
      incidents = createIncidentService({ db: h.db, dialect: h.dialect, clock, events });
      pub = createMemoryOpsPublisher();
      await h.db.deleteFrom('units').execute();
      await seedUnits(h.db, site, T0);
      dispatcher = make();
      await dispatcher.start();
    });

    it('sends the 3 nearest ready units to a critical crowd incident, skipping the unready one', async () => {
      const id = await insertIncident(h, { at: T0 });
      const sent = await dispatcher.autoDispatch(id);
      expect(sent.map((d) => d.unitId)).toEqual(['u1', 'u3', 'u4']);
      expect(pub.orders.map((o) => o.unit)).toEqual(['u1', 'u3', 'u4']);
      const o = pub.orders[0]!;
      expect(o).toMatchObject({ incident: id, kind: 'crowd.density', severity: 'critical', ackSubject: 'vigil.dispatch.u1.ack' });
      expect(o.location).toMatchObject({ x: 10, y: 10, lat: 48.85, lon: 2.35 });
      expect(o.snapshot?.name).toMatch(/\.jpg$/);
      expect((o.known.crowd as { density: number }).density).toBe(4.5);
      expect(Date.parse(o.ackBy) - T0).toBe(60_000);
      expect(Date.parse(o.onSceneBy) - T0).toBe(30 * 60_000);
      expect((await incidents.getRow(id)).status).toBe('dispatched');
      expect((await getUnit(h.db, 'u1'))!.status).toBe('dispatched');
      const audit = await h.db.selectFrom('audit_log').select(['action']).where('entity_id', '=', id).execute();
      expect(audit.filter((a) => a.action === 'dispatch.sent')).toHaveLength(3);
    });

    it('applies the policy by kind and severity', async () => {
      expect(await dispatcher.autoDispatch(await insertIncident(h, { at: T0, kind: 'camera.offline', severity: 'critical' }))).toHaveLength(0);
      const warn = await dispatcher.autoDispatch(await insertIncident(h, { at: T0, severity: 'warning' }));
      expect(warn.map((d) => d.unitId)).toEqual(['u1']);
      const obj = await dispatcher.autoDispatch(await insertIncident(h, { at: T0, kind: 'object.abandoned', severity: 'warning' }));
      expect(obj.map((d) => d.unitId)).toEqual(['u3', 'u4']);
      // The panic button stands at (200, 0): u6 is nearest there.
      const panic = await dispatcher.autoDispatch(await insertIncident(h, { at: T0, kind: 'sensor.input', camera: 'panic1', zone: null, severity: 'warning' }));
      expect(panic.map((d) => d.unitId)).toEqual(['u6', 'u5']);
    });

    it('escalates to the next nearest unit when one does not acknowledge, and records not_responding', async () => {
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      const [first] = await dispatcher.autoDispatch(id);
      expect(first!.unitId).toBe('u1');
      clock.advance(59_000);
      await dispatcher.idle();
      expect(await listDispatches(h.db, { incidentId: id })).toHaveLength(1);
      clock.advance(2_000);
      await dispatcher.idle();
      const all = await listDispatches(h.db, { incidentId: id });
      const lapsed = all.find((d) => d.unitId === 'u1')!;
      const next = all.find((d) => d.unitId === 'u3')!;
      expect(lapsed.state).toBe('not_responding');
      expect(lapsed.replacedBy).toBe(next.id);
      expect(next.state).toBe('ordered');
      expect((await getUnit(h.db, 'u1'))!.status).toBe('unavailable');
      const audit = await h.db.selectFrom('audit_log').select(['action']).where('entity_id', '=', id).execute();
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['dispatch.not_responding', 'dispatch.escalated']));
      // The second unit acknowledges in time: nothing more happens.
      await dispatcher.report(next.id, 'acknowledged', { name: 'u3-a', unit: 'u3' });
      clock.advance(120_000);
      await dispatcher.idle();
      expect(await listDispatches(h.db, { incidentId: id })).toHaveLength(2);
    });

    it('one call brings several units, each escalated on its own', async () => {
      const id = await insertIncident(h, { at: T0 });
      const sent = await dispatcher.autoDispatch(id);
      await dispatcher.report(sent[0]!.id, 'acknowledged', { name: 'x', unit: 'u1' });
      clock.advance(61_000);
      await dispatcher.idle();
      const all = await listDispatches(h.db, { incidentId: id });
      expect(all.filter((d) => d.state === 'not_responding').map((d) => d.unitId).sort()).toEqual(['u3', 'u4']);
      expect(all.filter((d) => d.state === 'ordered').map((d) => d.unitId).sort()).toEqual(['u5', 'u6']);
    });

    it('tracks en_route and on_scene and moves the incident on scene; releases units when it resolves', async () => {
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      const [d] = await dispatcher.autoDispatch(id);
      await expect(dispatcher.report(d!.id, 'on_scene', { name: 'x', unit: 'u3' })).rejects.toThrow(/not found/);
      clock.advance(10_000);
      await dispatcher.report(d!.id, 'en_route', { name: 'x', unit: 'u1' });
      clock.advance(300_000);
      const on = await dispatcher.report(d!.id, 'on_scene', { name: 'x', unit: 'u1' });
      expect(on).toMatchObject({ state: 'on_scene', ackedAt: T0 + 10_000, enRouteAt: T0 + 10_000, onSceneAt: T0 + 310_000 });
      expect((await incidents.getRow(id)).status).toBe('on_scene');
      expect((await getUnit(h.db, 'u1'))!.status).toBe('on_scene');
      await incidents.transition(id, { to: 'resolved', actor: 'op' });
      await dispatcher.idle();
      expect((await listDispatches(h.db, { incidentId: id }))[0]!.state).toBe('released');
      expect((await getUnit(h.db, 'u1'))!.status).toBe('available');
    });

    it('refuses a manual dispatch of a unit that is not ready, naming it and why', async () => {
      const id = await insertIncident(h, { at: T0, kind: 'camera.offline', severity: 'warning' });
      const err = await dispatcher.dispatch(id, { actor: { name: 'op', role: 'operator' }, units: ['u2'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('units.0');
      expect((err as Error).message).toMatch(/u2 is not ready: has 4 members, needs at least 5/);
      const ok = await dispatcher.dispatch(id, { actor: { name: 'op', role: 'operator' }, units: ['u5'] });
      expect(ok[0]!.orderedBy).toBe('op');
      const near = await dispatcher.dispatch(id, { actor: { name: 'op', role: 'operator' }, count: 2 });
      expect(near.map((d) => d.unitId)).toEqual(['u1', 'u3']);
    });

    it('tops up to the policy count when the incident escalates to critical', async () => {
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      expect((await dispatcher.autoDispatch(id)).map((d) => d.unitId)).toEqual(['u1']);
      await h.db.updateTable('incidents').set({ severity: 'critical', escalation_level: 1 }).where('id', '=', id).execute();
      events.emit('incident.updated', { incident: summaryOf({ id, status: 'dispatched', alarmCount: 2, escalationLevel: 1 }), change: 'escalated' });
      await dispatcher.idle();
      const active = await listDispatches(h.db, { incidentId: id, active: true });
      expect(active.map((d) => d.unitId).sort()).toEqual(['u1', 'u3', 'u4']);
    });

    it('refuses a late acknowledgement from a unit that was replaced', async () => {
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      const [d] = await dispatcher.autoDispatch(id);
      clock.advance(61_000);
      await dispatcher.idle();
      await expect(dispatcher.report(d!.id, 'acknowledged', { name: 'x', unit: 'u1' })).rejects.toThrow(/dispatch cannot go from not_responding to acknowledged/);
      // Every unit lets its order lapse: the incident goes back to the operators.
      for (let i = 0; i < 5; i++) { clock.advance(61_000); await dispatcher.idle(); }
      const all = await listDispatches(h.db, { incidentId: id });
      expect(all.map((x) => x.state)).toEqual(['not_responding', 'not_responding', 'not_responding', 'not_responding', 'not_responding']);
      expect((await incidents.getRow(id)).status).toBe('acknowledged');
    });

    it('waits for an operator on an incident whose policy outcome is not dispatch', async () => {
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      events.emit('incident.created', { incident: summaryOf({ id, severity: 'warning', outcome: 'incident' }), alarmId: 'x' });
      events.emit('incident.updated', { incident: summaryOf({ id, severity: 'warning', outcome: 'incident' }), change: 'escalated' });
      await dispatcher.idle();
      expect(await listDispatches(h.db, { incidentId: id })).toEqual([]);
    });

    it('auto-dispatches on incident.created and re-arms ack timers after a restart', async () => {
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      events.emit('incident.created', { incident: summaryOf({ id, severity: 'warning', outcome: 'dispatch' }), alarmId: 'x' });
      await dispatcher.idle();
      expect((await listDispatches(h.db, { incidentId: id })).map((d) => d.unitId)).toEqual(['u1']);
      dispatcher.stop();
      // A new hub process: fresh clock timers, same database.
      const later = new FakeClock(T0 + 30_000);
      clock = later;
      dispatcher = make();
      await dispatcher.start();
      later.advance(31_000);
      await dispatcher.idle();
      const all = await listDispatches(h.db, { incidentId: id });
      expect(all.map((d) => [d.unitId, d.state]).sort()).toEqual([['u1', 'not_responding'], ['u3', 'ordered']]);
    });
  });
}
