import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startSimCamera, type FailMode, type SimCamera } from '../../../fixtures/sim-camera/sim-camera.ts';
import { connectOnvif } from '../../../edge/onvif/onvif-connection.ts';
import { OnvifError } from '../../../edge/onvif/onvif-error.ts';
import { silentLogger } from '../../../common/log.ts';

const VIDEO = path.resolve('fixtures/.cache/vtest.avi');
const ACTIONS = ['GetSystemDateAndTime', 'GetServices', 'GetCapabilities', 'GetProfiles', 'GetVideoSources', 'GetDeviceInformation', 'GetStreamUri', 'CreatePullPointSubscription', 'PullMessages', 'Renew'];

// Every action, every way of misbehaving: each must come back as an OnvifError
// naming the camera (or succeed where the client has a fallback), and nothing
// may throw out of the `onvif` package's callbacks (vitest fails on uncaught errors).
describe('odd camera replies never crash the process', () => {
  let cam: SimCamera;
  beforeAll(async () => { cam = await startSimCamera({ video: VIDEO, name: 'odd', maxPullWaitMs: 200 }); });
  afterAll(async () => { await cam?.stop(); });

  for (const mode of ['fault', 'malformed', 'unexpected', 'http500'] as FailMode[]) {
    it(`handles ${mode} on each action`, async () => {
      for (const action of ACTIONS) {
        cam.fail(action, mode);
        try {
          const conn = await connectOnvif({ host: cam.host, port: cam.port, camera: `odd-${action}`, logger: silentLogger, timeoutMs: 3000 });
          await conn.streamUri(conn.profile().token);
          await conn.createPullPoint();
          await conn.pullMessages();
          await conn.renew();
          await conn.unsubscribe();
        } catch (err) {
          expect(err).toBeInstanceOf(OnvifError);
          expect((err as OnvifError).message).toContain(`odd-${action} (127.0.0.1:${cam.port})`);
        } finally {
          cam.fail(action, null);
        }
      }
    });
  }
});
