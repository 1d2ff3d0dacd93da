import type { Hono } from 'hono';
import { z } from 'zod';
import { can, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { queryParams } from '../validate.ts';
import { alarmDto } from '../../incidents/incident-view.ts';
import { NotFoundError } from '../../store/not-found.ts';
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

  app.get('/api/alarms/:id', can('alarms.read'), async (c) => {
    const id = c.req.param('id');
    const row = await db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('alarm', id);
    assertSite(c.get('user'), row.site, 'alarm', id);
    const link = await db.selectFrom('incident_alarms').select('incident_id').where('alarm_id', '=', id).executeTakeFirst();
    return c.json({ alarm: { ...alarmDto(row), incidentId: link?.incident_id ?? null } });
  });

  app.get('/api/dead-letters', can('deadletters.read'), async (c) => {
    const { limit } = queryParams(c, z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict());
    let q = db.selectFrom('dead_letters').selectAll();
    // A dead letter is about the site its subject names (vigil.alarm.<site>.…); one whose subject names none is for all-site logins only.
    const sites = siteScope(c.get('user'));
    if (sites) q = q.where((eb) => eb.or(sites.map((s) => eb(sql<string>`substr(subject, 1, ${`vigil.alarm.${s}.`.length})`, '=', `vigil.alarm.${s}.`))));
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return c.json({ deadLetters: rows.map((r) => ({ id: r.id, at: new Date(r.at_ms).toISOString(), subject: r.subject, streamSeq: r.stream_seq, msgId: r.msg_id, reason: r.reason, payload: r.payload })) });
  });
}
