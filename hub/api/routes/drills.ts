import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { requireRole, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import type { Drill } from '../../drills/drill-store.ts';
import type { DrillScheduler } from '../../drills/drill-scheduler.ts';
import type {} from '../../dispatch/ops.ts';
import { assertSite, oneSite } from '../site-scope.ts';
import { getUnit } from '../../units/unit-store.ts';
import { NotFoundError } from '../../store/not-found.ts';

function drillsOf(deps: HubDeps): DrillScheduler {
  const d = deps.ops?.drills;
  if (!d) throw new HTTPException(503, { message: 'drills are not running on this hub' });
  return d;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const drillView = (d: Drill) => ({ ...d, scheduledAt: iso(d.scheduledAt), startedAt: iso(d.startedAt), ackedAt: iso(d.ackedAt), onSceneAt: iso(d.onSceneAt), finishedAt: iso(d.finishedAt) });
const siteQuery = z.object({ site: z.string().max(64).optional() }).strict();

/**
 * Commanders and admins only: drill times are never disclosed in advance to
 * units (nor to operators, who talk to units).
 */
export function registerDrillRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const command = requireRole('commander');

  app.get('/api/drills/schedule', command, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ drills: (await drillsOf(deps).schedule(oneSite(c.get('user'), q.site))).map(drillView) });
  });

  app.get('/api/drills', command, async (c) => {
    const q = queryParams(c, z.object({ site: z.string().max(64).optional(), unit: z.string().max(64).optional(), month: z.string().regex(/^\d{4}-\d\d$/, 'must be YYYY-MM').optional() }).strict());
    const site = oneSite(c.get('user'), q.site);
    return c.json({ drills: (await drillsOf(deps).history({ ...(site ? { site } : {}), ...(q.unit ? { unitId: q.unit } : {}), ...(q.month ? { month: q.month } : {}) })).map(drillView) });
  });

  app.get('/api/drills/report/units', command, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ units: (await drillsOf(deps).reportByUnit(oneSite(c.get('user'), q.site))).map((u) => ({ ...u, lastDrilledAt: iso(u.lastDrilledAt), nextDueBy: iso(u.nextDueBy) })) });
  });

  app.get('/api/drills/report/months', command, async (c) => {
    const q = queryParams(c, siteQuery);
    return c.json({ months: await drillsOf(deps).reportByMonth(oneSite(c.get('user'), q.site)) });
  });

  app.post('/api/drills', command, async (c) => {
    const body = await jsonBody(c, z.object({ unit: z.string().min(1).max(64), at: z.iso.datetime({ offset: true }).optional() }).strict());
    const at = body.at ? Date.parse(body.at) : deps.clock.now();
    const unit = await getUnit(deps.db, body.unit);
    if (!unit) throw new NotFoundError('unit', body.unit);
    assertSite(c.get('user'), unit.site, 'unit', body.unit);
    const d = await drillsOf(deps).scheduleManual(body.unit, at, c.get('user').name);
    return c.json({ drill: drillView(d) }, 201);
  });
}
