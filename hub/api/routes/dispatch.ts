import type { Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { dispatch, errorBody, idParams } from '../response-schemas.ts';
import type { ApiUser, HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { dispatchView, dispatchVisible, iso } from '../views.ts';
import { AccessDeniedError } from '../../service-errors.ts';
import { DISPATCH_STATES } from '../../store/schema-ops.ts';
import { getDispatch, listDispatches } from '../../dispatch/dispatch-store.ts';
import { listOverdue } from '../../reports/overdue.ts';
import type { UnitReport } from '../../dispatch/dispatch-service.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { assertSite, incidentSite, visibleItems } from '../site-scope.ts';

export const dispatchBody = z.object({
  incident: z.string().min(1).max(64),
  units: z.array(z.string().min(1).max(64)).min(1).max(20).optional(),
  count: z.number().int().min(1).max(20).optional(),
}).strict().refine((b) => !(b.units && b.count), { message: 'give units or count, not both', path: ['count'] });

const listQuery = z.object({
  incident: z.string().max(64).optional(),
  unit: z.string().max(64).optional(),
  site: z.string().max(64).optional(),
  state: z.enum(DISPATCH_STATES).optional(),
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
}).strict();

export function registerDispatchRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  /** A dispatch of a site this login may see; else it does not exist. Whose unit it is, the dispatch service checks. */
  const ofVisibleSite = async (id: string, user: ApiUser) => {
    const d = await getDispatch(deps.db, id);
    if (!d) throw new NotFoundError('dispatch', id);
    assertSite(user, d.site, 'dispatch', id);
  };

  route(app, { method: 'get', path: '/api/dispatches', access: { permission: 'dispatch.read' }, query: listQuery, summary: 'Dispatches, newest first; a unit login sees its own only.', responses: { 200: dispatchesBody } }, async (c) => {
    const q = queryParams(c, listQuery);
    const user = c.get('user');
    if (user.role === 'unit' && q.unit && q.unit !== user.unit) throw new AccessDeniedError('a unit login sees only its own dispatches', 'error.own_unit_only');
    const list = await listDispatches(deps.db, {
      ...(q.incident ? { incidentId: q.incident } : {}), ...(q.site ? { site: q.site } : {}), ...(q.state ? { state: q.state } : {}),
      ...(q.active === 'true' ? { active: true } : {}),
      ...(user.role === 'unit' ? { unitId: user.unit ?? '\u0000' } : q.unit ? { unitId: q.unit } : {}),
      limit: q.limit,
    });
    return c.json({ dispatches: list.filter((d) => dispatchVisible(d, user)).map((d) => dispatchView(d, user)) });
  });

  route(app, { method: 'post', path: '/api/dispatches', access: { permission: 'dispatch.send' }, body: dispatchBody, summary: 'Dispatch units to an incident: the named ones, or the nearest ready `count`.', responses: { 201: dispatchesBody, 404: errorBody, 409: errorBody } }, async (c) => {
    const body = await jsonBody(c, dispatchBody);
    const user = c.get('user');
    assertSite(user, await incidentSite(deps, body.incident), 'incident', body.incident);
    const sent = await opsOf(deps).dispatch.dispatch(body.incident, { actor: user, ...(body.units ? { units: body.units } : {}), ...(body.count ? { count: body.count } : {}) });
    return c.json({ dispatches: sent.map((d) => dispatchView(d, user)) }, 201);
  });

  /** The ranked ready units an operator would pick from, nearest (by ETA) first. */
  route(app, { method: 'get', path: '/api/dispatches/candidates', access: { permission: 'dispatch.send' }, query: candidatesQuery, summary: 'The ranked ready units an operator would pick from, nearest (by ETA) first.', responses: { 200: candidatesBody, 404: errorBody } }, async (c) => {
    const q = queryParams(c, candidatesQuery);
    assertSite(c.get('user'), await incidentSite(deps, q.incident), 'incident', q.incident);
    const { location, candidates } = await opsOf(deps).dispatch.candidates(q.incident);
    return c.json({ location, candidates: candidates.map((r) => ({ unit: r.unit.id, name: r.unit.name, distance: Math.round(r.distance * 10) / 10, etaS: Math.round(r.etaS) })) });
  });

  for (const [path, status] of [['ack', 'acknowledged'], ['en_route', 'en_route'], ['on_scene', 'on_scene']] as const) {
    route(app, { method: 'post', path: `/api/dispatches/:id/${path}`, access: { permission: 'dispatch.report' }, params: idParams, summary: `The unit reports ${status.replace('_', ' ')}.`, responses: { 200: z.object({ dispatch }), 404: errorBody, 409: errorBody } }, async (c) => {
      const user = c.get('user');
      await ofVisibleSite(c.req.param('id'), user);
      const d = await opsOf(deps).dispatch.report(c.req.param('id'), status as UnitReport, user);
      return c.json({ dispatch: dispatchView(d, user) });
    });
  }

  route(app, { method: 'post', path: '/api/dispatches/:id/release', access: { permission: 'dispatch.send' }, params: idParams, body: releaseBody, bodyOptional: true, summary: 'Release a unit from its dispatch.', responses: { 200: z.object({ dispatch }), 404: errorBody, 409: errorBody } }, async (c) => {
    const body = await jsonBody(c, releaseBody);
    const user = c.get('user');
    await ofVisibleSite(c.req.param('id'), user);
    const d = await opsOf(deps).dispatch.release(c.req.param('id'), user, body.note ?? 'released by operator');
    return c.json({ dispatch: dispatchView(d, user) });
  });

  route(app, { method: 'get', path: '/api/overdue', access: { permission: 'overdue.read' }, query: siteQuery, summary: 'What is overdue now: unacknowledged dispatches and incidents, missed plan clocks.', responses: { 200: overdueBody } }, async (c) => {
    const q = queryParams(c, siteQuery);
    const policies = deps.ops?.policies;
    const items = visibleItems(c.get('user'), await listOverdue(deps.db, deps.clock.now(), q.site, policies ? (site) => policies.forSite(site).unacknowledgedMs : undefined));
    return c.json({ overdue: items.map((i) => ({ ...i, dueAt: iso(i.dueAt), warnedAt: iso(i.warnedAt) })) });
  });
}

const siteQuery = z.object({ site: z.string().max(64).optional() }).strict();
const candidatesQuery = z.object({ incident: z.string().min(1).max(64) }).strict();
const releaseBody = z.object({ note: z.string().max(500).optional() }).strict();
const dispatchesBody = z.object({ dispatches: z.array(dispatch) });
const overdueBody = z.object({
  overdue: z.array(z.object({
    key: z.string(), kind: z.enum(['report.first', 'report.written', 'dispatch.unacknowledged', 'dispatch.on_scene_overdue', 'incident.unacknowledged']),
    site: z.string(), incidentId: z.string(), unit: z.string().nullable(), dispatchId: z.string().nullable(), dueAt: z.string().nullable(),
    overdueMs: z.number(), message: z.string(), warnedAt: z.string().nullable(),
  })),
});
const candidatesBody = z.object({
  location: z.unknown().describe('where the incident is, on the site plan'),
  candidates: z.array(z.object({ unit: z.string(), name: z.string(), distance: z.number(), etaS: z.number() })),
});
