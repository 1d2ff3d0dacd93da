import type { CameraConfig } from '../common/config/site.ts';
import { readSecret, resolveFrom } from '../common/config/load.ts';
import type { Logger } from '../common/log.ts';
import { createFileSource, createRtspSource } from './decode/sources.ts';
import { createOnvifSource } from './onvif/onvif-source.ts';
import type { CameraSource } from './types.ts';

/** The CameraSource for a camera's configured source: a file, an RTSP URL or an ONVIF device. */
export function cameraSourceFor(camera: CameraConfig, siteFile: string, logger: Logger): CameraSource {
  const s = camera.source;
  if ('file' in s) return createFileSource(camera.id, resolveFrom(siteFile, s.file), { realtime: s.realtime, loop: s.loop });
  if ('rtsp' in s) {
    const password = readSecret(s.password, `cameras.${camera.id}.source.password`, siteFile);
    return createRtspSource(camera.id, s.rtsp, { ...(s.user !== undefined ? { user: s.user } : {}), ...(password !== undefined ? { password } : {}) });
  }
  return createOnvifSource(camera, { logger, configFile: siteFile });
}
