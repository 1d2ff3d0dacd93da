import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../../common/alarm.ts';
import { siteSchema } from '../../../common/config/site.ts';
import { storeAndCorrelate, type PendingEvent } from '../../../hub/incidents/correlator.ts';
import { createAlarmPolicies } from '../../../hub/alarms/alarm-policy.ts';
import { DIALECTS, openTestDb, type TestDb } from '../store/test-db.ts';
import { at, crowdAlarm, T0 } from '../store/fixtures.ts';

const sensor = (over: Partial<Alarm> = {}): Alarm => {
  const id = `s-${Math.random().toString(36).slice(2)}`;
  return { v: 1, id, kind: 'sensor.motion', state: 'raised', severity: 'info', site: 'metro', camera: 'cam1', zone: null, episode: id, capturedAt: at(T0, 0), mediaTime: null, edge: 'e1', sensor: { sensorId: 'cam1', type: 'motion', source: 'onvif' }, ...over } as Alarm;
};

for (const dialect of DIALECTS) {
  describe(`alarm policy at ingest on ${dialect}`, () => {
    let t: TestDb;
    let n = 0;
    const policies = createAlarmPolicies([siteSchema.parse({ site: { id: 'metro', name: 'Metro' }, policy: { flood: { maxAlarms: 3, windowS: 600 } } })]);
    const ingest = (alarms: Alarm[], receivedAtMs = T0) => t.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((alarm) => ({ alarm, receivedAtMs })), { windowMs: 120_000, dialect, policies }));
    const site = () => `metro`;
    const events = (r: { events: PendingEvent[] }, type: string) => r.events.filter((e) => e.type === type);
    beforeAll(async () => { t = await openTestDb(dialect); });
    afterAll(async () => { await t?.cleanup(); });

    it('keeps an info alarm in the feed only, with no incident and no deadline', async () => {
      const a = sensor({ camera: `cam-${++n}` });
      const r = await ingest([a]);
      expect(r.incidentsCreated).toBe(0);
      expect(events(r, 'alarm.ingested')[0]!.data).toMatchObject({ id: a.id, incidentId: null, outcome: 'feed', suppressed: null });
      const row = await t.db.selectFrom('alarms').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ outcome: 'feed', suppressed: null });
      expect(await t.db.selectFrom('incident_alarms').selectAll().where('alarm_id', '=', a.id).execute()).toEqual([]);
    });

    it('opens a camera fault on the engineers\' board, one incident per camera', async () => {
      const cam = `cam-${++n}`;
      const off = (camera: string) => ({ ...sensor({ camera, kind: 'camera.offline', severity: 'warning' }), sensor: undefined, health: { reason: 'no frames for 10 s' } }) as Alarm;
      const r = await ingest([off(cam), off(`${cam}-b`)]);
      expect(r.incidentsCreated).toBe(2);
      const incs = await t.db.selectFrom('incidents').selectAll().where('kind', '=', 'camera.offline').where('zone', '=', '').execute();
      expect(incs.filter((i) => [`metro|@${cam}|camera.offline`, `metro|@${cam}-b|camera.offline`].includes(i.correlation_key ?? ''))).toHaveLength(2);
      expect(incs.every((i) => i.assigned_role === 'engineer' && i.outcome === 'incident' && i.plan_activated_at_ms === null)).toBe(true);
    });

    it('marks a critical incident for dispatch, and a warning incident that escalates to critical too', async () => {
      const zone = `z${++n}`;
      const r = await ingest([crowdAlarm({ zone, severity: 'critical', capturedAt: at(T0, 0) })]);
      expect(events(r, 'incident.created')[0]!.data).toMatchObject({ incident: { outcome: 'dispatch', assignedRole: 'operator', planLevel: null } });
      const zone2 = `z${++n}`;
      await ingest([crowdAlarm({ zone: zone2, severity: 'warning', capturedAt: at(T0, 0), density: 2.1 })]);
      const inc0 = await t.db.selectFrom('incidents').selectAll().where('zone', '=', zone2).executeTakeFirstOrThrow();
      expect(inc0.outcome).toBe('incident');
      const r2 = await ingest([crowdAlarm({ zone: zone2, severity: 'warning', capturedAt: at(T0, 20), density: 3.5 })]);
      expect(events(r2, 'incident.updated')[0]!.data).toMatchObject({ change: 'escalated', incident: { severity: 'critical', outcome: 'dispatch' } });
    });

    it('correlates repeats into the open incident and summarises a flooding source instead of showing every alarm', async () => {
      const cam = `cam-${++n}`;
      const alarms = Array.from({ length: 8 }, (_, i) => sensor({ camera: cam, kind: 'sensor.door', severity: 'warning', capturedAt: at(T0, i * 5), episode: `ep-${cam}-${i}` }));
      const r1 = await ingest(alarms.slice(0, 2));
      const r2 = await ingest(alarms.slice(2));
      expect(r1.incidentsCreated + r2.incidentsCreated).toBe(1);
      const shown = [...events(r1, 'alarm.ingested'), ...events(r2, 'alarm.ingested')].filter((e) => (e.data as { suppressed: string | null }).suppressed === null);
      expect(shown).toHaveLength(3);
      const floods = events(r2, 'alarm.flood');
      expect(floods).toHaveLength(1);
      expect(floods[0]!.data).toMatchObject({ source: cam, kind: 'sensor.door', count: 8, suppressed: 5, maxAlarms: 3, started: true });
      const rows = await t.db.selectFrom('alarms').select(['id', 'suppressed']).where('camera', '=', cam).execute();
      expect(rows.filter((x) => x.suppressed === 'flood')).toHaveLength(5);
      // Every alarm, shown or summarised, is in the one incident.
      const inc = await t.db.selectFrom('incidents').selectAll().where('correlation_key', '=', `metro|@${cam}|sensor.door`).executeTakeFirstOrThrow();
      expect(inc.alarm_count).toBe(8);
      // A redelivered batch counts nothing twice.
      const again = await ingest(alarms.slice(2));
      expect(again.duplicates).toHaveLength(6);
      expect((await t.db.selectFrom('alarm_floods').selectAll().where('source', '=', cam).executeTakeFirstOrThrow()).count).toBe(8);
      // A new window shows alarms again.
      const later = await ingest([sensor({ camera: cam, kind: 'sensor.door', severity: 'warning', capturedAt: at(T0, 700) })]);
      expect(events(later, 'alarm.ingested')[0]!.data).toMatchObject({ suppressed: null });
      expect(events(later, 'alarm.flood')).toHaveLength(0);
    });

    it('counts a redelivered alarm once, so that it cannot push a new one over the limit', async () => {
      const cam = `cam-${++n}`;
      const door = (i: number) => sensor({ camera: cam, kind: 'sensor.door', severity: 'warning', capturedAt: at(T0, i), episode: `ep-${cam}-${i}` });
      const [a1, a2, a3] = [door(1), door(2), door(3)];
      await ingest([a1!, a2!]);
      // Two redeliveries and one new alarm in one batch: the new one is the third of the window (the limit), so it shows.
      const r = await ingest([a1!, a2!, a3!]);
      expect(r.duplicates.sort()).toEqual([a1!.id, a2!.id].sort());
      expect(events(r, 'alarm.ingested').map((e) => e.data)).toEqual([expect.objectContaining({ id: a3!.id, suppressed: null })]);
      expect((await t.db.selectFrom('alarms').select('suppressed').where('id', '=', a3!.id).executeTakeFirstOrThrow()).suppressed).toBeNull();
      expect((await t.db.selectFrom('alarm_floods').selectAll().where('source', '=', cam).executeTakeFirstOrThrow()).count).toBe(3);
    });

    it('stores a shelved or out-of-service source\'s alarms without showing them or opening an incident, until the shelf ends', async () => {
      const cam = `cam-${++n}`;
      await t.db.insertInto('alarm_suppressions').values([
        { id: `sh-${cam}`, type: 'shelved', site: site(), source: cam, kind: 'sensor.door', reason: 'door propped open for a delivery', created_by: 'olga', created_at_ms: T0, until_ms: T0 + 60_000, ended_at_ms: null, ended_by: null },
        { id: `oos-${cam}`, type: 'out_of_service', site: site(), source: `${cam}-x`, kind: null, reason: 'lens replaced', created_by: 'emil', created_at_ms: T0, until_ms: null, ended_at_ms: null, ended_by: null },
      ]).execute();
      const door = (s: number, camera = cam) => sensor({ camera, kind: 'sensor.door', severity: 'warning', capturedAt: at(T0, s) });
      const r = await ingest([door(10), door(11, `${cam}-x`), sensor({ camera: cam, kind: 'sensor.tamper', severity: 'warning', capturedAt: at(T0, 12) })], T0 + 10_000);
      const ing = events(r, 'alarm.ingested').map((e) => (e.data as { suppressed: string | null }).suppressed);
      expect(ing.sort()).toEqual(['out_of_service', 'shelved', null].sort());
      expect(r.incidentsCreated).toBe(1); // the tamper alarm: another kind, not shelved
      // Past the shelf's time (whether or not its expiry was recorded yet), the source is back.
      const back = await ingest([door(70)], T0 + 70_000);
      expect(events(back, 'alarm.ingested')[0]!.data).toMatchObject({ suppressed: null });
      expect(back.incidentsCreated).toBe(1);
    });
  });
}
