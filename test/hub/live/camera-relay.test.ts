import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubApp } from '../../../hub/api/app.ts';
import type { ApiUser, HubDeps } from '../../../hub/api/deps.ts';
import { registerLiveRoutes } from '../../../hub/api/routes/live.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { createLiveState } from '../../../hub/live/live-state.ts';
import { createCameraRelay } from '../../../hub/live/camera-relay.ts';
import { createLiveView, MJPEG_BOUNDARY } from '../../../edge/live/live-view.ts';
import { openTestDb, testSite, USERS } from '../dispatch/ops-fixture.ts';
import { startSession, withSessionParts } from '../../../hub/api/sessions.ts';

const SECRET = 's'.repeat(48);
const EDGE_TOKEN = 'edge-live-token-0123456789';
const W = 64;
const H = 48;

describe('camera live view through the hub: role and site checks', () => {
  let server: ServerType;
  let app: ReturnType<typeof createHubApp>;
  let h: Awaited<ReturnType<typeof openTestDb>>;
  const clock = new FakeClock(Date.UTC(2026, 5, 3, 10));
  const site = testSite([]);
  // A second site, served by the same edge here: only the site check keeps a guard of one site from the other's cameras.
  const depot = testSite([], 'depot');
  let deps: HubDeps;
  let edgeCalls = 0;

  beforeAll(async () => {
    // The edge: its real live view, on loopback, with one analysed frame.
    const lv = createLiveView({ cameras: ['cam1'], blurPersons: true, token: EDGE_TOKEN });
    lv.offer('cam1', { frame: { camera: 'cam1', seq: 1, width: W, height: H, data: new Uint8Array(W * H * 3).fill(90), capturedAt: 0, mediaTime: 0, sourceWidth: W, sourceHeight: H }, detections: [], inferenceMs: 1 });
    server = await new Promise((resolve) => { const s = serve({ fetch: lv.routes.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s)); });
    const edgeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await openTestDb('sqlite');
    const events = createHubEvents({ now: () => clock.now() });
    const live = createLiveState({ sites: [site], clock });
    live.applyHeartbeat({ site: 'metro', edge: 'e1' }, { site: 'metro', edge: 'e1', cameras: [{ id: 'cam1', status: 'ok' }], zones: [], warnings: [] });
    // Every request to an edge is counted: a refused viewer must not reach one.
    const countingFetch: typeof fetch = (input, init) => { edgeCalls++; return fetch(input, init); };
    deps = withSessionParts({
      db: h.db, dialect: 'sqlite', events, clock, logger: silentLogger,
      config: { corsOrigins: [], jwtSecret: SECRET, tokenTtlS: 3600, bodyLimitBytes: 65536 },
      sites: [site, depot], auth: { login: async () => null }, incidents: createIncidentService({ db: h.db, dialect: 'sqlite', clock, events }),
      health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'none' } }),
      live, cameras: createCameraRelay({ sites: [site, depot], live, edges: { e1: edgeUrl }, token: EDGE_TOKEN, fetch: countingFetch }),
    });
    app = createHubApp(deps, { extraRoutes: [registerLiveRoutes] });
  });
  afterAll(async () => {
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await h?.cleanup();
  });

  const get = async (path: string, user: ApiUser | null, lang?: string) => app.request(path, { headers: { ...(user ? { authorization: `Bearer ${(await startSession(deps, user)).token}` } : {}), ...(lang ? { 'accept-language': lang } : {}) } });

  it('streams the camera to the roles allowed live video, and to no one else', async () => {
    for (const user of [USERS.operator, USERS.commander, USERS.engineer, USERS.admin]) {
      const res = await get('/api/live/cameras/metro/cam1/stream?fps=1', user);
      expect(res.status, user.role).toBe(200);
      expect(res.headers.get('content-type')).toBe(`multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const reader = res.body!.getReader();
      let bytes = Buffer.alloc(0);
      while (bytes.indexOf(Buffer.from([0xff, 0xd9])) < 0) {
        const { value, done } = await reader.read();
        if (done) break;
        bytes = Buffer.concat([bytes, Buffer.from(value)]);
      }
      expect(bytes.indexOf(Buffer.from([0xff, 0xd8]))).toBeGreaterThan(0);
      await reader.cancel();
    }
    // Units see the map and snapshots, not live video; no login gets nothing.
    expect((await get('/api/live/cameras/metro/cam1/stream', USERS.unit1)).status).toBe(403);
    expect((await get('/api/live/cameras/metro/cam1/frame', USERS.unit1)).status).toBe(403);
    expect((await get('/api/live/cameras/metro/cam1/stream', null)).status).toBe(401);
    expect((await get('/api/live/sites', USERS.unit1)).status).toBe(200);
  });

  it('answers for cameras and sites it does not have, and a bad request, without reaching an edge', async () => {
    expect((await get('/api/live/cameras/metro/cam9/stream', USERS.operator)).status).toBe(404);
    expect((await get('/api/live/cameras/elsewhere/cam1/stream', USERS.operator)).status).toBe(404);
    expect((await get('/api/live/cameras/metro/cam1/stream?fps=30', USERS.operator)).status).toBe(400);
    const frame = await get('/api/live/cameras/metro/cam1/frame', USERS.engineer);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-type')).toBe('image/jpeg');
  });

  it('shows a login the cameras of its own sites only, and audits each view opened', async () => {
    const metroGuard: ApiUser = { name: 'mia', role: 'operator', sites: ['metro'] };
    const depotGuard: ApiUser = { name: 'dan', role: 'operator', sites: ['depot'] };
    const before = edgeCalls;
    for (const path of ['/api/live/cameras/metro/cam1/stream?fps=1', '/api/live/cameras/metro/cam1/frame']) {
      const res = await get(path, depotGuard);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_found', message: 'camera metro/cam1 not found' });
    }
    expect(edgeCalls, 'a refused viewer never reaches the edge').toBe(before);
    const zh = await (await get('/api/live/cameras/metro/cam1/frame', depotGuard, 'zh-CN')).json() as { message: string };
    expect(zh.message).toBe('找不到摄像机 metro/cam1');

    const res = await get('/api/live/cameras/metro/cam1/stream?fps=1', metroGuard);
    expect(res.status).toBe(200);
    await res.body!.cancel();
    expect(edgeCalls).toBe(before + 1);
    // The other site's camera is as unknown to the metro guard as to the depot guard the other way round.
    expect((await get('/api/live/cameras/depot/cam1/stream?fps=1', metroGuard)).status).toBe(404);
    expect(edgeCalls).toBe(before + 1);
    const audit = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'camera.live_view').where('actor', '=', 'mia').execute();
    expect(audit.map((a) => a.entity_id)).toEqual(['metro/cam1']);
  });

  it('says why when the edge refuses the hub\'s key, in the user\'s language', async () => {
    const zh = await (await get('/api/live/cameras/metro/cam9/stream', USERS.operator, 'zh-CN,zh;q=0.9,en;q=0.5')).json() as { error: string; message: string };
    expect(zh).toEqual({ error: 'not_found', message: '找不到摄像机 metro/cam9' });
    const forbidden = await (await get('/api/live/cameras/metro/cam1/stream', USERS.unit1, 'zh-CN')).json() as { message: string };
    expect(forbidden.message).toBe('角色 处置队 无权执行此操作');
    const live = createLiveState({ sites: [site], clock });
    live.applyHeartbeat({ site: 'metro', edge: 'e1' }, { site: 'metro', edge: 'e1', cameras: [{ id: 'cam1', status: 'ok' }], zones: [], warnings: [] });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const relay = createCameraRelay({ sites: [site], live, edges: { e1: url }, token: 'not-the-edge-token-at-all' });
    await expect(relay.frame('metro', 'cam1', new AbortController().signal)).rejects.toMatchObject({ status: 502, code: 'live_unavailable' });
    const none = createCameraRelay({ sites: [site], live, edges: {}, token: EDGE_TOKEN });
    await expect(none.frame('metro', 'cam1', new AbortController().signal)).rejects.toMatchObject({ status: 503 });
  });
});
