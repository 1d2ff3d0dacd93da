import type { Hono } from 'hono';
import { z } from 'zod';
import { can, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { iso } from '../views.ts';
import { alarmDto } from '../../incidents/incident-view.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { alarmRates } from '../../alarms/alarm-rates.ts';
import { assertSite, siteScope } from '../site-scope.ts';
import { sql } from 'kysely';

const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const alarmQuery = z.object({
  site: z.string().max(64).optional(),
  camera: z.string().max(64).optional(),
  zone: z.string().max(64).optional(),
  kind: z.string().max(64).optional(),
  state: z.enum(['raised', 'cleared']).optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** keyset paging: alarms captured before this alarm id's capture time */
  before: z.string().max(128).optional(),
  /** true: also the alarms stored but not presented (flood-summarised, shelved, out of service); @default false */
  suppressed: z.enum(['true', 'false']).default('false'),
}).strict();

export function registerAlarmRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const { db } = deps;
  app.get('/api/alarms', can('alarms.read'), async (c) => {
    const f = queryParams(c, alarmQuery);
    let q = db.selectFrom('alarms').selectAll();
    const sites = siteScope(c.get('user'), f.site);
    if (sites) q = q.where('site', 'in', sites);
    if (f.camera) q = q.where('camera', '=', f.camera);
    if (f.zone) q = q.where('zone', '=', f.zone);
    if (f.kind) q = q.where('kind', '=', f.kind);
    if (f.state) q = q.where('state', '=', f.state);
    if (f.severity) q = q.where('severity', '=', f.severity);
    if (f.since !== undefined) q = q.where('captured_at_ms', '>=', f.since);
    if (f.until !== undefined) q = q.where('captured_at_ms', '<', f.until);
    if (f.suppressed === 'false') q = q.where('suppressed', 'is', null);
    if (f.before) {
      const ref = await db.selectFrom('alarms').select(['captured_at_ms', 'id', 'site']).where('id', '=', f.before).executeTakeFirst();
      if (!ref) throw new NotFoundError('alarm', f.before);
      assertSite(c.get('user'), ref.site, 'alarm', f.before);
      q = q.where((eb) => eb.or([eb('captured_at_ms', '<', ref.captured_at_ms), eb.and([eb('captured_at_ms', '=', ref.captured_at_ms), eb('id', '<', ref.id)])]));
    }
    const rows = await q.orderBy('captured_at_ms', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
    const links = rows.length
      ? await db.selectFrom('incident_alarms').select(['alarm_id', 'incident_id']).where('alarm_id', 'in', rows.map((r) => r.id)).execute()
      : [];
    const incidentOf = new Map(links.map((l) => [l.alarm_id, l.incident_id]));
    return c.json({ alarms: rows.map((r) => ({ ...alarmDto(r), incidentId: incidentOf.get(r.id) ?? null })) });
  });

  /** The flood guard's summaries: sources over their limit in their current window. */
  app.get('/api/alarms/floods', can('alarms.read'), async (c) => {
    const q = queryParams(c, z.object({ site: z.string().max(64).optional() }).strict());
    const now = deps.clock.now();
    let rows = db.selectFrom('alarm_floods').selectAll().where('suppressed', '>', 0);
    const sites = siteScope(c.get('user'), q.site);
    if (sites) rows = rows.where('site', 'in', sites);
    const list = (await rows.orderBy('last_at_ms', 'desc').limit(200).execute()).filter((r) => {
      const policy = deps.ops?.policies.forSite(r.site);
      return Number(r.window_start_ms) + (policy?.floodWindowMs ?? 600_000) > now;
    });
    return c.json({ floods: list.map((r) => ({ site: r.site, source: r.source, kind: r.kind, windowStart: iso(Number(r.window_start_ms)), lastAt: iso(Number(r.last_at_ms)), count: Number(r.count), suppressed: Number(r.suppressed), maxAlarms: deps.ops?.policies.forSite(r.site).floodMax ?? null })) });
  });

  /** The ISA-18.2 figures: alarms presented per 10 minutes (per operator position), peaks and flood periods, acknowledgements per user. */
  app.get('/api/alarm-rates', can('alarms.rates'), async (c) => {
    const q = queryParams(c, z.object({ site: z.string().max(64).optional(), hours: z.coerce.number().positive().max(24 * 31).default(24) }).strict());
    const to = deps.clock.now();
    const report = await alarmRates(db, opsOf(deps).policies, { from: to - q.hours * 3_600_000, to, sites: siteScope(c.get('user'), q.site) });
    return c.json({ rates: { ...report, from: iso(report.from), to: iso(report.to) } });
  });

  app.get('/api/alarms/:id', can('alarms.read'), async (c) => {
    const id = c.req.param('id');
    const row = await db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('alarm', id);
    assertSite(c.get('user'), row.site, 'alarm', id);
    const link = await db.selectFrom('incident_alarms').select('incident_id').where('alarm_id', '=', id).executeTakeFirst();
    return c.json({ alarm: { ...alarmDto(row), incidentId: link?.incident_id ?? null } });
  });

  app.post('/api/alarms/:id/ack', can('alarms.ack'), async (c) => {
    await jsonBody(c, z.object({}).strict());
    const id = c.req.param('id');
    const alarm = await db.selectFrom('alarms').select('site').where('id', '=', id).executeTakeFirst();
    if (!alarm) throw new NotFoundError('alarm', id);
    assertSite(c.get('user'), alarm.site, 'alarm', id);
    const r = await opsOf(deps).alarms.acknowledgeAlarm(id, c.get('user'));
    return c.json({ ok: true, ...r });
  });

  app.get('/api/dead-letters', can('deadletters.read'), async (c) => {
    const { limit } = queryParams(c, z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict());
    let q = db.selectFrom('dead_letters').selectAll();
    // A dead letter is about the site its subject names (vigil.alarm.<site>.…); one whose subject names none is for all-site logins only.
    const sites = siteScope(c.get('user'));
    if (sites) q = q.where((eb) => eb.or(sites.map((s) => eb(sql<string>`substr(subject, 1, ${`vigil.alarm.${s}.`.length})`, '=', `vigil.alarm.${s}.`))));
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return c.json({ deadLetters: rows.map((r) => ({ id: r.id, at: iso(r.at_ms), subject: r.subject, streamSeq: r.stream_seq, msgId: r.msg_id, reason: r.reason, payload: r.payload })) });
  });
}
