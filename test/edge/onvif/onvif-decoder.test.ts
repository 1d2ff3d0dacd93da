import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startSimCamera, type SimCamera } from '../../../fixtures/sim-camera/sim-camera.ts';
import { createOnvifSource } from '../../../edge/onvif/onvif-source.ts';
import { createFrameDecoder } from '../../../edge/decode/ffmpeg-decoder.ts';
import { silentLogger } from '../../../common/log.ts';
import type { Frame } from '../../../edge/types.ts';
import { simCameraConfig } from './sim-config.ts';

const VIDEO = path.resolve('fixtures/.cache/vtest.avi');

describe('ONVIF source into the edge decoder', () => {
  let cam: SimCamera | undefined;
  afterAll(async () => { await cam?.stop(); });

  it('decodes real frames from the camera the ONVIF source resolves', async () => {
    cam = await startSimCamera({ video: VIDEO, user: 'admin', password: 'pw:1@x', clockOffsetMs: -3_600_000, name: 'decoder' });
    const source = createOnvifSource(simCameraConfig('hall-1', cam, { user: 'admin', password: 'pw:1@x' }), { logger: silentLogger });
    const decoder = createFrameDecoder(source, { fps: 5, width: 384, height: 288, logger: silentLogger });
    decoder.start();
    const frames: Frame[] = [];
    try {
      for await (const f of decoder.frames()) {
        frames.push(f);
        if (frames.length >= 3) break;
      }
    } finally {
      await decoder.stop();
    }
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatchObject({ camera: 'hall-1', width: 384, height: 288, sourceWidth: 768, sourceHeight: 576 });
    expect(frames[0]!.data.length).toBe(384 * 288 * 3);
  });
});
