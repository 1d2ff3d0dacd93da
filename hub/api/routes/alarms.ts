import type { Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { alarm, errorBody, idParams, okBody } from '../response-schemas.ts';
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
  route(app, { method: 'get', path: '/api/alarms', access: { permission: 'alarms.read' }, query: alarmQuery, summary: 'List alarms, newest first.', responses: { 200: z.object({ alarms: z.array(alarm) }), 404: errorBody } }, async (c) => {
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
  route(app, { method: 'get', path: '/api/alarms/floods', access: { permission: 'alarms.read' }, query: siteQuery, summary: 'The flood guard\'s summaries: sources over their limit in their current window.', responses: { 200: floodsBody } }, async (c) => {
    const q = queryParams(c, siteQuery);
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
  route(app, { method: 'get', path: '/api/alarm-rates', access: { permission: 'alarms.rates' }, query: ratesQuery, summary: 'Alarms presented per 10 minutes (per operator position), peak and flood periods against the ISA-18.2 targets, and acknowledgements per user.', responses: { 200: z.object({ rates: ratesBody }) } }, async (c) => {
    const q = queryParams(c, ratesQuery);
    const to = deps.clock.now();
    const report = await alarmRates(db, opsOf(deps).policies, { from: to - q.hours * 3_600_000, to, sites: siteScope(c.get('user'), q.site) });
    return c.json({ rates: { ...report, from: iso(report.from), to: iso(report.to) } });
  });

  route(app, { method: 'get', path: '/api/alarms/:id', access: { permission: 'alarms.read' }, params: idParams, summary: 'One alarm.', responses: { 200: z.object({ alarm }), 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    const row = await db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('alarm', id);
    assertSite(c.get('user'), row.site, 'alarm', id);
    const link = await db.selectFrom('incident_alarms').select('incident_id').where('alarm_id', '=', id).executeTakeFirst();
    return c.json({ alarm: { ...alarmDto(row), incidentId: link?.incident_id ?? null } });
  });

  route(app, { method: 'post', path: '/api/alarms/:id/ack', access: { permission: 'alarms.ack' }, params: idParams, body: emptyBody, bodyOptional: true, summary: 'Acknowledge one alarm (of one of the login\'s sites).', responses: { 200: alarmAckBody, 404: errorBody } }, async (c) => {
    await jsonBody(c, emptyBody);
    const id = c.req.param('id');
    const alarm = await db.selectFrom('alarms').select('site').where('id', '=', id).executeTakeFirst();
    if (!alarm) throw new NotFoundError('alarm', id);
    assertSite(c.get('user'), alarm.site, 'alarm', id);
    const r = await opsOf(deps).alarms.acknowledgeAlarm(id, c.get('user'));
    return c.json({ ok: true, ...r });
  });

  route(app, { method: 'get', path: '/api/dead-letters', access: { permission: 'deadletters.read' }, query: deadLetterQuery, summary: 'Alarms refused by ingest, with the reason.', responses: { 200: deadLettersBody } }, async (c) => {
    const { limit } = queryParams(c, deadLetterQuery);
    let q = db.selectFrom('dead_letters').selectAll();
    // A dead letter is about the site its subject names (vigil.alarm.<site>.…); one whose subject names none is for all-site logins only.
    const sites = siteScope(c.get('user'));
    if (sites) q = q.where((eb) => eb.or(sites.map((s) => eb(sql<string>`substr(subject, 1, ${`vigil.alarm.${s}.`.length})`, '=', `vigil.alarm.${s}.`))));
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return c.json({ deadLetters: rows.map((r) => ({ id: r.id, at: iso(r.at_ms), subject: r.subject, streamSeq: r.stream_seq, msgId: r.msg_id, reason: r.reason, payload: r.payload })) });
  });
}

const siteQuery = z.object({ site: z.string().max(64).optional() }).strict();
const ratesQuery = z.object({ site: z.string().max(64).optional(), hours: z.coerce.number().positive().max(24 * 31).default(24) }).strict();
const deadLetterQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
const emptyBody = z.object({}).strict();
const ratesBody = z.object({
  site: z.string().nullable(), from: z.string().nullable(), to: z.string().nullable(),
  targets: z.object({ perOperatorPer10Min: z.number(), maxManageablePer10Min: z.number(), floodPer10Min: z.number(), floodPeriodsPctMax: z.number() }),
  operatorPositions: z.number(), presented: z.number(), feedOnly: z.number(),
  suppressed: z.object({ flood: z.number(), shelved: z.number(), out_of_service: z.number() }),
  periods: z.number(), avgPer10Min: z.number(), avgPerOperatorPer10Min: z.number(), peakPer10Min: z.number(), floodPeriodsPct: z.number(),
  verdict: z.enum(['ok', 'over', 'unmanageable', 'flood']),
  operators: z.array(z.object({ name: z.string(), acknowledged: z.number(), perTenMin: z.number() })),
});
const floodsBody = z.object({ floods: z.array(z.object({ site: z.string(), source: z.string(), kind: z.string(), windowStart: z.string().nullable(), lastAt: z.string().nullable(), count: z.number(), suppressed: z.number(), maxAlarms: z.number().nullable() })) });
const alarmAckBody = okBody.extend({ alarmId: z.string(), incidentId: z.string().nullable(), changed: z.boolean() });
const deadLettersBody = z.object({ deadLetters: z.array(z.object({ id: z.union([z.number(), z.string()]), at: z.string().nullable(), subject: z.string(), streamSeq: z.union([z.number(), z.string()]).nullable(), msgId: z.string().nullable(), reason: z.string(), payload: z.string().nullable() })) });
