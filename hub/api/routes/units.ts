import type { Hono } from 'hono';
import { z } from 'zod';
import { can, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { dispatchView, dispatchVisible, unitView } from '../views.ts';
import { AccessDeniedError } from '../../service-errors.ts';
import { listDispatches } from '../../dispatch/dispatch-store.ts';
import { MANUAL_UNIT_STATUSES } from '../../units/unit-service.ts';
import { assertSite, maySeeSite, visibleItems } from '../site-scope.ts';

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
export const statusBody = z.object({ status: z.enum(MANUAL_UNIT_STATUSES), note: z.string().max(500).optional() }).strict();
const listQuery = z.object({ site: z.string().max(64).optional(), ready: z.enum(['true', 'false']).optional() }).strict();

export function registerUnitRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  app.get('/api/units', can('units.read'), async (c) => {
    const q = queryParams(c, listQuery);
    const { units } = opsOf(deps);
    const list = q.site && !maySeeSite(c.get('user'), q.site) ? [] : visibleItems(c.get('user'), await units.list(q.site));
    const filtered = q.ready === undefined ? list : list.filter((u) => u.readiness.ready === (q.ready === 'true'));
    return c.json({ units: filtered.map((u) => unitView(u, units)) });
  });

  app.get('/api/units/:id', can('units.detail'), async (c) => {
    const id = c.req.param('id');
    const user = c.get('user');
    if (user.role === 'unit' && user.unit !== id) throw new AccessDeniedError('a unit login may act only for its own unit', 'error.own_unit_only');
    const { units } = opsOf(deps);
    const unit = await units.get(id);
    assertSite(user, unit.site, 'unit', id);
    const active = (await listDispatches(deps.db, { unitId: id, active: true })).filter((d) => dispatchVisible(d, user));
    return c.json({ unit: unitView(unit, units), dispatches: active.map((d) => dispatchView(d, user)) });
  });

  app.patch('/api/units/:id/status', can('units.status'), async (c) => {
    const body = await jsonBody(c, statusBody);
    const { units } = opsOf(deps);
    assertSite(c.get('user'), (await units.get(c.req.param('id'))).site, 'unit', c.req.param('id'));
    const unit = await units.setStatus(c.req.param('id'), body.status, c.get('user'), body.note ?? null);
    return c.json({ unit: unitView(unit, units) });
  });

  app.put('/api/units/:id/roster', can('units.roster'), async (c) => {
    const body = await jsonBody(c, rosterBody);
    const { units } = opsOf(deps);
    assertSite(c.get('user'), (await units.get(c.req.param('id'))).site, 'unit', c.req.param('id'));
    const unit = await units.setRoster(c.req.param('id'), body.roster, c.get('user'));
    return c.json({ unit: unitView(unit, units) });
  });
}
