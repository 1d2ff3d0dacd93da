import type { Hono } from 'hono';
import { z } from 'zod';
import { can, hasPermission, type HubEnv } from '../auth.ts';
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
  app.get('/api/suppressions', can('alarms.read'), async (c) => {
    const q = queryParams(c, z.object({ site: z.string().max(64).optional(), type: z.enum(['shelved', 'out_of_service']).optional() }).strict());
    const list = await opsOf(deps).suppressions.list({ sites: siteScope(c.get('user'), q.site), ...(q.type ? { type: q.type } : {}) });
    return c.json({ suppressions: list.map(view) });
  });

  app.post('/api/suppressions/shelve', can('alarms.shelve'), async (c) => {
    const body = await jsonBody(c, shelveBody);
    assertSite(c.get('user'), body.site, 'site', body.site);
    const s = await opsOf(deps).suppressions.shelve(body, c.get('user'));
    return c.json({ suppression: view(s) }, 201);
  });

  app.post('/api/suppressions/out-of-service', can('sources.service'), async (c) => {
    const body = await jsonBody(c, serviceBody);
    assertSite(c.get('user'), body.site, 'site', body.site);
    const s = await opsOf(deps).suppressions.outOfService(body, c.get('user'));
    return c.json({ suppression: view(s) }, 201);
  });

  /** Unshelves, or returns to service: each needs the permission that set it. */
  app.delete('/api/suppressions/:id', can('alarms.shelve'), async (c) => {
    const svc = opsOf(deps).suppressions;
    const user = c.get('user');
    const cur = await svc.get(c.req.param('id'));
    if (!cur || cur.endedAt !== null) throw new NotFoundError('active shelf or out-of-service mark', c.req.param('id'));
    assertSite(user, cur.site, 'active shelf or out-of-service mark', cur.id);
    if (cur.type === 'out_of_service' && !hasPermission(user, 'sources.service')) throw new AccessDeniedError(`role ${user.role} may not return a source to service`);
    return c.json({ suppression: view(await svc.end(cur.id, user, cur.type)) });
  });
}
