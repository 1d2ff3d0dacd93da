import type { Hono } from 'hono';
import { z } from 'zod';
import { can, type HubEnv } from '../auth.ts';
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
  const command = can('drills.command');

  app.get('/api/drills/schedule', command, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ drills: (await opsOf(deps).drills.schedule(oneSite(c.get('user'), q.site))).map(drillView) });
  });

  app.get('/api/drills', command, async (c) => {
    const q = queryParams(c, z.object({ site: z.string().max(64).optional(), unit: z.string().max(64).optional(), month: z.string().regex(/^\d{4}-\d\d$/, 'must be YYYY-MM').optional() }).strict());
    const site = oneSite(c.get('user'), q.site);
    return c.json({ drills: (await opsOf(deps).drills.history({ ...(site ? { site } : {}), ...(q.unit ? { unitId: q.unit } : {}), ...(q.month ? { month: q.month } : {}) })).map(drillView) });
  });

  app.get('/api/drills/report/units', command, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ units: (await opsOf(deps).drills.reportByUnit(oneSite(c.get('user'), q.site))).map((u) => ({ ...u, lastDrilledAt: iso(u.lastDrilledAt), nextDueBy: iso(u.nextDueBy) })) });
  });

  app.get('/api/drills/report/months', command, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ months: await opsOf(deps).drills.reportByMonth(oneSite(c.get('user'), q.site)) });
  });

  app.post('/api/drills', command, async (c) => {
    const body = await jsonBody(c, z.object({ unit: z.string().min(1).max(64), at: z.iso.datetime({ offset: true }).optional() }).strict());
    const at = body.at ? Date.parse(body.at) : deps.clock.now();
    const ops = opsOf(deps);
    assertSite(c.get('user'), (await ops.units.get(body.unit)).site, 'unit', body.unit);
    const d = await ops.drills.scheduleManual(body.unit, at, c.get('user').name);
    return c.json({ drill: drillView(d) }, 201);
  });
}
