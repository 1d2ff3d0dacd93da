import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, until, PASSWORD, type TestHub } from '../dashboard/harness.ts';
import { crowdAlarm, putSnapshot } from '../dashboard/alarms.ts';
import { healthSubject } from '../../../common/subjects.ts';

describe('live routes on a real hub and NATS', () => {
  let hub: TestHub;
  let token: string;
  const get = (path: string, auth = true) => fetch(hub.url + path, { headers: auth ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    hub = await startTestHub();
    const res = await fetch(hub.url + '/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'operator', password: PASSWORD }) });
    token = (await res.json()).token;
  });
  afterAll(async () => { await hub?.close(); });

  it('refuses every live route without a login', async () => {
    for (const p of ['/api/live/sites', '/api/live/cameras', '/api/live/zones', '/api/sites/demo/plan', '/api/snapshots/vigil-snapshots/x.jpg']) {
      expect((await get(p, false)).status, p).toBe(401);
    }
  });

  it('describes the site for the map, with the plan image served behind the login', async () => {
    const { sites } = await (await get('/api/live/sites')).json();
    expect(sites[0]).toMatchObject({ id: 'demo', map: { widthM: 160, heightM: 100, imageUrl: '/api/sites/demo/plan' } });
    expect(sites[0].units).toHaveLength(6);
    expect(sites[0].cameras[0].zones[0]).toMatchObject({ id: 'crossing', criticalDensity: 0.05 });
    expect(JSON.stringify(sites)).not.toMatch(/VIGIL_DEMO_SENSOR_TOKEN|onvif/);
    const plan = await get(sites[0].map.imageUrl);
    expect(plan.status).toBe(200);
    expect(plan.headers.get('content-type')).toBe('image/svg+xml');
    expect(plan.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await plan.text()).toMatch(/<svg/);
    expect((await get('/api/sites/nowhere/plan')).status).toBe(404);
  });

  it('turns edge heartbeats and crowd alarms into camera health and zone series', async () => {
    const at = Date.now();
    hub.nc.publish(healthSubject('demo', 'edge-1'), JSON.stringify({
      site: 'demo', edge: 'edge-1', at: new Date(at - 1000).toISOString(),
      cameras: [{ id: 'plaza-east', status: 'ok', fps: 2 }],
      zones: [{ camera: 'plaza-east', zone: 'crossing', count: 4, density: 0.022, los: 'A', method: 'detections', trendPerMin: 0.001 }],
    }));
    hub.nc.publish(healthSubject('demo', 'edge-1'), 'not json');
    await hub.publish(crowdAlarm());
    const zone = await until('two points', async () => {
      const { zones } = await (await get('/api/live/zones')).json();
      return zones[0]?.series.length === 2 ? zones[0] : null;
    });
    expect(zone).toMatchObject({ site: 'demo', camera: 'plaza-east', zone: 'crossing', latest: { density: 0.061, source: 'alarm' } });
    expect(zone.alarms[0]).toMatchObject({ level: 'critical', state: 'raised' });
    const since = (await (await get(`/api/live/zones?since=${zone.series[0].t}`)).json()).zones[0];
    expect(since.series).toHaveLength(1);
    expect((await get('/api/live/zones?since=-3')).status).toBe(400);
    const { cameras } = await (await get('/api/live/cameras')).json();
    expect(cameras[0]).toMatchObject({ camera: 'plaza-east', status: 'ok', edge: 'edge-1', fps: 2, position: { x: 118, y: 34 } });
  });

  it('keys what it shows by the subject: another site\'s edge cannot mark this camera offline', async () => {
    // What a compromised edge of site "elsewhere" can publish: its own subjects, naming demo in the body.
    hub.nc.publish(healthSubject('elsewhere', 'edge-x'), JSON.stringify({ site: 'demo', edge: 'edge-1', cameras: [{ id: 'plaza-east', status: 'offline' }] }));
    const forged = { ...crowdAlarm(), kind: 'camera.offline', severity: 'critical', health: { reason: 'forged' } } as Record<string, unknown>;
    delete forged.crowd;
    hub.nc.publish('vigil.alarm.elsewhere.plaza-east.camera.offline', JSON.stringify(forged));
    // A genuine heartbeat afterwards: once it is seen, the forged messages (sent earlier) were too.
    hub.nc.publish(healthSubject('demo', 'edge-1'), JSON.stringify({ site: 'demo', edge: 'edge-1', cameras: [{ id: 'plaza-east', status: 'ok', fps: 3 }] }));
    const cam = await until('the genuine heartbeat', async () => {
      const { cameras } = await (await get('/api/live/cameras')).json();
      return cameras[0]?.fps === 3 ? cameras[0] : null;
    });
    expect(cam).toMatchObject({ camera: 'plaza-east', status: 'ok', openAlarms: [] });
    const { edges } = await (await get('/api/live/cameras')).json();
    expect(edges.map((e: { site: string; edge: string }) => `${e.site}/${e.edge}`)).toEqual(['demo/edge-1']);
  });

  it('serves the snapshot of a stored alarm from the JetStream Object Store, and audits the read', async () => {
    const a = crowdAlarm();
    const ref = await putSnapshot(hub.nc, a.site, a.camera, a.id);
    // Before its alarm is stored the object is nobody's to read, whatever its name says.
    expect((await get(`/api/snapshots/${ref.bucket}/${ref.name}`)).status).toBe(404);
    await hub.publish({ ...a, snapshot: ref });
    await until('the alarm stored', async () => (await hub.store.db.selectFrom('alarms').select('id').where('id', '=', a.id).executeTakeFirst()) ?? null);
    const res = await get(`/api/snapshots/${ref.bucket}/${ref.name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const body = new Uint8Array(await res.arrayBuffer());
    expect([body[0], body[1]]).toEqual([0xff, 0xd8]);
    const audit = await hub.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'snapshot.read').where('entity_id', '=', a.id).execute();
    expect(audit.map((r) => r.actor)).toEqual(['operator']);
    // Another object of the same camera, not the one the alarm names, is not served through it.
    const other = await putSnapshot(hub.nc, a.site, a.camera, `${a.id}x`);
    expect((await get(`/api/snapshots/${other.bucket}/${other.name}`)).status).toBe(404);
    expect((await get(`/api/snapshots/${ref.bucket}/demo/plaza-east/missing.jpg`)).status).toBe(404);
    expect((await get('/api/snapshots/bad%20bucket/x.jpg')).status).toBe(400);
  });

  it('serves the dashboard page and bundle without a login, with a strict CSP', async () => {
    const page = await fetch(hub.url + '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).toMatch(/\/assets\/app\.js/);
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(hub.url + '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const css = await (await fetch(hub.url + '/assets/app.css')).text();
    expect(css).toMatch(/leaflet-container/);
    // Offline: the bundle fetches nothing from any other host (Leaflet's images are inlined).
    expect(css.match(/url\([^)]*\)/g)?.filter((u) => !/^url\((data:|#default#VML)/.test(u)) ?? []).toEqual([]);
    expect((await fetch(hub.url + '/assets/other.js')).status).toBe(404);
  });
});
