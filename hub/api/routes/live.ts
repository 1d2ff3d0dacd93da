import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { Objm } from '@nats-io/obj';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { errorBody } from '../response-schemas.ts';
import type { HubDeps } from '../deps.ts';
import { queryParams } from '../validate.ts';
import { ApiError } from '../../service-errors.ts';
import { siteView } from '../../live/site-view.ts';
import { findPlanFile, PLAN_TYPES } from '../../live/plan-file.ts';
import type { LiveState } from '../../live/live-state.ts';
import { appendAudit } from '../../store/audit.ts';
import { assertSite, maySeeSite, visibleItems } from '../site-scope.ts';

const zonesQuery = z.object({ since: z.coerce.number().int().nonnegative().optional(), site: z.string().max(64).optional() }).strict();
const streamQuery = z.object({ fps: z.coerce.number().min(0.2).max(2).default(2) }).strict();
const OBJECT_NAME = /^[A-Za-z0-9._:/-]{1,256}$/;
const BUCKET = /^[A-Za-z0-9_-]{1,64}$/;
/** <site>/<camera>/<alarm id>.jpg (common/transport/alarm-stream.ts snapshotObjectName) */
const SNAPSHOT_NAME = /^[^/]+\/[^/]+\/([^/]+)\.jpg$/;

function liveOf(deps: HubDeps): LiveState {
  if (!deps.live) throw new ApiError(503, 'unavailable', 'live state is not running on this hub', 'error.not_running', { service: 'live' });
  return deps.live;
}

/**
 * The dashboard's read side that no other module serves: site configs for the
 * map, live camera health and zone density series, plan images, snapshots and
 * the cameras' live pictures (relayed from the edges).
 */
export function registerLiveRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const read = { permission: 'live.read' } as const;
  const video = { permission: 'live.video' } as const;

  // hub-core's GET /api/sites lists the sites; the map needs more (thresholds, units, the plan's URL).
  route(app, { method: 'get', path: '/api/live/sites', access: read, summary: 'What the map needs of each site: plan, cameras and zones with thresholds, sensors and units.', responses: { 200: z.object({ sites: z.array(liveSite) }) } }, (c) => c.json({ sites: deps.sites.filter((s) => maySeeSite(c.get('user'), s.site.id)).map(siteView) }));

  route(app, { method: 'get', path: '/api/sites/:id/plan', access: read, params: z.object({ id: z.string().min(1) }), summary: 'The site\'s plan image.', responses: { 200: { mediaType: 'image/*', description: 'PNG, JPEG or SVG (served with a CSP that runs no script)' }, 404: errorBody } }, async (c) => {
    const site = deps.sites.find((s) => s.site.id === c.req.param('id') && maySeeSite(c.get('user'), s.site.id));
    const file = site ? findPlanFile(site, deps.siteFiles) : null;
    if (!file) throw new ApiError(404, 'not_found', 'this site has no plan image', 'error.no_plan_image');
    const type = PLAN_TYPES[path.extname(file).toLowerCase()];
    if (!type) throw new ApiError(404, 'not_found', 'unsupported plan image type', 'error.no_plan_image');
    const body = await readFile(file);
    // A plan SVG is shown as an image; it must never run script of its own.
    return c.body(body, 200, { 'content-type': type, 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'cache-control': 'private, max-age=300' });
  });

  route(app, { method: 'get', path: '/api/live/cameras', access: read, summary: 'Live health of each camera and edge.', responses: { 200: camerasBody, 503: errorBody } }, (c) => {
    const live = liveOf(deps);
    return c.json({ now: deps.clock.now(), cameras: visibleItems(c.get('user'), live.cameras()), edges: visibleItems(c.get('user'), live.edges()) });
  });

  route(app, { method: 'get', path: '/api/live/zones', access: read, query: zonesQuery, summary: 'Zone density series (persons/m²), latest value and trend, and crowd alarms; `since` gives only newer points.', responses: { 200: zonesBody, 503: errorBody } }, (c) => {
    const q = queryParams(c, zonesQuery);
    return c.json({ now: deps.clock.now(), zones: visibleItems(c.get('user'), liveOf(deps).zones(q)) });
  });

  /** A camera the login may watch: the camera of a site it may see; to others it does not exist. */
  const watchable = (c: Context<HubEnv>) => {
    const site = c.req.param('site')!;
    const camera = c.req.param('camera')!;
    assertSite(c.get('user'), site, 'camera', `${site}/${camera}`);
    return { site, camera };
  };

  /**
   * A camera's live picture: a motion-JPEG stream at 1–2 fps from the edge that
   * runs it, persons blurred where the site asks. The video permission and the
   * camera's site; every view opened is audited, as snapshot reads are.
   */
  route(app, { method: 'get', path: '/api/live/cameras/:site/:camera/stream', access: video, params: cameraParams, query: streamQuery, summary: 'A camera\'s live picture: motion JPEG at 1–2 fps from its edge, persons blurred where the site asks. Audited.', responses: { 200: { mediaType: 'multipart/x-mixed-replace', description: 'JPEG frames' }, 404: errorBody, 503: errorBody } }, async (c) => {
    const { fps } = queryParams(c, streamQuery);
    const { site, camera } = watchable(c);
    const user = c.get('user');
    const res = await camerasOf(deps).stream(site, camera, fps, c.req.raw.signal);
    await appendAudit(deps.db, { atMs: deps.clock.now(), actor: user.name, action: 'camera.live_view', entity: 'camera', entityId: `${site}/${camera}`, data: { fps } });
    deps.logger.info('live view opened', { user: user.name, site, camera });
    return new Response(res.body, { status: 200, headers: { 'content-type': res.headers.get('content-type') ?? 'multipart/x-mixed-replace', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
  });

  route(app, { method: 'get', path: '/api/live/cameras/:site/:camera/frame', access: video, params: cameraParams, summary: 'One current frame of a camera.', responses: { 200: { mediaType: 'image/jpeg', description: 'a frame' }, 404: errorBody, 503: errorBody } }, async (c) => {
    const { site, camera } = watchable(c);
    const res = await camerasOf(deps).frame(site, camera, c.req.raw.signal);
    return c.body(new Uint8Array(await res.arrayBuffer()), 200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
  });

  route(app, { method: 'get', path: '/api/snapshots/:bucket/:name{.+}', access: read, params: z.object({ bucket: z.string().regex(BUCKET), name: z.string().regex(OBJECT_NAME).describe('<site>/<camera>/<alarm id>.jpg') }), summary: 'An alarm\'s snapshot, as part of its stored alarm. Audited.', responses: { 200: { mediaType: 'image/jpeg', description: 'the snapshot (image/png for .png)' }, 404: errorBody, 503: errorBody } }, async (c) => {
    const bucket = c.req.param('bucket');
    const name = c.req.param('name');
    if (!BUCKET.test(bucket) || !OBJECT_NAME.test(name) || name.includes('..')) throw new ApiError(400, 'bad_reference', 'bad snapshot reference', 'error.bad_reference');
    // A snapshot is served as part of its alarm: the alarm must be stored, name this very object, and be of a site the login may see.
    const user = c.get('user');
    const alarmId = SNAPSHOT_NAME.exec(name)?.[1];
    const alarm = alarmId ? await deps.db.selectFrom('alarms').select(['id', 'site', 'payload']).where('id', '=', alarmId).executeTakeFirst() : undefined;
    const ref = alarm ? (JSON.parse(alarm.payload) as { snapshot?: { bucket?: string; name?: string } }).snapshot : undefined;
    if (!alarm || ref?.bucket !== bucket || ref?.name !== name) throw noSnapshot();
    assertSite(user, alarm.site, 'snapshot', name);
    if (!deps.nc) throw new ApiError(503, 'unavailable', 'no NATS connection for snapshots', 'error.not_running', { service: 'NATS' });
    let data: Uint8Array | null = null;
    try {
      const os = await new Objm(deps.nc).open(bucket);
      data = await os.getBlob(name);
    } catch (err) {
      deps.logger.warn('snapshot read failed', { bucket, name, err: (err as Error).message });
    }
    if (!data) throw noSnapshot();
    await appendAudit(deps.db, { atMs: deps.clock.now(), actor: user.name, action: 'snapshot.read', entity: 'alarm', entityId: alarm.id, data: { bucket, name } });
    return c.body(data as Uint8Array<ArrayBuffer>, 200, { 'content-type': name.endsWith('.png') ? 'image/png' : 'image/jpeg', 'cache-control': 'private, max-age=86400, immutable' });
  });
}

const noSnapshot = () => new ApiError(404, 'not_found', 'no such snapshot', 'error.no_snapshot');

function camerasOf(deps: HubDeps) {
  if (!deps.cameras) throw new ApiError(503, 'live_unavailable', 'the live view is not configured on this hub (liveView)', 'error.live_not_configured');
  return deps.cameras;
}

const cameraParams = z.object({ site: z.string().min(1), camera: z.string().min(1) });
const point = z.object({ x: z.number(), y: z.number() });
const names = z.record(z.string(), z.string()).nullable().describe('names by locale');
const liveSite = z.object({
  id: z.string(), name: z.string(), names, timezone: z.string(), blurPersons: z.boolean().optional(),
  map: z.object({ widthM: z.number(), heightM: z.number(), pixelsPerMeter: z.number().nullable(), imageUrl: z.string().nullable() }).nullable(),
  cameras: z.array(z.object({
    id: z.string(), name: z.string(), names, position: point.nullable(),
    zones: z.array(z.object({ id: z.string(), name: z.string(), names, areaM2: z.number(), map: z.unknown().nullable(), polygon: z.array(z.array(z.number())), warningDensity: z.number(), criticalDensity: z.number() })),
  })),
  sensors: z.array(z.object({ id: z.string(), type: z.string(), name: z.string(), names, zone: z.string().nullable(), position: point.nullable(), severity: z.string() })),
  units: z.array(z.object({ id: z.string(), name: z.string(), names, position: point, equipment: z.array(z.string()), members: z.array(z.unknown()), roster: z.array(z.unknown()) })),
});
const camerasBody = z.object({
  now: z.number().describe('the hub clock, epoch ms'),
  cameras: z.array(z.object({ site: z.string(), camera: z.string(), name: z.string().nullable(), edge: z.string().nullable(), status: z.string(), reason: z.string().nullable(), fps: z.number().nullable(), lastHeartbeatMs: z.number().nullable(), lastFrameMs: z.number().nullable(), openAlarms: z.array(z.string()), position: point.nullable(), crowd: z.unknown().nullable() })),
  edges: z.array(z.object({ site: z.string(), edge: z.string(), lastHeartbeatMs: z.number(), stale: z.boolean(), outboxDepth: z.number().nullable(), outboxOldestAgeMs: z.number().nullable(), link: z.string().nullable(), warnings: z.array(z.string()), disk: z.object({ state: z.string(), held: z.number().nullable(), refused: z.number().nullable() }).nullable() })),
});
const zonePoint = z.object({ t: z.number(), density: z.number().describe('persons/m²'), count: z.number(), los: z.string().describe('Fruin level of service'), source: z.enum(['heartbeat', 'alarm']) });
const crowdAlarm = z.object({ t: z.number(), id: z.string(), state: z.enum(['raised', 'cleared']), level: z.enum(['warning', 'critical']), density: z.number(), threshold: z.number() });
const zonesBody = z.object({
  now: z.number(),
  zones: z.array(z.object({ site: z.string(), camera: z.string(), zone: z.string(), name: z.string().nullable(), areaM2: z.number(), warningDensity: z.number(), criticalDensity: z.number(), latest: zonePoint.extend({ method: z.string().nullable(), trendPerMin: z.number().nullable() }).nullable(), series: z.array(zonePoint), alarms: z.array(crowdAlarm) })),
});
