import type { Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { alarm, auditEntry, errorBody, idParams, incident, okBody } from '../response-schemas.ts';
import { ROLE_MATRIX, TRANSITION_PERMISSION } from '../roles.ts';
import { mayReadIncident, mayTransition } from '../roles.ts';
import { PLAN_LEVELS } from '../../../common/config/alarm-policy.ts';
import type { ApiUser, HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { iso } from '../views.ts';
import { AccessDeniedError } from '../../service-errors.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../store/schema.ts';
import { incidentDto } from '../../incidents/incident-view.ts';
import { assertDispatched, assertSite, siteScope } from '../site-scope.ts';

const statusList = z.string().transform((s, ctx) => {
  const list = s.split(',').filter(Boolean);
  for (const v of list) if (!INCIDENT_STATUSES.includes(v as IncidentStatus)) ctx.addIssue({ code: 'custom', message: `unknown status "${v}" (one of ${INCIDENT_STATUSES.join(', ')})` });
  return list as IncidentStatus[];
});

export const incidentQuery = z.object({
  site: z.string().max(64).optional(),
  zone: z.string().max(64).optional(),
  kind: z.string().max(64).optional(),
  status: statusList.optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  /** operator or engineer: the incidents on that role's board */
  board: z.enum(['operator', 'engineer']).optional(),
  since: z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)).optional(),
  until: z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.string().max(128).optional(),
}).strict();

export const transitionBody = z.object({
  to: z.enum(INCIDENT_STATUSES),
  note: z.string().max(2000).optional(),
  version: z.number().int().positive().optional(),
}).strict();

export const noteBody = z.object({ note: z.string().min(1).max(2000) }).strict();
export const activateBody = z.object({ level: z.enum(PLAN_LEVELS), note: z.string().max(2000).optional() }).strict();
export const ackBody = z.object({ note: z.string().max(2000).optional() }).strict();

export function registerIncidentRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const { incidents } = deps;

  /**
   * An incident this login may read: of one of its sites, and for engineers on
   * the engineers' board only; to them the rest does not exist.
   */
  const readable = async (id: string, user: ApiUser) => {
    const row = await incidents.getRow(id);
    assertSite(user, row.site, 'incident', id);
    if (!mayReadIncident(user.role, row.assigned_role)) throw new NotFoundError('incident', id);
    return row;
  };
  /** An incident this login may act on: readable, and for a unit login one it was dispatched to. */
  const actable = async (id: string, user: ApiUser) => {
    const row = await readable(id, user);
    await assertDispatched(deps, user, id);
    return row;
  };

  route(app, { method: 'get', path: '/api/incidents', access: { permission: 'incidents.read' }, query: incidentQuery, summary: 'List incidents, newest first.', responses: { 200: z.object({ incidents: z.array(incident) }), 404: errorBody } }, async (c) => {
    const f = queryParams(c, incidentQuery);
    const user = c.get('user');
    let before;
    if (f.before) {
      const ref = await readable(f.before, user);
      before = { openedAtMs: ref.opened_at_ms, id: ref.id };
    }
    const board = user.role === 'engineer' ? 'engineer' : f.board;
    const list = await incidents.list({
      ...(f.site ? { site: f.site } : {}), ...(f.zone ? { zone: f.zone } : {}), ...(f.kind ? { kind: f.kind } : {}),
      ...(f.status ? { status: f.status } : {}), ...(f.severity ? { severity: f.severity } : {}),
      ...(f.since !== undefined ? { sinceMs: f.since } : {}), ...(f.until !== undefined ? { untilMs: f.until } : {}),
      ...(before ? { before } : {}), ...(board ? { assignedRole: board } : {}), limit: f.limit, sites: siteScope(user),
    });
    return c.json({ incidents: list });
  });

  route(app, { method: 'get', path: '/api/incidents/:id', access: { permission: 'incidents.read' }, params: idParams, summary: 'An incident with its alarms, audit trail and merged timeline.', responses: { 200: incidentDetail, 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    await readable(id, c.get('user'));
    return c.json(await incidents.get(id));
  });

  route(app, {
    method: 'post', path: '/api/incidents/:id/transition', access: { permission: 'incidents.read' }, params: idParams, body: transitionBody,
    summary: 'Move an incident along its lifecycle (open → acknowledged → dispatched → on_scene → resolved → closed; false_alarm, cancelled). Roles by target: ' +
      Object.entries(TRANSITION_PERMISSION).map(([to, p]) => `${to}: ${[...ROLE_MATRIX[p], 'admin'].join('/')}`).join('; ') + '.',
    responses: { 200: z.object({ incident }), 404: errorBody, 409: errorBody },
  }, async (c) => {
    const body = await jsonBody(c, transitionBody);
    const user = c.get('user');
    const id = c.req.param('id');
    const row = await readable(id, user);
    if (!mayTransition(user.role, body.to, row.assigned_role)) {
      throw new AccessDeniedError(`role ${user.role} may not move an incident to ${body.to}`, user.role === 'engineer' ? 'error.engineer_board' : undefined);
    }
    await assertDispatched(deps, user, id);
    const incident = await incidents.transition(id, { to: body.to, actor: user.name, note: body.note ?? null, ...(body.version ? { expectVersion: body.version } : {}) });
    return c.json({ incident });
  });

  route(app, { method: 'post', path: '/api/incidents/:id/notes', access: { permission: 'incidents.field' }, params: idParams, body: noteBody, summary: 'Add a note to the audit trail.', responses: { 201: okBody, 404: errorBody } }, async (c) => {
    const body = await jsonBody(c, noteBody);
    await actable(c.req.param('id'), c.get('user'));
    await incidents.addNote(c.req.param('id'), c.get('user').name, body.note);
    return c.json({ ok: true }, 201);
  });

  /** Acknowledges the incident and every alarm of it: its escalation stops. */
  route(app, { method: 'post', path: '/api/incidents/:id/ack', access: { permission: 'alarms.ack' }, params: idParams, body: ackBody, bodyOptional: true, summary: 'Acknowledge an incident and every alarm of it (stops its escalation; an open incident becomes acknowledged).', responses: { 200: z.object({ incident, acknowledgedAlarms: z.number() }), 404: errorBody } }, async (c) => {
    const body = await jsonBody(c, ackBody);
    const user = c.get('user');
    const id = c.req.param('id');
    const row = await readable(id, user);
    if (!mayTransition(user.role, 'acknowledged', row.assigned_role)) {
      throw new AccessDeniedError(`role ${user.role} may not acknowledge this incident`, 'error.engineer_board');
    }
    const r = await opsOf(deps).alarms.acknowledgeIncident(id, user, body.note ?? null);
    return c.json({ incident: incidentDto(await incidents.getRow(id)), acknowledgedAlarms: r.alarms });
  });

  /** The emergency plan: a commander activates it with a level and a note; its clocks start now. */
  route(app, { method: 'post', path: '/api/incidents/:id/plan', access: { permission: 'plan.activate' }, params: idParams, body: activateBody, summary: 'Activate the emergency plan for an incident with a level (I–IV) and a note; the plan\'s clocks (on scene 30 min, reports 1 h and 2 h) start now. Activating again changes the level only. Audited.', responses: { 200: z.object({ incident }), 404: errorBody, 409: errorBody } }, async (c) => {
    const body = await jsonBody(c, activateBody);
    await readable(c.req.param('id'), c.get('user'));
    const row = await opsOf(deps).plan.activate(c.req.param('id'), { level: body.level, note: body.note ?? null }, c.get('user'));
    return c.json({ incident: incidentDto(row) });
  });

  /** Incidents escalated to the commander role because nobody acknowledged them: the dashboard's banner. */
  route(app, { method: 'get', path: '/api/escalations', access: { permission: 'incidents.read' }, summary: 'Incidents not acknowledged within the site policy\'s limit, escalated to the commander role.', responses: { 200: z.object({ escalations: z.array(z.object({ incident, escalatedAt: z.string().nullable(), dueAt: z.string().nullable(), to: z.literal('commander') })) }) } }, async (c) => {
    const user = c.get('user');
    let q = deps.db.selectFrom('ops_warnings').innerJoin('incidents', 'incidents.id', 'ops_warnings.entity_id')
      .select(['ops_warnings.key', 'ops_warnings.raised_at_ms', 'ops_warnings.due_at_ms', 'incidents.id', 'incidents.assigned_role'])
      .where('ops_warnings.kind', '=', 'incident.unacknowledged').where('ops_warnings.resolved_at_ms', 'is', null)
      .where('incidents.acked_at_ms', 'is', null);
    const sites = siteScope(user);
    if (sites) q = q.where('incidents.site', 'in', sites);
    const rows = await q.orderBy('ops_warnings.raised_at_ms', 'desc').limit(100).execute();
    const out = [];
    for (const r of rows.filter((x) => mayReadIncident(user.role, x.assigned_role))) {
      out.push({ incident: incidentDto(await incidents.getRow(r.id)), escalatedAt: iso(r.raised_at_ms), dueAt: iso(r.due_at_ms), to: 'commander' });
    }
    return c.json({ escalations: out });
  });
}

const incidentDetail = z.object({
  incident,
  alarms: z.array(alarm),
  audit: z.array(auditEntry),
  timeline: z.array(z.union([
    z.object({ at: z.string(), type: z.literal('alarm'), alarm }),
    z.object({ at: z.string(), type: z.literal('audit'), audit: auditEntry }),
  ])).describe('the alarms and audit entries, in time order'),
});
