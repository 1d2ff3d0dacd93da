import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Hono } from 'hono';
import { z } from 'zod';
import { Objm } from '@nats-io/obj';
import { HTTPException } from 'hono/http-exception';
import { requireRole, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { queryParams } from '../validate.ts';
import { createLiveState, type LiveState } from '../../live/live-state.ts';
import { startLiveFeed } from '../../live/live-feed.ts';
import { siteView } from '../../live/site-view.ts';
import { findPlanFile, PLAN_TYPES } from '../../live/plan-file.ts';
import { appendAudit } from '../../store/audit.ts';
import { assertSite, maySeeSite, visibleItems } from '../site-scope.ts';

declare module '../deps.ts' {
  interface HubDeps {
    /** where each site config was loaded from, by site id: plan images are relative to it */
    siteFiles?: Readonly<Record<string, string>>;
    /** the dashboard's live state; created from `nc` by registerLiveRoutes when absent */
    live?: LiveState;
  }
}

const LIVE_ROLES = ['operator', 'commander', 'engineer', 'unit'] as const;
const zonesQuery = z.object({ since: z.coerce.number().int().nonnegative().optional(), site: z.string().max(64).optional() }).strict();
const OBJECT_NAME = /^[A-Za-z0-9._:/-]{1,256}$/;
const BUCKET = /^[A-Za-z0-9_-]{1,64}$/;
/** <site>/<camera>/<alarm id>.jpg (common/transport/alarm-stream.ts snapshotObjectName) */
const SNAPSHOT_NAME = /^[^/]+\/[^/]+\/([^/]+)\.jpg$/;

/** The live state for these deps, fed from NATS when there is a connection. */
export function liveStateFor(deps: HubDeps): LiveState {
  if (!deps.live) {
    deps.live = createLiveState({ sites: deps.sites, clock: deps.clock });
    if (deps.nc) {
      const feed = startLiveFeed(deps.nc, deps.live, deps.logger);
      void deps.nc.closed().then(() => feed.stop());
    }
  }
  return deps.live;
}

/**
 * The dashboard's read side that no other module serves: site configs for the
 * map, live camera health and zone density series, plan images and snapshots.
 */
export function registerLiveRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const live = liveStateFor(deps);
  const anyLogin = requireRole(...LIVE_ROLES);

  // hub-core's GET /api/sites lists the sites; the map needs more (thresholds, units, the plan's URL).
  app.get('/api/live/sites', anyLogin, (c) => c.json({ sites: deps.sites.filter((s) => maySeeSite(c.get('user'), s.site.id)).map(siteView) }));

  app.get('/api/sites/:id/plan', anyLogin, async (c) => {
    const site = deps.sites.find((s) => s.site.id === c.req.param('id') && maySeeSite(c.get('user'), s.site.id));
    const file = site ? findPlanFile(site, deps.siteFiles) : null;
    if (!file) throw new HTTPException(404, { message: 'this site has no plan image' });
    const type = PLAN_TYPES[path.extname(file).toLowerCase()];
    if (!type) throw new HTTPException(404, { message: 'unsupported plan image type' });
    const body = await readFile(file);
    // A plan SVG is shown as an image; it must never run script of its own.
    return c.body(body, 200, { 'content-type': type, 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'cache-control': 'private, max-age=300' });
  });

  app.get('/api/live/cameras', anyLogin, (c) => c.json({ now: deps.clock.now(), cameras: visibleItems(c.get('user'), live.cameras()), edges: visibleItems(c.get('user'), live.edges()) }));

  app.get('/api/live/zones', anyLogin, (c) => {
    const q = queryParams(c, zonesQuery);
    return c.json({ now: deps.clock.now(), zones: visibleItems(c.get('user'), live.zones(q)) });
  });

  app.get('/api/snapshots/:bucket/:name{.+}', anyLogin, async (c) => {
    const bucket = c.req.param('bucket');
    const name = c.req.param('name');
    if (!BUCKET.test(bucket) || !OBJECT_NAME.test(name) || name.includes('..')) throw new HTTPException(400, { message: 'bad snapshot reference' });
    // A snapshot is served as part of its alarm: the alarm must be stored, name this very object, and be of a site the login may see.
    const user = c.get('user');
    const alarmId = SNAPSHOT_NAME.exec(name)?.[1];
    const alarm = alarmId ? await deps.db.selectFrom('alarms').select(['id', 'site', 'payload']).where('id', '=', alarmId).executeTakeFirst() : undefined;
    const ref = alarm ? (JSON.parse(alarm.payload) as { snapshot?: { bucket?: string; name?: string } }).snapshot : undefined;
    if (!alarm || ref?.bucket !== bucket || ref?.name !== name) throw new HTTPException(404, { message: 'no such snapshot' });
    assertSite(user, alarm.site, 'snapshot', name);
    if (!deps.nc) throw new HTTPException(503, { message: 'no NATS connection for snapshots' });
    let data: Uint8Array | null = null;
    try {
      const os = await new Objm(deps.nc).open(bucket);
      data = await os.getBlob(name);
    } catch (err) {
      deps.logger.warn('snapshot read failed', { bucket, name, err: (err as Error).message });
    }
    if (!data) throw new HTTPException(404, { message: 'no such snapshot' });
    await appendAudit(deps.db, { atMs: deps.clock.now(), actor: user.name, action: 'snapshot.read', entity: 'alarm', entityId: alarm.id, data: { bucket, name } });
    return c.body(data as Uint8Array<ArrayBuffer>, 200, { 'content-type': name.endsWith('.png') ? 'image/png' : 'image/jpeg', 'cache-control': 'private, max-age=86400, immutable' });
  });
}
