import type { Hono } from 'hono';
import { z } from 'zod';
import { hasPermission, type HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { errorBody, idParams, suppression } from '../response-schemas.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { iso } from '../views.ts';
import { AccessDeniedError } from '../../service-errors.ts';
import { NotFoundError } from '../../store/not-found.ts';
import type { Suppression } from '../../alarms/suppression-service.ts';
import { assertSite, siteScope } from '../site-scope.ts';

const kind = z.string().regex(/^[a-z]+\.[a-z0-9_]+$/, 'must be an alarm kind such as sensor.motion').max(64);
export const shelveBody = z.object({
  site: z.string().min(1).max(64),
  /** a camera or sensor id */
  source: z.string().min(1).max(64),
  /** one kind of the source's alarms; all of them when absent */
  kind: kind.optional(),
  /** at most the site's shelving limit (8 h) */
  minutes: z.number().positive(),
  reason: z.string().min(1).max(500),
}).strict();
export const serviceBody = z.object({ site: z.string().min(1).max(64), source: z.string().min(1).max(64), kind: kind.optional(), reason: z.string().min(1).max(500) }).strict();

const view = (s: Suppression) => ({ ...s, createdAt: iso(s.createdAt), until: iso(s.untilMs), endedAt: iso(s.endedAt), untilMs: undefined });

/**
 * Shelved sources (any alarm handler, at most 8 h, back by themselves) and
 * sources out of service (maintenance: engineers and commanders), with the list
 * the dashboard shows.
 */
export function registerSuppressionRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  route(app, { method: 'get', path: '/api/suppressions', access: { permission: 'alarms.read' }, query: listQuery, summary: 'Active shelves and out-of-service marks.', responses: { 200: z.object({ suppressions: z.array(suppression) }) } }, async (c) => {
    const q = queryParams(c, listQuery);
    const list = await opsOf(deps).suppressions.list({ sites: siteScope(c.get('user'), q.site), ...(q.type ? { type: q.type } : {}) });
    return c.json({ suppressions: list.map(view) });
  });

  route(app, { method: 'post', path: '/api/suppressions/shelve', access: { permission: 'alarms.shelve' }, body: shelveBody, summary: 'Shelve a camera\'s or sensor\'s alarms (optionally one kind) for at most 8 h; they return by themselves.', responses: { 201: z.object({ suppression }), 404: errorBody } }, async (c) => {
    const body = await jsonBody(c, shelveBody);
    assertSite(c.get('user'), body.site, 'site', body.site);
    const s = await opsOf(deps).suppressions.shelve(body, c.get('user'));
    return c.json({ suppression: view(s) }, 201);
  });

  route(app, { method: 'post', path: '/api/suppressions/out-of-service', access: { permission: 'sources.service' }, body: serviceBody, summary: 'Put a camera or sensor out of service, with a reason, until it is returned.', responses: { 201: z.object({ suppression }), 404: errorBody } }, async (c) => {
    const body = await jsonBody(c, serviceBody);
    assertSite(c.get('user'), body.site, 'site', body.site);
    const s = await opsOf(deps).suppressions.outOfService(body, c.get('user'));
    return c.json({ suppression: view(s) }, 201);
  });

  /** Unshelves, or returns to service: each needs the permission that set it. */
  route(app, { method: 'delete', path: '/api/suppressions/:id', access: { permission: 'alarms.shelve' }, params: idParams, summary: 'Unshelve, or return to service (which needs the sources.service permission too).', responses: { 200: z.object({ suppression }), 404: errorBody } }, async (c) => {
    const svc = opsOf(deps).suppressions;
    const user = c.get('user');
    const cur = await svc.get(c.req.param('id'));
    if (!cur || cur.endedAt !== null) throw new NotFoundError('active shelf or out-of-service mark', c.req.param('id'));
    assertSite(user, cur.site, 'active shelf or out-of-service mark', cur.id);
    if (cur.type === 'out_of_service' && !hasPermission(user, 'sources.service')) throw new AccessDeniedError(`role ${user.role} may not return a source to service`);
    return c.json({ suppression: view(await svc.end(cur.id, user, cur.type)) });
  });
}

const listQuery = z.object({ site: z.string().max(64).optional(), type: z.enum(['shelved', 'out_of_service']).optional() }).strict();
