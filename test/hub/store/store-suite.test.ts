import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { TransitionError } from '../../../common/errors.ts';
import { FakeClock } from '../../../common/clock.ts';
import { createDatabase, migrateToLatest } from '../../../hub/store/database.ts';
import { folderMigrationProvider } from '../../../hub/store/migrate.ts';
import { storeAndCorrelate, type IncomingAlarm } from '../../../hub/incidents/correlator.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { appendAudit } from '../../../hub/store/audit.ts';
import { storeDeadLetters } from '../../../hub/ingest/dead-letter.ts';
import { DIALECTS, openTestDb, type TestDb } from './test-db.ts';
import { at, crowdAlarm, T0 } from './fixtures.ts';
import type { Alarm } from '../../../common/alarm.ts';

const WINDOW = 120_000;
const item = (alarm: Alarm, receivedAtMs = T0): IncomingAlarm => ({ alarm, receivedAtMs, streamSeq: null });

for (const dialect of DIALECTS) {
  describe(`hub store on ${dialect}`, () => {
    let t: TestDb;
    let site = 0;
    const nextSite = () => `site${++site}`;
    const ingest = (alarms: Alarm[]) => t.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((a) => item(a)), { windowMs: WINDOW, dialect }));

    beforeAll(async () => { t = await openTestDb(dialect); });
    afterAll(async () => { await t?.cleanup(); });

    it('migrates idempotently: a second run applies nothing', async () => {
      expect(await migrateToLatest(t.db)).toEqual([]);
    });

    it('brings a store migrated by either branch up to both series: operations and security, in either order', async () => {
      const all = await folderMigrationProvider().getMigrations();
      const OPS = ['2026-11-29T10-ops-alarm-policy'];
      const SECURITY = ['2026-11-29T12-security-tables', '2026-11-29T13-audit-retention'];
      for (const name of [...OPS, ...SECURITY]) expect(Object.keys(all)).toContain(name);
      for (const later of [OPS, SECURITY]) {
        const u = await openTestDb(dialect, { migrate: false });
        try {
          const earlier = Object.fromEntries(Object.entries(all).filter(([n]) => !later.includes(n)));
          await migrateToLatest(u.db, { getMigrations: async () => earlier });
          expect(await migrateToLatest(u.db)).toEqual(later);
          for (const table of ['alarm_suppressions', 'alarm_floods', 'notifications', 'sessions', 'login_limits', 'stream_tickets', 'audit_exports']) {
            await sql`select count(*) from ${sql.table(table)}`.execute(u.db);
          }
          // Both series' changes to the shared tables: alarms gain their outcome (ops), the audit refuses updates (security).
          await u.db.selectFrom('alarms').select(['outcome', 'suppressed', 'acked_at_ms']).execute();
          await appendAudit(u.db, { atMs: T0, actor: 'test', action: 'test.entry', entity: 'test', entityId: 'x' });
          await expect(u.db.updateTable('audit_log').set({ note: 'rewritten' }).execute()).rejects.toThrow();
        } finally {
          await u.cleanup();
        }
      }
    });

    it('retries a migration that met another schema being dropped, but not a fault of its own', async () => {
      // Kysely's introspection reads every schema; a concurrent drop elsewhere (seen in CI) must not fail start-up.
      const all = await folderMigrationProvider().getMigrations();
      const raceError = (name: string) => Object.assign(new Error(`schema "${name}" does not exist`), { code: '3F000' });
      const u = await openTestDb(dialect, { migrate: false });
      try {
        let calls = 0;
        const flaky = { getMigrations: async () => { if (++calls === 1) throw raceError('vigil_test_someone_else'); return all; } };
        expect(await migrateToLatest(u.db, flaky)).toEqual(Object.keys(all).sort());
        expect(calls).toBe(2);
        const own = dialect === 'postgres' ? (u.options as { schema: string }).schema : undefined;
        let ownCalls = 0;
        const broken = { getMigrations: async () => { ownCalls++; throw own ? raceError(own) : new Error('no such table'); } };
        await expect(migrateToLatest(u.db, broken)).rejects.toThrow(/migration/);
        expect(ownCalls).toBe(1);
      } finally {
        await u.cleanup();
      }
    });

    it('stores an alarm once, whatever the number of deliveries', async () => {
      const a = crowdAlarm({ site: nextSite() });
      const first = await ingest([a, a]);
      const second = await ingest([a]);
      expect(first.stored).toEqual([a.id]);
      expect(second.stored).toEqual([]);
      expect(second.duplicates).toEqual([a.id]);
      const rows = await t.db.selectFrom('alarms').select('id').where('id', '=', a.id).execute();
      expect(rows).toHaveLength(1);
      const links = await t.db.selectFrom('incident_alarms').selectAll().where('alarm_id', '=', a.id).execute();
      expect(links).toHaveLength(1);
    });

    it('joins alarms of one site, zone and kind within the window into one incident with the highest severity', async () => {
      const s = nextSite();
      const r = await ingest([
        crowdAlarm({ site: s, capturedAt: at(T0, 0), severity: 'warning', density: 2.5 }),
        crowdAlarm({ site: s, capturedAt: at(T0, 30), severity: 'critical', density: 2.6 }),
        crowdAlarm({ site: s, capturedAt: at(T0, 60), severity: 'warning', density: 2.6 }),
        crowdAlarm({ site: s, zone: 'concourse', capturedAt: at(T0, 60) }),
      ]);
      expect(r.incidentsCreated).toBe(2);
      const incs = await t.db.selectFrom('incidents').selectAll().where('site', '=', s).orderBy('zone').execute();
      expect(incs.map((i) => [i.zone, i.alarm_count, i.severity])).toEqual([['concourse', 1, 'warning'], ['platform', 3, 'critical']]);
    });

    it('opens a new incident once the window has passed, and across batches', async () => {
      const s = nextSite();
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 0) })]);
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 100) })]);
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 100 + WINDOW / 1000 + 1) })]);
      const incs = await t.db.selectFrom('incidents').selectAll().where('site', '=', s).orderBy('first_alarm_at_ms').execute();
      expect(incs.map((i) => i.alarm_count)).toEqual([2, 1]);
      expect(incs[0]!.correlation_key).toBeNull();
      expect(incs[1]!.correlation_key).not.toBeNull();
    });

    it('gives a late alarm from before the window an incident of its own, and keeps the open one gathering', async () => {
      const s = nextSite();
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 1000) })]);
      // An edge's backlog arrives: captured long before the open incident.
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 1000 - 2 * WINDOW / 1000) })]);
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 1030) })]);
      const incs = await t.db.selectFrom('incidents').selectAll().where('site', '=', s).orderBy('first_alarm_at_ms').execute();
      expect(incs.map((i) => i.alarm_count)).toEqual([1, 2]);
      expect(incs[0]!.correlation_key).toBeNull();
      expect(incs[1]!.correlation_key).not.toBeNull();
    });

    it('escalates on a rising crowd density and records the escalation', async () => {
      const s = nextSite();
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 0), density: 2.0, severity: 'warning' })]);
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 20), density: 3.5, severity: 'warning' })]);
      const inc = await t.db.selectFrom('incidents').selectAll().where('site', '=', s).executeTakeFirstOrThrow();
      expect(inc.severity).toBe('critical');
      expect(inc.escalation_level).toBe(1);
      expect(inc.peak_density).toBeCloseTo(3.5);
      const audit = await t.db.selectFrom('audit_log').selectAll().where('entity_id', '=', inc.id).where('action', '=', 'incident.escalated').execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.note).toMatch(/2\.00 to 3\.50/);
    });

    it('shows a cleared alarm in the timeline without closing the incident', async () => {
      const s = nextSite();
      const raised = crowdAlarm({ site: s, capturedAt: at(T0, 0), episode: 'e1' });
      const cleared = crowdAlarm({ site: s, capturedAt: at(T0, 40), episode: 'e1', state: 'cleared' });
      await ingest([raised]);
      await ingest([cleared]);
      const svc = createIncidentService({ db: t.db, dialect, clock: new FakeClock(T0), events: createHubEvents() });
      const [inc] = await svc.list({ site: s });
      expect(inc!.status).toBe('open');
      expect(inc!.clearedAt).toBe(at(T0, 40));
      const detail = await svc.get(inc!.id);
      expect(detail.alarms.map((a) => a.state)).toEqual(['raised', 'cleared']);
      expect(detail.timeline.filter((e) => e.type === 'alarm')).toHaveLength(2);
    });

    it('walks the lifecycle, refuses a wrong transition and audits every change', async () => {
      const s = nextSite();
      await ingest([crowdAlarm({ site: s })]);
      const clock = new FakeClock(T0 + 1000);
      const events = createHubEvents();
      const seen: string[] = [];
      events.on('incident.updated', (e) => seen.push(`${e.data.from}->${e.data.to}`));
      const svc = createIncidentService({ db: t.db, dialect, clock, events });
      const [inc] = await svc.list({ site: s });
      await expect(svc.transition(inc!.id, { to: 'closed', actor: 'op' })).rejects.toThrow(TransitionError);
      await expect(svc.transition(inc!.id, { to: 'closed', actor: 'op' })).rejects.toThrow(/cannot go from open to closed/);
      for (const to of ['acknowledged', 'dispatched', 'on_scene', 'resolved', 'closed'] as const) {
        clock.advance(1000);
        await svc.transition(inc!.id, { to, actor: 'cmdr', note: `to ${to}` });
      }
      await expect(svc.transition(inc!.id, { to: 'open', actor: 'cmdr' })).rejects.toThrow(TransitionError);
      const d = await svc.get(inc!.id);
      expect(d.incident.status).toBe('closed');
      expect(d.incident.gathering).toBe(false);
      expect(d.incident.closedAt).not.toBeNull();
      const transitions = d.audit.filter((a) => a.action === 'incident.transition');
      expect(transitions.map((a) => [a.actor, (a.data as { to: string }).to, a.note])).toEqual([
        ['cmdr', 'acknowledged', 'to acknowledged'], ['cmdr', 'dispatched', 'to dispatched'], ['cmdr', 'on_scene', 'to on_scene'], ['cmdr', 'resolved', 'to resolved'], ['cmdr', 'closed', 'to closed'],
      ]);
      expect(seen).toEqual(['open->acknowledged', 'acknowledged->dispatched', 'dispatched->on_scene', 'on_scene->resolved', 'resolved->closed']);
      // A resolved incident no longer gathers: the next alarm opens a new one.
      await ingest([crowdAlarm({ site: s, capturedAt: at(T0, 5) })]);
      expect(await svc.list({ site: s })).toHaveLength(2);
    });

    it('false_alarm and cancelled sit beside the main line', async () => {
      const s = nextSite();
      await ingest([crowdAlarm({ site: s })]);
      const svc = createIncidentService({ db: t.db, dialect, clock: new FakeClock(T0), events: createHubEvents() });
      const [inc] = await svc.list({ site: s });
      await svc.transition(inc!.id, { to: 'false_alarm', actor: 'op' });
      await expect(svc.transition(inc!.id, { to: 'acknowledged', actor: 'op' })).rejects.toThrow(TransitionError);
      const done = await svc.transition(inc!.id, { to: 'closed', actor: 'cmdr' });
      expect(done.status).toBe('closed');
    });

    it('stores a dead letter whose payload and reason hold NUL bytes (PostgreSQL text refuses U+0000)', async () => {
      const subject = `vigil.alarm.${nextSite()}.cam1.crowd.density`;
      await storeDeadLetters(t.db, [{ atMs: T0, subject, streamSeq: 7, msgId: 'nul-1', reason: 'cannot decode: bad\u0000byte', payload: new Uint8Array([0x7b, 0x00, 0x7d]) }]);
      const [row] = await t.db.selectFrom('dead_letters').selectAll().where('subject', '=', subject).execute();
      expect(row!.msg_id).toBe('nul-1');
      expect(row!.payload).toBe('{\uFFFD}');
      expect(row!.reason).toBe('cannot decode: bad\uFFFDbyte');
    });

    it('keeps the audit log append-only in the database itself', async () => {
      await appendAudit(t.db, { atMs: T0, actor: 'test', action: 'test.note', entity: 'test', entityId: 'x', note: 'kept' });
      await expect(t.db.updateTable('audit_log').set({ note: 'changed' }).where('entity', '=', 'test').execute()).rejects.toThrow(/append-only/);
      await expect(t.db.deleteFrom('audit_log').where('entity', '=', 'test').execute()).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log`.execute(t.db)).rejects.toThrow(/append-only/);
      const rows = await t.db.selectFrom('audit_log').selectAll().where('entity', '=', 'test').execute();
      expect(rows.map((r) => r.note)).toEqual(['kept']);
    });

    it('two replicas correlating the same key at once make one incident', async () => {
      const s = nextSite();
      // In one process a blocking SQLite busy wait would stall the other handle too, so neither waits: they retry.
      const opts = t.options.dialect === 'sqlite' ? { ...t.options, busyTimeoutMs: 0 } : t.options;
      const one = createDatabase(opts);
      const other = createDatabase(opts);
      try {
        const batches = Array.from({ length: 6 }, (_, i) => Array.from({ length: 20 }, (_, j) => crowdAlarm({ site: s, capturedAt: at(T0, i + j / 100) })));
        const run = async (h: typeof t.db, batch: Alarm[]) => {
          for (let attempt = 0; ; attempt++) {
            try {
              return await h.transaction().execute((trx) => storeAndCorrelate(trx, batch.map((a) => item(a)), { windowMs: WINDOW, dialect }));
            } catch (err) {
              // SQLite: a competing writer is a busy error; the ingest retries it the same way (nak with delay).
              if (attempt > 20) throw err;
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        };
        await Promise.all(batches.map((b, i) => run(i % 2 ? other.db : one.db, b)));
        const incs = await t.db.selectFrom('incidents').selectAll().where('site', '=', s).execute();
        expect(incs).toHaveLength(1);
        expect(incs[0]!.alarm_count).toBe(120);
        const links = await t.db.selectFrom('incident_alarms').select(sql<number>`count(*)`.as('n')).where('incident_id', '=', incs[0]!.id).executeTakeFirstOrThrow();
        expect(Number(links.n)).toBe(120);
      } finally {
        await one.destroy();
        await other.destroy();
      }
    });
  });
}
