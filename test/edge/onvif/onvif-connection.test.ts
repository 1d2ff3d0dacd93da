import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startSimCamera, type SimCamera } from '../../../fixtures/sim-camera/sim-camera.ts';
import { connectOnvif } from '../../../edge/onvif/onvif-connection.ts';
import { createOnvifSource } from '../../../edge/onvif/onvif-source.ts';
import { OnvifError } from '../../../edge/onvif/onvif-error.ts';
import { discoverCameras } from '../../../edge/onvif/onvif-discovery.ts';
import { createLogger, silentLogger } from '../../../common/log.ts';
import { freePort } from '../../../common/proc/free-port.ts';
import { readRtspFrames } from './read-rtsp-frames.ts';
import { simCameraConfig } from './sim-config.ts';

const VIDEO = path.resolve('fixtures/.cache/vtest.avi');
const USER = 'operator';
const PASSWORD = 'c0rrect horse:battery@staple';

describe('ONVIF connection against the simulated camera', () => {
  const cams: SimCamera[] = [];
  let ahead: SimCamera;
  let behind: SimCamera;
  beforeAll(async () => {
    ahead = await startSimCamera({ video: VIDEO, user: USER, password: PASSWORD, clockOffsetMs: 3_600_000, name: 'ahead', authToleranceMs: 30_000 });
    behind = await startSimCamera({ video: VIDEO, user: USER, password: PASSWORD, clockOffsetMs: -3_600_000, name: 'behind', authToleranceMs: 30_000 });
    cams.push(ahead, behind);
  });
  afterAll(async () => { await Promise.all(cams.map((c) => c.stop())); });

  it('discovers the camera by a unicast probe, then connects with its clock an hour off either way', async () => {
    const found = await discoverCameras({ addresses: [`127.0.0.1:${ahead.discoveryPort}`, `127.0.0.1:${behind.discoveryPort}`], multicast: false, timeoutMs: 1500 });
    const mine = found.filter((f) => f.endpoint === ahead.id || f.endpoint === behind.id);
    expect(mine).toHaveLength(2);
    const a = mine.find((f) => f.endpoint === ahead.id)!;
    expect(a).toMatchObject({ host: '127.0.0.1', port: ahead.port, path: '/onvif/device_service', name: 'ahead' });

    for (const [cam, offset] of [[ahead, 3_600_000], [behind, -3_600_000]] as const) {
      const conn = await connectOnvif({ host: cam.host, port: cam.port, user: USER, password: PASSWORD, camera: cam.name, logger: silentLogger });
      expect(Math.abs(conn.clockOffsetMs - offset)).toBeLessThan(5_000);
      expect(conn.deviceInformation).toMatchObject({ manufacturer: 'Vigil', model: 'SimCamera', serialNumber: cam.name });
      expect(conn.profiles.map((p) => p.token)).toEqual(['profile_main', 'profile_sub']);
      expect(conn.profiles[0]).toMatchObject({ encoding: 'H264', width: 768, height: 576, fps: 10 });
      expect(conn.profile(1).token).toBe('profile_sub');
      expect(conn.profile('profile_main').name).toBe('MainStream');
      expect(() => conn.profile('nope')).toThrow(/no profile "nope"/);
      expect(await conn.streamUri('profile_sub')).toBe(`rtsp://127.0.0.1:${cam.rtspPort}/stream/sub`);
      expect(await conn.snapshotUri('profile_main')).toBe(`http://127.0.0.1:${cam.port}/onvif/snapshot/profile_main.jpg`);
    }

    // every token the client sent: a fresh 16-byte nonce each time, `Created` on the camera's clock
    for (const cam of [ahead, behind]) {
      const log = cam.authLog;
      expect(log.length).toBeGreaterThan(4);
      expect(log.every((a) => a.accepted)).toBe(true);
      expect(new Set(log.map((a) => a.nonce)).size).toBe(log.length);
      expect(log.every((a) => Buffer.from(a.nonce, 'base64').length === 16)).toBe(true);
    }
    const created = Date.parse(ahead.authLog.at(-1)!.created);
    expect(Math.abs(created - (Date.now() + 3_600_000))).toBeLessThan(30_000);
  });

  it('discovers by multicast on loopback when the group is reachable here', async () => {
    const mc = await startSimCamera({ video: VIDEO, name: 'mc', multicastDiscovery: true });
    cams.push(mc);
    if (!mc.multicastDiscovery) return; // this host cannot join the group; unicast is covered above
    const found = await discoverCameras({ multicast: true, interface: '127.0.0.1', timeoutMs: 1500 });
    expect(found.some((f) => f.endpoint === mc.id && f.port === mc.port)).toBe(true);
  });

  it('resolves an ONVIF source to an RTSP URI with credentials that ffmpeg reads real frames from', async () => {
    process.env.VIGIL_TEST_CAM_PASSWORD = PASSWORD;
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', level: 'debug', write: (l) => lines.push(l) });
    const source = createOnvifSource(simCameraConfig('gate-1', behind, { user: USER, password: { env: 'VIGIL_TEST_CAM_PASSWORD' } }, { profile: 'profile_sub' }), { logger });
    expect(source.display).toBe(`onvif://127.0.0.1:${behind.port}/onvif/device_service`);
    const r = await source.resolve();
    expect(r.isLive).toBe(true);
    expect(r.input).toContain('/stream/sub');
    expect(new URL(r.input).username).toBe(USER);
    const frames = await readRtspFrames(r.input, { count: 3 });
    expect(frames.bytes).toBe(768 * 576 * 3 * 3);
    expect(lines.join('\n')).not.toContain('battery');
    expect(lines.join('\n')).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('turns a wrong password, a SOAP fault, malformed XML and an unreachable camera into OnvifErrors naming the camera', async () => {
    const bad = await connectOnvif({ host: ahead.host, port: ahead.port, user: USER, password: 'Xyzzy-42', camera: 'cam-wrongpw', logger: silentLogger }).catch((e) => e);
    expect(bad).toBeInstanceOf(OnvifError);
    expect(bad.code).toBe('ONVIF_AUTH');
    expect(bad.message).toContain(`cam-wrongpw (127.0.0.1:${ahead.port})`);
    expect(bad.message).not.toContain('Xyzzy');

    const broken = await startSimCamera({ video: VIDEO, name: 'broken' });
    cams.push(broken);
    broken.fail('GetProfiles', 'fault');
    const fault = await connectOnvif({ host: broken.host, port: broken.port, camera: 'cam-fault', logger: silentLogger }).then(
      (c) => c.streamUri(c.profiles[0]!.token), (e) => e);
    // the package drops media state on a GetProfiles fault, so we report no profiles
    expect(fault).toBeInstanceOf(OnvifError);
    expect(fault.message).toContain('cam-fault');

    broken.fail('GetProfiles', null);
    broken.fail('GetStreamUri', 'fault');
    const conn = await connectOnvif({ host: broken.host, port: broken.port, camera: 'cam-fault', logger: silentLogger });
    const sf = await conn.streamUri('profile_main').catch((e) => e);
    expect(sf).toBeInstanceOf(OnvifError);
    expect(sf.code).toBe('ONVIF_FAULT');
    expect(sf.message).toMatch(/cam-fault .*GetStreamUri.*simulated failure/);

    broken.fail('*', 'malformed');
    const mal = await connectOnvif({ host: broken.host, port: broken.port, camera: 'cam-malformed', logger: silentLogger, timeoutMs: 3000 }).catch((e) => e);
    expect(mal).toBeInstanceOf(OnvifError);
    expect(mal.code).toBe('ONVIF_MALFORMED');
    expect(mal.message).toContain('cam-malformed');
    broken.fail('*', null);

    const port = await freePort();
    const gone = await connectOnvif({ host: '127.0.0.1', port, camera: 'cam-gone', logger: silentLogger, timeoutMs: 3000 }).catch((e) => e);
    expect(gone).toBeInstanceOf(OnvifError);
    expect(gone.code).toBe('ONVIF_UNREACHABLE');
    expect(gone.message).toContain(`cam-gone (127.0.0.1:${port})`);

    const src = createOnvifSource(simCameraConfig('cam-src', { host: '127.0.0.1', port }), { logger: silentLogger });
    await expect(src.resolve()).rejects.toThrow(/cam-src/);
  });
});
