import type { Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { dispatch, errorBody, idParams, unit } from '../response-schemas.ts';
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
  route(app, { method: 'get', path: '/api/units', access: { permission: 'units.read' }, query: listQuery, summary: 'Units with their readiness.', responses: { 200: z.object({ units: z.array(unit) }) } }, async (c) => {
    const q = queryParams(c, listQuery);
    const { units } = opsOf(deps);
    const list = q.site && !maySeeSite(c.get('user'), q.site) ? [] : visibleItems(c.get('user'), await units.list(q.site));
    const filtered = q.ready === undefined ? list : list.filter((u) => u.readiness.ready === (q.ready === 'true'));
    return c.json({ units: filtered.map((u) => unitView(u, units)) });
  });

  route(app, { method: 'get', path: '/api/units/:id', access: { permission: 'units.detail' }, params: idParams, summary: 'A unit with its active dispatches; a unit login sees its own only.', responses: { 200: z.object({ unit, dispatches: z.array(dispatch) }), 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    const user = c.get('user');
    if (user.role === 'unit' && user.unit !== id) throw new AccessDeniedError('a unit login may act only for its own unit', 'error.own_unit_only');
    const { units } = opsOf(deps);
    const unit = await units.get(id);
    assertSite(user, unit.site, 'unit', id);
    const active = (await listDispatches(deps.db, { unitId: id, active: true })).filter((d) => dispatchVisible(d, user));
    return c.json({ unit: unitView(unit, units), dispatches: active.map((d) => dispatchView(d, user)) });
  });

  route(app, { method: 'patch', path: '/api/units/:id/status', access: { permission: 'units.status' }, params: idParams, body: statusBody, summary: 'Set a status people set by hand; the others follow the unit\'s dispatches.', responses: { 200: z.object({ unit }), 404: errorBody, 409: errorBody } }, async (c) => {
    const body = await jsonBody(c, statusBody);
    const { units } = opsOf(deps);
    assertSite(c.get('user'), (await units.get(c.req.param('id'))).site, 'unit', c.req.param('id'));
    const unit = await units.setStatus(c.req.param('id'), body.status, c.get('user'), body.note ?? null);
    return c.json({ unit: unitView(unit, units) });
  });

  route(app, { method: 'put', path: '/api/units/:id/roster', access: { permission: 'units.roster' }, params: idParams, body: rosterBody, summary: 'Replace the unit\'s roster of shifts.', responses: { 200: z.object({ unit }), 404: errorBody } }, async (c) => {
    const body = await jsonBody(c, rosterBody);
    const { units } = opsOf(deps);
    assertSite(c.get('user'), (await units.get(c.req.param('id'))).site, 'unit', c.req.param('id'));
    const unit = await units.setRoster(c.req.param('id'), body.roster, c.get('user'));
    return c.json({ unit: unitView(unit, units) });
  });
}
