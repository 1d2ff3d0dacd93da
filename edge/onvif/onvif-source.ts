import type { CameraConfig } from '../../common/config/site.ts';
import type { Logger } from '../../common/log.ts';
import type { CameraSource } from '../types.ts';
import { connectOnvif, type OnvifConnection, type OnvifConnectOptions } from './onvif-connection.ts';
import { onvifConnectOptions, onvifSourceOf } from './onvif-config.ts';
import { OnvifError } from './onvif-error.ts';

export interface OnvifSourceOptions {
  logger: Logger;
  configFile?: string;
  /** for tests: how to connect; connectOnvif by default */
  connect?: (o: OnvifConnectOptions) => Promise<OnvifConnection>;
}

/** Puts the camera's credentials into the RTSP URI for ffmpeg; the result must never be logged unmasked. */
export function withCredentials(uri: string, user: string | undefined, password: string | undefined): string {
  if (!user) return uri;
  const u = new URL(uri);
  u.username = encodeURIComponent(user);
  u.password = password === undefined ? '' : encodeURIComponent(password);
  return u.toString();
}

/**
 * An ONVIF camera as a CameraSource: every resolve() connects (so a camera
 * that moved its stream, rebooted or changed its clock is picked up again),
 * picks the configured profile, and returns its RTSP URI with credentials.
 */
export function createOnvifSource(camera: CameraConfig, options: OnvifSourceOptions): CameraSource {
  const src = onvifSourceOf(camera);
  const o = Object.freeze({ ...options });
  const connect = o.connect ?? connectOnvif;
  return Object.freeze({
    id: camera.id,
    display: `onvif://${src.host}:${src.port}${src.path}`,
    async resolve() {
      const copts = onvifConnectOptions(camera, o.logger, o.configFile);
      const conn = await connect(copts);
      const profile = conn.profile(src.profile);
      const uri = await conn.streamUri(profile.token);
      let input: string;
      try {
        input = withCredentials(uri, copts.user, copts.password);
      } catch (err) {
        throw new OnvifError(conn.label, 'GetStreamUri', 'the camera returned an unusable stream URI', { cause: err, code: 'ONVIF_MALFORMED' });
      }
      o.logger.info('onvif stream resolved', { camera: conn.label, profile: profile.token, uri });
      return { input, realtime: false, loop: false, isLive: true, rtspTransport: 'tcp' as const };
    },
  });
}
