import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { requireRole, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { appendAudit } from '../../store/audit.ts';
import { getUnit, setUnitRoster, setUnitStatus, type Unit } from '../../units/unit-store.ts';
import { listDispatches } from '../../dispatch/dispatch-store.ts';
import type { Dispatcher } from '../../dispatch/dispatcher.ts';
import { dispatchView } from './dispatch.ts';
import { assertSite, maySeeSite, visibleItems } from '../site-scope.ts';
import type {} from '../../dispatch/ops.ts';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
export const rosterBody = z.object({
  roster: z.array(z.object({
    name: z.string().min(1).max(64),
    start: hhmm,
    end: hhmm,
    onDuty: z.array(z.string().min(1).max(64)).max(100),
    leader: z.string().min(1).max(64),
  }).strict()).max(24),
}).strict();

/** Statuses people set by hand; the others follow the unit's dispatches. */
export const statusBody = z.object({ status: z.enum(['available', 'unavailable', 'off_duty']), note: z.string().max(500).optional() }).strict();
const listQuery = z.object({ site: z.string().max(64).optional(), ready: z.enum(['true', 'false']).optional() }).strict();

export function opsDispatcher(deps: HubDeps): Dispatcher {
  const d = deps.ops?.dispatcher;
  if (!d) throw new HTTPException(503, { message: 'dispatch is not running on this hub' });
  return d;
}

function unitView(u: Unit, dispatcher: Dispatcher) {
  return { ...u, statusAt: new Date(u.statusAt).toISOString(), updatedAt: new Date(u.updatedAt).toISOString(), createdAt: new Date(u.createdAt).toISOString(), speed: dispatcher.speedOf(u), readiness: dispatcher.readiness(u) };
}

/** A unit login may see and change only its own unit. */
function ownUnit(c: Context<HubEnv>, id: string): void {
  const user = c.get('user');
  if (user.role === 'unit' && user.unit !== id) throw new HTTPException(403, { message: `a ${user.role} login may act only for its own unit` });
}

export function registerUnitRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  app.get('/api/units', requireRole('operator', 'commander', 'engineer'), async (c) => {
    const q = queryParams(c, listQuery);
    const list = q.site && !maySeeSite(c.get('user'), q.site) ? [] : visibleItems(c.get('user'), await opsDispatcher(deps).units(q.site));
    const filtered = q.ready === undefined ? list : list.filter((u) => u.readiness.ready === (q.ready === 'true'));
    return c.json({ units: filtered.map((u) => ({ ...unitView(u, opsDispatcher(deps)) })) });
  });

  app.get('/api/units/:id', requireRole('operator', 'commander', 'engineer', 'unit'), async (c) => {
    const id = c.req.param('id');
    ownUnit(c, id);
    const dispatcher = opsDispatcher(deps);
    const unit = await getUnit(deps.db, id);
    if (!unit) throw new NotFoundError('unit', id);
    const user = c.get('user');
    assertSite(user, unit.site, 'unit', id);
    // Operators and engineers never see drills; the unit sees its drill order as a plain order.
    const hidesDrills = user.role === 'operator' || user.role === 'engineer';
    const active = (await listDispatches(deps.db, { unitId: id, active: true })).filter((d) => !(hidesDrills && d.drill));
    return c.json({ unit: unitView(unit, dispatcher), dispatches: active.map((d) => dispatchView(d, user)) });
  });

  app.patch('/api/units/:id/status', requireRole('operator', 'commander', 'unit'), async (c) => {
    const id = c.req.param('id');
    ownUnit(c, id);
    const body = await jsonBody(c, statusBody);
    const unit = await getUnit(deps.db, id);
    if (!unit) throw new NotFoundError('unit', id);
    assertSite(c.get('user'), unit.site, 'unit', id);
    const active = await listDispatches(deps.db, { unitId: id, active: true, drill: false });
    if (active.length) throw new HTTPException(409, { message: `unit ${id} has ${active.length} active dispatch(es); release them first` });
    const now = deps.clock.now();
    await setUnitStatus(deps.db, id, body.status, now);
    await appendAudit(deps.db, { atMs: now, actor: c.get('user').name, action: 'unit.status', entity: 'unit', entityId: id, note: body.note ?? null, data: { from: unit.status, to: body.status } });
    deps.events.emit('unit.updated', { unit: id, site: unit.site, status: body.status }, { site: unit.site, unit: id });
    return c.json({ unit: unitView((await getUnit(deps.db, id))!, opsDispatcher(deps)) });
  });

  app.put('/api/units/:id/roster', requireRole('commander'), async (c) => {
    const id = c.req.param('id');
    const body = await jsonBody(c, rosterBody);
    const unit = await getUnit(deps.db, id);
    if (!unit) throw new NotFoundError('unit', id);
    assertSite(c.get('user'), unit.site, 'unit', id);
    const now = deps.clock.now();
    await setUnitRoster(deps.db, id, body.roster, now);
    await appendAudit(deps.db, { atMs: now, actor: c.get('user').name, action: 'unit.roster', entity: 'unit', entityId: id, data: body.roster });
    const updated = (await getUnit(deps.db, id))!;
    deps.events.emit('unit.updated', { unit: id, site: unit.site, status: updated.status }, { site: unit.site, unit: id });
    return c.json({ unit: unitView(updated, opsDispatcher(deps)) });
  });
}
