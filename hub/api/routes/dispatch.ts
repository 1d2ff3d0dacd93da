import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { requireRole, type HubEnv } from '../auth.ts';
import type { ApiUser, HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { DISPATCH_STATES } from '../../store/schema-ops.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { getDispatch, listDispatches, type Dispatch } from '../../dispatch/dispatch-store.ts';
import { listOverdue } from '../../reports/overdue.ts';
import type { UnitReport } from '../../dispatch/dispatcher.ts';
import { opsDispatcher } from './units.ts';
import { assertSite, incidentSite, maySeeSite, visibleItems } from '../site-scope.ts';

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

const COMMAND = new Set(['commander', 'admin']);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Drills are unannounced: only commanders and admins see the drill flag. A unit
 * sees its drill order like any other until it reports on scene; operators and
 * engineers do not see drill dispatches at all.
 */
export function dispatchView(d: Dispatch, user: ApiUser) {
  const base = {
    id: d.id, incident: d.incidentId, site: d.site, unit: d.unitId, kind: d.kind, severity: d.severity, state: d.state,
    orderedBy: d.drill && !COMMAND.has(user.role) ? 'system:dispatch' : d.orderedBy,
    distance: d.distance, etaS: d.etaS, orderedAt: iso(d.orderedAt), ackBy: iso(d.ackBy), ackedAt: iso(d.ackedAt),
    enRouteAt: iso(d.enRouteAt), onSceneAt: iso(d.onSceneAt), onSceneBy: iso(d.onSceneBy), closedAt: iso(d.closedAt), replacedBy: d.replacedBy,
  };
  if (COMMAND.has(user.role)) return { ...base, drill: d.drill, drillId: d.drillId };
  if (d.drill && d.onSceneAt !== null) return { ...base, drill: true };
  return base;
}

function visible(d: Dispatch, user: ApiUser): boolean {
  if (!maySeeSite(user, d.site)) return false;
  if (COMMAND.has(user.role)) return true;
  if (user.role === 'unit') return d.unitId === user.unit;
  return !d.drill;
}

export function registerDispatchRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  app.get('/api/dispatches', requireRole('operator', 'commander', 'engineer', 'unit'), async (c) => {
    const q = queryParams(c, listQuery);
    const user = c.get('user');
    if (user.role === 'unit' && q.unit && q.unit !== user.unit) throw new HTTPException(403, { message: 'a unit login sees only its own dispatches' });
    const list = await listDispatches(deps.db, {
      ...(q.incident ? { incidentId: q.incident } : {}), ...(q.site ? { site: q.site } : {}), ...(q.state ? { state: q.state } : {}),
      ...(q.active === 'true' ? { active: true } : {}),
      ...(user.role === 'unit' ? { unitId: user.unit ?? '\u0000' } : q.unit ? { unitId: q.unit } : {}),
      limit: q.limit,
    });
    return c.json({ dispatches: list.filter((d) => visible(d, user)).map((d) => dispatchView(d, user)) });
  });

  app.post('/api/dispatches', requireRole('operator', 'commander'), async (c) => {
    const body = await jsonBody(c, dispatchBody);
    assertSite(c.get('user'), await incidentSite(deps, body.incident), 'incident', body.incident);
    const sent = await opsDispatcher(deps).dispatch(body.incident, { actor: c.get('user').name, ...(body.units ? { units: body.units } : {}), ...(body.count ? { count: body.count } : {}) });
    return c.json({ dispatches: sent.map((d) => dispatchView(d, c.get('user'))) }, 201);
  });

  /** The ranked ready units an operator would pick from, nearest (by ETA) first. */
  app.get('/api/dispatches/candidates', requireRole('operator', 'commander'), async (c) => {
    const q = queryParams(c, z.object({ incident: z.string().min(1).max(64) }).strict());
    const inc = await deps.db.selectFrom('incidents').select(['id', 'site']).where('id', '=', q.incident).executeTakeFirst();
    if (!inc) throw new NotFoundError('incident', q.incident);
    assertSite(c.get('user'), inc.site, 'incident', q.incident);
    const dispatcher = opsDispatcher(deps);
    const where = await dispatcher.locate(q.incident);
    const ranked = where ? await dispatcher.candidates(inc.site, where) : [];
    return c.json({ location: where, candidates: ranked.map((r) => ({ unit: r.unit.id, name: r.unit.name, distance: Math.round(r.distance * 10) / 10, etaS: Math.round(r.etaS) })) });
  });

  for (const [path, status] of [['ack', 'acknowledged'], ['en_route', 'en_route'], ['on_scene', 'on_scene']] as const) {
    app.post(`/api/dispatches/:id/${path}`, requireRole('unit', 'commander'), async (c) => {
      const user = c.get('user');
      const actor = user.role === 'unit' ? { name: user.name, unit: user.unit ?? '\u0000' } : { name: user.name };
      const d0 = await getDispatch(deps.db, c.req.param('id'));
      if (d0) assertSite(user, d0.site, 'dispatch', d0.id);
      const d = await opsDispatcher(deps).report(c.req.param('id'), status as UnitReport, actor);
      return c.json({ dispatch: dispatchView(d, user) });
    });
  }

  app.post('/api/dispatches/:id/release', requireRole('operator', 'commander'), async (c) => {
    const body = await jsonBody(c, z.object({ note: z.string().max(500).optional() }).strict());
    const user = c.get('user');
    const d0 = await getDispatch(deps.db, c.req.param('id'));
    if (!d0 || !visible(d0, user)) throw new NotFoundError('dispatch', c.req.param('id'));
    const d = await opsDispatcher(deps).release(d0.id, user.name, body.note ?? 'released by operator');
    return c.json({ dispatch: dispatchView(d, user) });
  });

  app.get('/api/overdue', requireRole('operator', 'commander', 'engineer'), async (c) => {
    const q = queryParams(c, z.object({ site: z.string().max(64).optional() }).strict());
    const items = visibleItems(c.get('user'), await listOverdue(deps.db, deps.clock.now(), q.site));
    return c.json({ overdue: items.map((i) => ({ ...i, dueAt: iso(i.dueAt), warnedAt: iso(i.warnedAt) })) });
  });
}
