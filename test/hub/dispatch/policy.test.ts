import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../common/errors.ts';
import { createDispatchPolicy } from '../../../hub/dispatch/policy.ts';
import { rankByEta } from '../../../hub/dispatch/nearest.ts';
import { locateIncident } from '../../../hub/dispatch/location.ts';
import { testSite } from './ops-fixture.ts';

describe('dispatch policy', () => {
  it('has the plan defaults by kind and severity', () => {
    const p = createDispatchPolicy();
    expect(p.unitsFor('crowd.density', 'critical')).toBe(3);
    expect(p.unitsFor('crowd.density', 'warning')).toBe(1);
    expect(p.unitsFor('object.abandoned', 'warning')).toBe(2);
    expect(p.unitsFor('sensor.input', 'warning')).toBe(2);
    expect(p.unitsFor('camera.offline', 'critical')).toBe(0);
    expect(p.unitsFor('camera.tamper', 'warning')).toBe(0);
    expect(p.unitsFor('sensor.motion', 'info')).toBe(0);
    expect(p.ackTimeoutMs).toBe(60_000);
    expect(p.onSceneTargetMs).toBe(1_800_000);
    expect(Object.isFrozen(p.config.rules)).toBe(true);
  });

  it('takes rules, timeouts and speeds from config, first match wins', () => {
    const p = createDispatchPolicy({ ackTimeoutS: 30, defaultSpeed: 2, siteSpeeds: { plaza: 3 }, unitSpeeds: { bike: 6 }, rules: [{ kind: 'sensor.*', units: 1 }, { kind: '*', units: 4 }] });
    expect(p.speedOf('u9', 'plaza')).toBe(3);
    expect(p.speedOf('bike', 'plaza')).toBe(6);
    expect(p.unitsFor('sensor.input', 'critical')).toBe(1);
    expect(p.unitsFor('crowd.density', 'info')).toBe(4);
    expect(p.speedOf('bike')).toBe(6);
    expect(p.speedOf('u1')).toBe(2);
    expect(p.ackTimeoutMs).toBe(30_000);
  });

  it('refuses a bad policy when it is built, naming the path', () => {
    expect(() => createDispatchPolicy({ rules: [{ kind: 'crowd density', units: 1 }] })).toThrow(ConfigError);
    expect(() => createDispatchPolicy({ ackTimeoutS: -1 })).toThrow(/ackTimeoutS/);
  });
});

describe('nearest units', () => {
  it('ranks by ETA (distance / speed), then distance, then id', () => {
    const units = [{ id: 'walk', x: 100, y: 0 }, { id: 'bike', x: 300, y: 0 }, { id: 'b', x: 0, y: 50 }, { id: 'a', x: 0, y: -50 }];
    const speeds: Record<string, number> = { bike: 10 };
    const r = rankByEta(units, { x: 0, y: 0 }, (id) => speeds[id] ?? 1);
    expect(r.map((x) => x.unit.id)).toEqual(['bike', 'a', 'b', 'walk']);
    expect(r[0]).toMatchObject({ distance: 300, etaS: 30 });
  });

  it('locates an incident by zone map, camera, or sensor', () => {
    const site = testSite([]);
    expect(locateIncident(site, 'cam1', 'hall')).toMatchObject({ x: 10, y: 10, lat: 48.85, from: 'zone:cam1/hall' });
    expect(locateIncident(site, 'cam1', null)).toMatchObject({ x: 0, y: 0, from: 'camera:cam1' });
    expect(locateIncident(site, 'panic1', null)).toMatchObject({ x: 200, y: 0, from: 'sensor:panic1' });
    expect(locateIncident(site, 'nowhere', 'hall')).toMatchObject({ x: 10, y: 10 });
    expect(locateIncident(site, 'nowhere', null)).toBeNull();
  });
});
