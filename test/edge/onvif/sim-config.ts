import { cameraSchema, type CameraConfig } from '../../../common/config/site.ts';
import type { SimCamera } from '../../../fixtures/sim-camera/sim-camera.ts';

/** A site-config camera entry pointing at a simulated camera. */
export function simCameraConfig(id: string, cam: { host: string; port: number }, auth: { user?: string; password?: string | { env: string } } = {}, extra: Record<string, unknown> = {}): CameraConfig {
  return cameraSchema.parse({
    id,
    source: { onvif: { host: cam.host, port: cam.port, ...auth, ...extra } },
    zones: [{ id: 'concourse', polygon: [[0, 0], [768, 0], [768, 576], [0, 576]], areaM2: 120 }],
  });
}

export type { SimCamera };
