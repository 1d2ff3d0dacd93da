import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { ValidationError } from '../../../common/errors.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { incidentPortFrom } from '../../../hub/dispatch/incident-port.ts';
import { createMemoryOpsPublisher } from '../../../hub/dispatch/publisher.ts';
import { createPlanService } from '../../../hub/plan/plan-service.ts';
import { createAlarmPolicies } from '../../../hub/alarms/alarm-policy.ts';
import { createReportService } from '../../../hub/reports/report-service.ts';
import { createOverdueWatcher, listOverdue } from '../../../hub/reports/overdue.ts';
import { seedUnits } from '../../../hub/units/seed-units.ts';
import { DIALECTS, dispatchServices, insertIncident, openTestDb, summaryOf, testSite, unitConfig } from '../dispatch/ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const MIN = 60_000;
const site = testSite([unitConfig('u1', 20, 10), unitConfig('u2', 30, 10), unitConfig('u3', 40, 10)]);
const summary = (id: string) => ({ incident: summaryOf({ id, severity: 'warning', outcome: 'dispatch' }), alarmId: 'a' });
const COMMANDER = { name: 'cmd', role: 'commander' };

const firstReport = { situation: 'Hall crowded at 10:00', whatHappened: 'Density rose past 4 persons/m²' };
const writtenReport = { ...firstReport, cause: 'Two trains arriving at once', trend: 'falling after 10:20', measures: [{ taken: 'gate 3 closed', effect: 'inflow halved' }], nextSteps: 'stagger arrivals' };

for (const dialect of DIALECTS) {
  describe(`reports and deadlines on ${dialect}`, () => {
    let h: Awaited<ReturnType<typeof openTestDb>>;
    beforeAll(async () => { h = await openTestDb(dialect); await seedUnits(h.db, site, T0); });
    afterAll(async () => { await h?.cleanup(); });

    /** The services one hub process runs, on this file's database with a fake clock. */
    const services = () => {
      const clock = new FakeClock(T0);
      const events = createHubEvents({ now: () => clock.now() });
      const incidents = createIncidentService({ db: h.db, dialect: h.dialect, clock, events });
      const pub = createMemoryOpsPublisher();
      const dispatcher = dispatchServices({ db: h.db, clock, events, sites: [site], publisher: pub, incidents: incidentPortFrom(incidents) }).dispatch;
      const reports = createReportService({ db: h.db, clock, events, sites: [site] });
      const plan = createPlanService({ db: h.db, dialect: h.dialect, clock, events, policies: createAlarmPolicies([site]) });
      return { clock, events, incidents, pub, dispatcher, reports, plan };
    };

    it('starts the report clocks at the plan\'s activation (fake clock), pre-fills a draft, checks and records reports', async () => {
      const { clock, events, dispatcher, reports, plan } = services();
      await dispatcher.start();
      await reports.start();
      const id = await insertIncident(h, { at: T0, severity: 'warning' });
      events.emit('incident.created', summary(id));
      await reports.idle();
      await dispatcher.idle();
      const [d] = await h.db.selectFrom('dispatches').select(['id']).where('incident_id', '=', id).execute();
      clock.advance(20_000);
      await dispatcher.report(d!.id, 'acknowledged', { name: 'u1-a', unit: 'u1' });
      clock.advance(4 * MIN);
      await dispatcher.report(d!.id, 'on_scene', { name: 'u1-a', unit: 'u1' });

      // Alarm raised, plan not activated: no clock runs, and a report has nothing to answer to.
      expect(await reports.deadlines(id)).toEqual([]);
      expect(await listOverdue(h.db, clock.now() + 5 * 3_600_000)).toEqual([]);
      const early = await reports.submit(id, 'first', firstReport, 'cmd').catch((e: unknown) => e);
      expect((early as ValidationError).field).toBe('plan');

      clock.advance(10 * MIN);
      const activatedAt = clock.now();
      const row = await plan.activate(id, { level: 'III', note: 'two trains at once' }, COMMANDER);
      expect(row).toMatchObject({ plan_level: 'III', plan_activated_by: 'cmd', plan_activated_at_ms: activatedAt, on_scene_due_ms: activatedAt + 30 * MIN });
      const audit = await h.db.selectFrom('audit_log').select(['actor', 'action', 'data']).where('entity_id', '=', id).where('action', '=', 'plan.activated').execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toBe('cmd');
      expect(JSON.parse(audit[0]!.data!)).toMatchObject({ level: 'III', by: 'cmd', auto: false });
      // Activating again at the same level changes nothing; the clocks keep their start.
      clock.advance(MIN);
      await plan.activate(id, { level: 'III' }, COMMANDER);
      const dl = await reports.deadlines(id);
      expect(dl.map((x) => [x.kind, x.dueAt - activatedAt, x.overdue])).toEqual([['first', 60 * MIN, false], ['written', 120 * MIN, false]]);

      const draft = await reports.draft(id);
      expect(draft.facts.alarms).toHaveLength(1);
      expect(draft.facts.densities[0]).toMatchObject({ density: 4.5, los: 'F', count: 200 });
      expect(draft.facts.units[0]).toMatchObject({ unit: 'u1', state: 'on_scene', onSceneMinutes: 4.3 });
      expect(draft.body.situation).toContain('zone hall');
      expect(draft.body.trend).toMatch(/rising/);
      expect(draft.body.people.involved).toBe(200);
      expect(draft.body.measures[0]!.taken).toMatch(/unit Unit u1 dispatched .* on scene/);

      const bad = await reports.submit(id, 'first', { whatHappened: 'x' }, 'cmd').catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ValidationError);
      expect((bad as ValidationError).field).toBe('situation');
      const noCause = await reports.submit(id, 'written', firstReport, 'cmd').catch((e: unknown) => e);
      expect((noCause as ValidationError).field).toBe('cause');

      clock.advance(30 * MIN);
      const first = await reports.submit(id, 'first', firstReport, 'cmd');
      expect(first).toMatchObject({ kind: 'first', late: false, submittedBy: 'cmd' });
      expect((await reports.submitted(id, 'first'))!.body.situation).toBe(firstReport.situation);
      dispatcher.stop();
      reports.stop();
    });

    it('raises one warning per overdue item, and not again after a restart', async () => {
      await h.db.deleteFrom('dispatches').execute();
      await h.db.updateTable('units').set({ status: 'available' }).execute();
      const { clock, events, pub, dispatcher, reports, plan } = services();
      const seen: string[] = [];
      events.on('warning.raised', (e) => seen.push(e.data.key));
      await dispatcher.start();
      await reports.start();
      let watcher = createOverdueWatcher({ db: h.db, clock, events, publisher: pub, intervalMs: 15_000 });
      watcher.start();
      const id = await insertIncident(h, { at: T0 });
      events.emit('incident.created', summary(id));
      await plan.activate(id, { level: 'II' }, COMMANDER);
      await reports.idle();
      await dispatcher.idle();
      const sent = await h.db.selectFrom('dispatches').select(['id', 'unit_id']).where('incident_id', '=', id).orderBy('ordered_at_ms').execute();
      expect(sent).toHaveLength(3);
      // u1 and u2 acknowledge; u3 does not (and no other unit is left to replace it).
      await dispatcher.report(sent.find((s) => s.unit_id === 'u1')!.id, 'acknowledged', { name: 'x', unit: 'u1' });
      await dispatcher.report(sent.find((s) => s.unit_id === 'u2')!.id, 'en_route', { name: 'x', unit: 'u2' });

      const step = async (ms: number) => {
        for (let t = 0; t < ms; t += 15_000) {
          clock.advance(15_000);
          await dispatcher.idle();
          await watcher.idle();
        }
      };
      await step(2 * MIN);
      const u3 = sent.find((s) => s.unit_id === 'u3')!.id;
      expect(seen).toEqual([`dispatch.unacknowledged:${u3}`]);
      expect(pub.warnings.map((w) => w.key)).toEqual(seen);

      await step(30 * MIN);
      expect(seen.slice(1).sort()).toEqual(sent.filter((s) => s.unit_id !== 'u3').map((s) => `dispatch.on_scene_overdue:${s.id}`).sort());
      await dispatcher.report(sent.find((s) => s.unit_id === 'u1')!.id, 'on_scene', { name: 'x', unit: 'u1' });

      await step(30 * MIN);
      expect(seen.at(-1)).toBe(`report.first:${id}`);
      expect(pub.warnings.at(-1)).toMatchObject({ site: 'metro', kind: 'report.first', entityId: id });
      const count = seen.length;

      // A new hub process: the warnings already raised are not raised again.
      watcher.stop();
      watcher = createOverdueWatcher({ db: h.db, clock, events, publisher: pub, intervalMs: 15_000 });
      watcher.start();
      await step(5 * MIN);
      expect(seen.length).toBe(count);
      const overdue = await listOverdue(h.db, clock.now());
      expect(overdue.find((o) => o.key === `report.first:${id}`)!.warnedAt).not.toBeNull();

      await reports.submit(id, 'first', firstReport, 'cmd');
      expect((await listOverdue(h.db, clock.now())).some((o) => o.kind === 'report.first')).toBe(false);
      const late = (await reports.deadlines(id)).find((x) => x.kind === 'first')!;
      expect(late.late).toBe(true);

      await step(60 * MIN);
      expect(seen.filter((k) => k === `report.written:${id}`)).toHaveLength(1);
      await reports.submit(id, 'written', writtenReport, 'cmd');
      watcher.stop();
      dispatcher.stop();
      reports.stop();
    });
  });
}
