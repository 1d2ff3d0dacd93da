import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createLiveView, MJPEG_BOUNDARY } from '../../../edge/live/live-view.ts';
import type { DetectionResult } from '../../../edge/types.ts';

const W = 160;
const H = 120;
const TOKEN = 'edge-live-token-0123456789';

/** A frame of fine stripes (lots of detail), with a "person" detection over the left half. */
function result(seq: number): DetectionResult {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill((x + y) % 2 ? 255 : 0, (y * W + x) * 3, (y * W + x) * 3 + 3);
  return {
    frame: { camera: 'cam1', seq, width: W, height: H, data, capturedAt: 1000 + seq, mediaTime: seq / 2, sourceWidth: W, sourceHeight: H },
    detections: [{ bbox: [0, 0, 80, 120], score: 0.6, classId: 0, label: 'person' }],
    inferenceMs: 1,
  };
}

/** Mean absolute difference between neighbouring pixels: high for stripes, low once blurred. */
async function detail(jpeg: Buffer, left: number, width: number): Promise<number> {
  const { data, info } = await sharp(jpeg).extract({ left, top: 10, width, height: 100 }).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 1; i < data.length; i++) if (i % info.width) sum += Math.abs(data[i]! - data[i - 1]!);
  return sum / data.length;
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('edge live view', () => {
  it('blurs every detected person when the site asks, and only then', async () => {
    for (const blur of [true, false]) {
      const lv = createLiveView({ cameras: ['cam1'], blurPersons: blur, token: TOKEN });
      lv.offer('cam1', result(1));
      const f = (await lv.frame('cam1'))!;
      expect(f.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      const inside = await detail(f.jpeg, 10, 60);
      const outside = await detail(f.jpeg, 90, 60);
      if (blur) expect(inside).toBeLessThan(outside / 4);
      else expect(inside).toBeGreaterThan(outside / 2);
    }
  });

  it('serves a motion-JPEG stream behind the hub\'s key, and nothing without it', async () => {
    const lv = createLiveView({ cameras: ['cam1'], blurPersons: true, token: TOKEN, maxFps: 2 });
    expect((await lv.routes.request('/cameras/cam1/frame.jpg')).status).toBe(401);
    expect((await lv.routes.request('/cameras/cam1/frame.jpg', { headers: { authorization: 'Bearer wrong-token-of-the-same-size' } })).status).toBe(401);
    expect((await lv.routes.request('/cameras/cam1/frame.jpg', { headers: auth })).status).toBe(503); // nothing analysed yet
    expect((await lv.routes.request('/cameras/cam9/frame.jpg', { headers: auth })).status).toBe(404);
    lv.offer('cam1', result(1));
    const one = await lv.routes.request('/cameras/cam1/frame.jpg', { headers: auth });
    expect(one.headers.get('content-type')).toBe('image/jpeg');
    const res = await lv.routes.request('/cameras/cam1/live.mjpg', { headers: auth });
    expect(res.headers.get('content-type')).toBe(`multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`);
    const reader = res.body!.getReader();
    let text = '';
    const parts = () => text.split(`--${MJPEG_BOUNDARY}`).length - 1;
    setTimeout(() => lv.offer('cam1', result(2)), 100);
    while (parts() < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('latin1');
    }
    expect(text).toMatch(/Content-Type: image\/jpeg\r\nContent-Length: \d+\r\nX-Frame-Seq: 1/);
    expect(text).toMatch(/X-Frame-Seq: 2/);
    expect(lv.viewers()).toBe(1);
    await reader.cancel();
    expect(lv.viewers()).toBe(0);
    const off = createLiveView({ cameras: ['cam1'], blurPersons: true, token: null });
    expect((await off.routes.request('/cameras/cam1/live.mjpg', { headers: auth })).status).toBe(403);
  });
});
