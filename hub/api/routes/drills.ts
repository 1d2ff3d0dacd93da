import type { Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { drill, errorBody } from '../response-schemas.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { iso } from '../views.ts';
import type { Drill } from '../../drills/drill-store.ts';
import { assertSite, oneSite } from '../site-scope.ts';

const drillView = (d: Drill) => ({ ...d, scheduledAt: iso(d.scheduledAt), startedAt: iso(d.startedAt), ackedAt: iso(d.ackedAt), onSceneAt: iso(d.onSceneAt), finishedAt: iso(d.finishedAt) });
const siteQuery = z.object({ site: z.string().max(64).optional() }).strict();

/**
 * Command only: drill times are never disclosed in advance to units (nor to
 * operators, who talk to units).
 */
export function registerDrillRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const command = { permission: 'drills.command' } as const;

  route(app, { method: 'get', path: '/api/drills/schedule', access: command, query: siteQuery, summary: 'Drills scheduled and not yet run (command only: never disclosed in advance).', responses: { 200: drillsBody } }, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ drills: (await opsOf(deps).drills.schedule(oneSite(c.get('user'), q.site))).map(drillView) });
  });

  route(app, { method: 'get', path: '/api/drills', access: command, query: historyQuery, summary: 'Drill history, by site, unit or month.', responses: { 200: drillsBody } }, async (c) => {
    const q = queryParams(c, historyQuery);
    const site = oneSite(c.get('user'), q.site);
    return c.json({ drills: (await opsOf(deps).drills.history({ ...(site ? { site } : {}), ...(q.unit ? { unitId: q.unit } : {}), ...(q.month ? { month: q.month } : {}) })).map(drillView) });
  });

  route(app, { method: 'get', path: '/api/drills/report/units', access: command, query: siteQuery, summary: 'Per unit: when last drilled and when the next is due.', responses: { 200: z.object({ units: z.array(z.object({ unit: z.string(), drills: z.number(), completed: z.number(), failed: z.number(), lastDrilledAt: z.string().nullable(), nextDueBy: z.string().nullable().describe('last drill + 6 months'), medianAckS: z.number().nullable(), medianOnSceneS: z.number().nullable() })) }) } }, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ units: (await opsOf(deps).drills.reportByUnit(oneSite(c.get('user'), q.site))).map((u) => ({ ...u, lastDrilledAt: iso(u.lastDrilledAt), nextDueBy: iso(u.nextDueBy) })) });
  });

  route(app, { method: 'get', path: '/api/drills/report/months', access: command, query: siteQuery, summary: 'Drill figures per month.', responses: { 200: z.object({ months: z.array(z.object({ month: z.string(), drills: z.number(), units: z.number(), completed: z.number(), failed: z.number(), medianAckS: z.number().nullable(), medianOnSceneS: z.number().nullable() })) }) } }, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ months: await opsOf(deps).drills.reportByMonth(oneSite(c.get('user'), q.site)) });
  });

  route(app, { method: 'post', path: '/api/drills', access: command, body: drillBody, summary: 'Schedule a drill for a unit, now or at a time.', responses: { 201: z.object({ drill }), 404: errorBody } }, async (c) => {
    const body = await jsonBody(c, drillBody);
    const at = body.at ? Date.parse(body.at) : deps.clock.now();
    const ops = opsOf(deps);
    assertSite(c.get('user'), (await ops.units.get(body.unit)).site, 'unit', body.unit);
    const d = await ops.drills.scheduleManual(body.unit, at, c.get('user').name);
    return c.json({ drill: drillView(d) }, 201);
  });
}

const historyQuery = z.object({ site: z.string().max(64).optional(), unit: z.string().max(64).optional(), month: z.string().regex(/^\d{4}-\d\d$/, 'must be YYYY-MM').optional() }).strict();
const drillBody = z.object({ unit: z.string().min(1).max(64), at: z.iso.datetime({ offset: true }).optional() }).strict();
const drillsBody = z.object({ drills: z.array(drill) });
