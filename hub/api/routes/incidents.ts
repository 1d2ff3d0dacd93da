import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { can, hasPermission, type HubEnv } from '../auth.ts';
import { TRANSITION_PERMISSION } from '../roles.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../store/schema.ts';
import { assertMayActOnIncident, assertSite, siteScope } from '../site-scope.ts';

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

export function registerIncidentRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const { incidents } = deps;

  app.get('/api/incidents', can('incidents.read'), async (c) => {
    const f = queryParams(c, incidentQuery);
    let before;
    if (f.before) {
      const ref = await incidents.getRow(f.before);
      assertSite(c.get('user'), ref.site, 'incident', f.before);
      before = { openedAtMs: ref.opened_at_ms, id: ref.id };
    }
    const list = await incidents.list({
      ...(f.site ? { site: f.site } : {}), ...(f.zone ? { zone: f.zone } : {}), ...(f.kind ? { kind: f.kind } : {}),
      ...(f.status ? { status: f.status } : {}), ...(f.severity ? { severity: f.severity } : {}),
      ...(f.since !== undefined ? { sinceMs: f.since } : {}), ...(f.until !== undefined ? { untilMs: f.until } : {}),
      ...(before ? { before } : {}), limit: f.limit, sites: siteScope(c.get('user')),
    });
    return c.json({ incidents: list });
  });

  app.get('/api/incidents/:id', can('incidents.read'), async (c) => {
    const detail = await incidents.get(c.req.param('id'));
    assertSite(c.get('user'), detail.incident.site, 'incident', c.req.param('id'));
    return c.json(detail);
  });

  app.post('/api/incidents/:id/transition', can('incidents.read'), async (c) => {
    const body = await jsonBody(c, transitionBody);
    const user = c.get('user');
    const need = TRANSITION_PERMISSION[body.to];
    if (!hasPermission(user, need)) throw new HTTPException(403, { message: `role ${user.role} may not move an incident to ${body.to}` });
    const id = c.req.param('id');
    await assertMayActOnIncident(deps, user, id);
    const incident = await incidents.transition(id, { to: body.to, actor: user.name, note: body.note ?? null, ...(body.version ? { expectVersion: body.version } : {}) });
    return c.json({ incident });
  });

  app.post('/api/incidents/:id/notes', can('incidents.field'), async (c) => {
    const body = await jsonBody(c, noteBody);
    await assertMayActOnIncident(deps, c.get('user'), c.req.param('id'));
    await incidents.addNote(c.req.param('id'), c.get('user').name, body.note);
    return c.json({ ok: true }, 201);
  });
}
