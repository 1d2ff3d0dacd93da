import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { checkConfig } from '../../../common/config/load.ts';
import { siteSchema } from '../../../common/config/site.ts';
import { parseAlarm } from '../../../common/alarm.ts';
import { createLiveState, MAX_EDGES_PER_SITE } from '../../../hub/live/live-state.ts';
import { alarmRoute, healthRoute } from '../../../hub/live/live-feed.ts';
import { parseHeartbeat } from '../../../hub/live/heartbeat.ts';
import { RingBuffer } from '../../../hub/live/ring-buffer.ts';
import { siteView } from '../../../hub/live/site-view.ts';

const site = checkConfig(siteSchema, {
  site: { id: 's1', name: 'Site', map: { image: 'plan.svg', widthM: 100, heightM: 50 } },
  cameras: [{ id: 'cam1', source: { rtsp: 'rtsp://user:secret@10.0.0.9/stream' }, position: { x: 5, y: 6 }, zones: [{ id: 'z1', polygon: [[0, 0], [10, 0], [10, 10]], areaM2: 50, map: [[0, 0], [10, 0], [10, 10]], crowd: { warningDensity: 1, criticalDensity: 2 } }] }],
  sensors: [{ id: 'p1', type: 'panic', via: 'webhook', token: 'sensor-secret' }],
}, 'test');

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function alarm(over: Record<string, unknown>) {
  return parseAlarm({ v: 1, id: `a-${Math.random().toString(36).slice(2, 10)}`, state: 'raised', severity: 'warning', site: 's1', camera: 'cam1', zone: null, episode: 'e', capturedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toISOString(), mediaTime: null, edge: 'e1', ...over });
}

describe('ring buffer', () => {
  it('keeps the newest entries in order and drops stale ones from the front', () => {
    const r = new RingBuffer<number>(3);
    for (const n of [1, 2, 3, 4, 5]) r.push(n);
    expect(r.toArray()).toEqual([3, 4, 5]);
    r.dropWhile((n) => n < 5);
    expect(r.toArray()).toEqual([5]);
    expect(r.last()).toBe(5);
    expect(() => new RingBuffer(0)).toThrow(/positive/);
  });
});

describe('heartbeat parsing', () => {
  it('accepts ISO or ms times and unknown fields, and refuses junk without throwing', () => {
    const hb = parseHeartbeat(bytes({ site: 's1', edge: 'e1', at: '2026-01-01T00:00:00Z', extra: 1, zones: [{ camera: 'cam1', zone: 'z1', count: 3, density: 0.5, los: 'C' }] }));
    expect(hb?.at).toBe(Date.UTC(2026, 0, 1));
    expect(hb?.cameras).toEqual([]);
    expect(parseHeartbeat(bytes({ site: 's1' }))).toBeNull();
    expect(parseHeartbeat(new TextEncoder().encode('{nope'))).toBeNull();
  });
});

describe('live state', () => {
  it('keeps an hour of zone density from heartbeats and crowd alarms', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const live = createLiveState({ sites: [site], clock });
    expect(live.zones()[0]).toMatchObject({ zone: 'z1', latest: null, series: [], warningDensity: 1, criticalDensity: 2 });
    live.applyHeartbeat({ site: 's1', edge: 'e1' }, parseHeartbeat(bytes({ site: 's1', edge: 'e1', at: clock.now(), zones: [{ camera: 'cam1', zone: 'z1', count: 20, density: 0.4, los: 'B', method: 'detections', trendPerMin: 0.1 }] }))!);
    live.applyAlarm(alarm({ kind: 'crowd.density', zone: 'z1', crowd: { count: 60, density: 1.2, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.2, etaNextThresholdS: 40, level: 'warning', threshold: 1, areaM2: 50 } }));
    let z = live.zones()[0]!;
    expect(z.series.map((p) => [p.density, p.source])).toEqual([[0.4, 'heartbeat'], [1.2, 'alarm']]);
    expect(z.latest).toMatchObject({ density: 1.2, los: 'E', trendPerMin: 0.2 });
    expect(z.alarms).toHaveLength(1);
    expect(live.zones({ since: clock.now() })[0]!.series).toHaveLength(1);
    // Zones this hub does not know are ignored, not kept unseen: their number is the edge's to choose.
    live.applyHeartbeat({ site: 's1', edge: 'e1' }, parseHeartbeat(bytes({ site: 's1', edge: 'e1', at: clock.now() + 1, zones: [{ camera: 'cam1', zone: 'z9', count: 1, density: 9, los: 'F' }] }))!);
    expect(live.zones().map((x) => [x.zone, x.series.length])).toEqual([['z1', 2]]);
    clock.advance(61 * 60_000);
    z = live.zones()[0]!;
    expect(z.series).toEqual([]);
    expect(z.latest).toBeNull();
  });

  it('derives camera health from heartbeats, open camera alarms and silence', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const live = createLiveState({ sites: [site], clock, staleAfterMs: 30_000 });
    expect(live.cameras()[0]).toMatchObject({ camera: 'cam1', status: 'unknown', position: { x: 5, y: 6 } });
    live.applyHeartbeat({ site: 's1', edge: 'e1' }, parseHeartbeat(bytes({ site: 's1', edge: 'e1', cameras: [{ id: 'cam1', status: 'online', fps: 5 }, { id: 'cam9', status: 'ok' }] }))!);
    // cam9 is not configured: it is not kept, whatever an edge reports.
    expect(live.cameras().map((c) => [c.camera, c.status])).toEqual([['cam1', 'ok']]);
    live.applyAlarm(alarm({ kind: 'camera.frozen', health: { reason: 'no change for 12 s' } }));
    expect(live.cameras()[0]).toMatchObject({ status: 'frozen', reason: 'no change for 12 s', openAlarms: ['camera.frozen'] });
    live.applyAlarm(alarm({ kind: 'camera.frozen', state: 'cleared', health: { reason: 'moving again' } }));
    expect(live.cameras()[0]!.status).toBe('ok');
    clock.advance(31_000);
    expect(live.cameras()[0]!.status).toBe('stale');
  });
});

describe('live state trusts subjects, not bodies', () => {
  const other = checkConfig(siteSchema, { site: { id: 's2', name: 'Other', edges: ['e2'] }, cameras: [{ id: 'cam2', source: { rtsp: 'rtsp://10.0.0.8/s' }, zones: [] }] }, 'test');
  const hb = (v: Record<string, unknown>) => parseHeartbeat(bytes(v))!;

  it('an edge of one site cannot mark another site\'s camera offline or claim its edge id', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const live = createLiveState({ sites: [site, other], clock });
    live.applyHeartbeat({ site: 's1', edge: 'e1' }, hb({ site: 's1', edge: 'e1', cameras: [{ id: 'cam1', status: 'ok' }] }));
    // Sent on s2's subject (all a site-s2 edge may publish on), claiming site s1 in the body.
    live.applyHeartbeat({ site: 's2', edge: 'e2' }, hb({ site: 's1', edge: 'e1', cameras: [{ id: 'cam1', status: 'offline' }] }));
    expect(live.cameras().find((c) => c.camera === 'cam1')).toMatchObject({ site: 's1', status: 'ok', edge: 'e1' });
    expect(live.edges().map((e) => `${e.site}/${e.edge}`).sort()).toEqual(['s1/e1', 's2/e2']);
  });

  it('ignores unknown sites, edges not listed by their site, and edges beyond the limit', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const live = createLiveState({ sites: [site, other], clock });
    live.applyHeartbeat({ site: 'nowhere', edge: 'e1' }, hb({ site: 'nowhere', edge: 'e1' }));
    live.applyHeartbeat({ site: 's2', edge: 'intruder' }, hb({ site: 's2', edge: 'intruder', cameras: [{ id: 'cam2', status: 'offline' }] }));
    expect(live.edges()).toEqual([]);
    expect(live.cameras().find((c) => c.camera === 'cam2')!.status).toBe('unknown');
    for (let i = 0; i < MAX_EDGES_PER_SITE + 50; i++) live.applyHeartbeat({ site: 's1', edge: `junk-${i}` }, hb({ site: 's1', edge: `junk-${i}` }));
    expect(live.edges()).toHaveLength(MAX_EDGES_PER_SITE);
  });

  it('reports the edge.disk health an edge sends', () => {
    const live = createLiveState({ sites: [site], clock: new FakeClock(Date.UTC(2026, 0, 1)) });
    live.applyHeartbeat({ site: 's1', edge: 'e1' }, hb({ site: 's1', edge: 'e1', disk: { state: 'full', freeBytes: 0, held: 12, refused: 0, snapshotsDropped: 3 }, warnings: ['edge.disk: disk full'] }));
    expect(live.edges()[0]).toMatchObject({ disk: { state: 'full', held: 12, refused: 0 }, warnings: ['edge.disk: disk full'] });
  });

  it('reads who a message is about from its subject', () => {
    expect(healthRoute('vigil.health.s1.e1')).toEqual({ site: 's1', edge: 'e1' });
    expect(healthRoute('vigil.health.s1')).toBeNull();
    expect(healthRoute('vigil.health.s1.e1.x')).toBeNull();
    expect(alarmRoute('vigil.alarm.s1.cam1.crowd.density')).toEqual({ site: 's1', camera: 'cam1', kind: 'crowd.density' });
    expect(alarmRoute('vigil.alarm.s1.cam1.crowd')).toBeNull();
  });
});

describe('site view for the map', () => {
  it('carries thresholds, units and the plan URL but never a credential', () => {
    const v = siteView(site);
    expect(v.map?.imageUrl).toBe('/api/sites/s1/plan');
    expect(v.cameras[0]!.zones[0]).toMatchObject({ warningDensity: 1, criticalDensity: 2, map: [[0, 0], [10, 0], [10, 10]] });
    const text = JSON.stringify(v);
    expect(text).not.toMatch(/secret|rtsp:/);
  });
});
