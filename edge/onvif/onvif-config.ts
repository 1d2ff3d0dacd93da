import type { CameraConfig } from '../../common/config/site.ts';
import { readSecret } from '../../common/config/load.ts';
import type { Logger } from '../../common/log.ts';
import { OnvifError } from './onvif-error.ts';
import type { OnvifConnectOptions } from './onvif-connection.ts';

export type OnvifCameraSource = Extract<CameraConfig['source'], { onvif: unknown }>['onvif'];

/** The `source.onvif` block of a camera, or an error naming the camera when it is not an ONVIF one. */
export function onvifSourceOf(camera: CameraConfig): OnvifCameraSource {
  if (!('onvif' in camera.source)) throw new OnvifError(camera.id, 'config', 'source is not an onvif source', { code: 'ONVIF' });
  return camera.source.onvif;
}

/**
 * Connection options from the site config. The password may be inline, from
 * the environment or from a mounted file (readSecret); it is read here, when
 * needed, and never logged.
 */
export function onvifConnectOptions(camera: CameraConfig, logger: Logger, configFile?: string): OnvifConnectOptions {
  const src = onvifSourceOf(camera);
  const i = `cameras.${camera.id}.source.onvif`;
  return {
    camera: camera.id,
    host: src.host,
    port: src.port,
    path: src.path,
    user: src.user,
    password: readSecret(src.password as { value?: string; env?: string; file?: string } | undefined, `${i}.password`, configFile),
    logger,
  };
}
