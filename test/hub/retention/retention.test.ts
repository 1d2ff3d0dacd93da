import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { storeAndCorrelate } from '../../../hub/incidents/correlator.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { appendAudit } from '../../../hub/store/audit.ts';
import { createRetention } from '../../../hub/retention/retention.ts';
import { exportIncident, recordHash } from '../../../hub/retention/incident-export.ts';
import { DIALECTS, openTestDb } from '../store/test-db.ts';
import { crowdAlarm } from '../store/fixtures.ts';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1, 12);
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tempDir = () => { const d = mkdtempSync(path.join(tmpdir(), 'vigil-retention-')); dirs.push(d); return d; };

for (const dialect of DIALECTS) describe(`retention (${dialect})`, () => {
  it('deletes old alarms of finished incidents and old dead letters, exports the audit before deleting it, and keeps the rest', async () => {
    const t = await openTestDb(dialect);
    try {
      const clock = new FakeClock(T0);
      const events = createHubEvents();
      const incidents = createIncidentService({ db: t.db, dialect, clock, events });
      const store = (alarms: ReturnType<typeof crowdAlarm>[], at: number) => t.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((alarm) => ({ alarm, receivedAtMs: at })), { windowMs: 120_000, dialect }));
      // Day 0: an incident that will be closed, and one still open at day 100.
      const closedA = [crowdAlarm({ site: 'r', zone: 'a', capturedAt: new Date(T0).toISOString() }), crowdAlarm({ site: 'r', zone: 'a', capturedAt: new Date(T0 + 1000).toISOString() })];
      const openB = crowdAlarm({ site: 'r', zone: 'b', capturedAt: new Date(T0).toISOString() });
      await store([...closedA, openB], T0);
      const idA = (await t.db.selectFrom('incidents').select('id').where('zone', '=', 'a').executeTakeFirstOrThrow()).id;
      const idB = (await t.db.selectFrom('incidents').select('id').where('zone', '=', 'b').executeTakeFirstOrThrow()).id;
      for (const to of ['acknowledged', 'false_alarm', 'closed'] as const) await incidents.transition(idA, { to, actor: 'olga' });
      await t.db.insertInto('dead_letters').values([
        { at_ms: T0, subject: 'vigil.alarm.r.c.crowd.density', stream_seq: 1, msg_id: null, reason: 'old', payload: '{}' },
        { at_ms: T0 + 95 * DAY, subject: 'vigil.alarm.r.c.crowd.density', stream_seq: 2, msg_id: null, reason: 'new', payload: '{}' },
      ]).execute();
      // Day 95: a new alarm; audit entries at day 95 and (old) at day 0 came with the incidents.
      clock.advance(95 * DAY);
      const fresh = crowdAlarm({ site: 'r', zone: 'c', capturedAt: new Date(T0 + 95 * DAY).toISOString() });
      await store([fresh], clock.now());
      await appendAudit(t.db, { atMs: clock.now(), actor: 'olga', action: 'incident.note', entity: 'incident', entityId: idB, note: 'still watching' });
      const auditBefore = await t.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
      const oldAudit = auditBefore.filter((r) => Number(r.at_ms) < T0 + 5 * DAY);
      expect(oldAudit.length).toBeGreaterThanOrEqual(5);

      const exportDir = tempDir();
      const retention = createRetention({ db: t.db, clock, logger: silentLogger, policy: { alarmsMs: 90 * DAY, deadLettersMs: 30 * DAY, auditMs: 90 * DAY, exportDir } });
      const r = await retention.runOnce();
      expect(r.alarms).toBe(2);
      expect(r.deadLetters).toBe(1);
      const ids = (await t.db.selectFrom('alarms').select('id').execute()).map((x) => x.id).sort();
      // The closed incident's old alarms are gone; the open incident keeps its old one; the fresh one stays.
      expect(ids).toEqual([openB.id, fresh.id].sort());
      expect(await t.db.selectFrom('incidents').select('id').where('id', '=', idA).executeTakeFirst()).toBeDefined();
      expect((await t.db.selectFrom('dead_letters').select('reason').execute()).map((d) => d.reason)).toEqual(['new']);

      // The audit: exported (with a SHA-256 on record), then deleted; younger rows stay.
      expect(r.audit.exported).toBe(oldAudit.length);
      expect(r.audit.files).toHaveLength(1);
      const file = r.audit.files[0]!;
      const text = readFileSync(file, 'utf8');
      const rec = await t.db.selectFrom('audit_exports').selectAll().executeTakeFirstOrThrow();
      expect(rec.sha256).toBe(createHash('sha256').update(text).digest('hex'));
      expect(text.trim().split('\n').map((l) => JSON.parse(l).id).map(Number)).toEqual(oldAudit.map((a) => Number(a.id)));
      const left = await t.db.selectFrom('audit_log').select(['id', 'at_ms']).execute();
      expect(left.every((x) => Number(x.at_ms) >= T0 + 90 * DAY - DAY)).toBe(true);
      expect(left.length).toBe(auditBefore.length - oldAudit.length);
      // Still append-only for everything not exported.
      await expect(sql`delete from audit_log`.execute(t.db)).rejects.toThrow(/append-only/);
      await expect(t.db.updateTable('audit_log').set({ note: 'x' }).execute()).rejects.toThrow(/append-only/);

      // Idempotent: a second run (another replica) finds nothing more.
      const again = await retention.runOnce();
      expect(again).toMatchObject({ alarms: 0, deadLetters: 0, audit: { exported: 0 } });
      expect(readdirSync(exportDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    } finally {
      await t.cleanup();
    }
  });
});

describe('an incident\'s full record', () => {
  it('holds the incident, its alarms, dispatches, reports and audit, with a hash, and `vigil export` writes it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'hub.db');
    const t = await openTestDb('sqlite');
    try {
      const now = T0;
      const a = crowdAlarm({ site: 'x', capturedAt: new Date(now).toISOString(), snapshot: { bucket: 'vigil-snapshots', name: 'x/cam1/a.jpg', width: 10, height: 10, blurred: false } } as never);
      await t.db.transaction().execute((trx) => storeAndCorrelate(trx, [{ alarm: a, receivedAtMs: now }], { windowMs: 120_000, dialect: 'sqlite' }));
      const id = (await t.db.selectFrom('incidents').select('id').executeTakeFirstOrThrow()).id;
      await appendAudit(t.db, { atMs: now, actor: 'olga', action: 'snapshot.read', entity: 'alarm', entityId: a.id });
      const record = await exportIncident(t.db, id, { now });
      expect(record.format).toBe('vigil.incident-record/1');
      expect(record.incident).toMatchObject({ id, site: 'x', opened_at: new Date(now).toISOString() });
      expect(record.alarms.map((x) => (x.alarm as { id: string }).id)).toEqual([a.id]);
      expect(record.audit.map((x) => x.action)).toEqual(expect.arrayContaining(['incident.created', 'snapshot.read']));
      expect(record.snapshots).toEqual([{ alarmId: a.id, bucket: 'vigil-snapshots', name: 'x/cam1/a.jpg', file: null, bytes: null, sha256: null }]);
      const { sha256, ...rest } = record;
      expect(sha256).toBe(recordHash(rest));
      await expect(exportIncident(t.db, 'nope', { now })).rejects.toThrow(/not found|nope/);

      // The CLI, on the same store through a hub.yaml.
      await sql`vacuum into ${file}`.execute(t.db);
      const hubYaml = path.join(dir, 'hub.yaml');
      writeFileSync(hubYaml, ['database: { sqlite: ./hub.db }', 'nats: { servers: [nats://127.0.0.1:1] }', 'jwt: { secret: { env: VIGIL_EXPORT_JWT } }',
        `users: [{ name: a, role: admin, passwordHash: "scrypt$131072$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 1).toString('base64')}" }]`].join('\n'));
      const cli = (...args: string[]) => spawnSync(process.execPath, [path.resolve('bin/vigil.js'), 'export', ...args], { encoding: 'utf8', env: { ...process.env, VIGIL_EXPORT_JWT: 'x'.repeat(40) } });
      const r = cli(id, '--config', hubYaml);
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim());
      expect(out).toMatchObject({ format: 'vigil.incident-record/1', incident: { id } });
      const bad = cli(id, 'nope', '--config', hubYaml, '--out', path.join(dir, 'out'));
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/incident nope: .*not found|nope/);
      const written = JSON.parse(readFileSync(path.join(dir, 'out', `${id}.json`), 'utf8'));
      const { sha256: h2, ...body } = written;
      expect(h2).toBe(recordHash(body));
    } finally {
      await t.cleanup();
    }
  });
});
