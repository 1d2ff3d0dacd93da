import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { errorMessage } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { renderSnapshot } from '../sink/snapshot.ts';
import type { DetectionResult } from '../types.ts';

export const MJPEG_BOUNDARY = 'vigilframe';
export const MJPEG_CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`;
/** Persons are blurred down to a lower score than alarms count them at: a missed blur shows a face. */
const BLUR_MIN_SCORE = 0.15;
const PERSON = 0;

export interface LiveViewOptions {
  cameras: readonly string[];
  /** the site's option: person boxes blurred in every picture that leaves the edge */
  blurPersons: boolean;
  /** the hub's key (edge.yaml http.liveToken); null turns the live view off */
  token: string | null;
  /** @default 2 */
  maxFps?: number;
  /** @default 70 */
  quality?: number;
  logger?: Logger;
}

interface Latest { result: DetectionResult; encoded: Promise<Buffer> | null }

export interface LiveView {
  /** every analysed frame with its detections (the pipeline's onResult) */
  offer(camera: string, result: DetectionResult): void;
  /** the camera's newest analysed frame as JPEG, encoded once however many watch */
  frame(camera: string): Promise<{ jpeg: Buffer; seq: number; capturedAt: number } | null>;
  /** GET /cameras/:id/frame.jpg and /cameras/:id/live.mjpg, behind the hub's bearer key */
  readonly routes: Hono;
  /** connections open now */
  viewers(): number;
}

/**
 * A camera's live picture at 1–2 fps: the frames the detector has just
 * analysed (so no second decode), as a motion-JPEG stream. Nothing is encoded
 * while nobody watches. With the site's blurPersons, every person the detector
 * saw is blurred in every frame sent, as in stored snapshots.
 */
export function createLiveView(options: LiveViewOptions): LiveView {
  const o = Object.freeze({ maxFps: 2, quality: 70, ...options });
  const latest = new Map<string, Latest>();
  const known = new Set(o.cameras);
  let viewers = 0;

  const frame = async (camera: string) => {
    const l = latest.get(camera);
    if (!l) return null;
    if (!l.encoded) {
      const r = l.result;
      const persons = r.detections.filter((d) => d.classId === PERSON && d.score >= BLUR_MIN_SCORE).map((d) => d.bbox);
      l.encoded = renderSnapshot(r.frame, [], persons, { blurPersons: o.blurPersons, quality: o.quality }).then((s) => s.jpeg);
      l.encoded.catch(() => { if (latest.get(camera) === l) l.encoded = null; });
    }
    return { jpeg: await l.encoded, seq: l.result.frame.seq, capturedAt: l.result.frame.capturedAt };
  };

  const routes = new Hono();
  routes.use('/cameras/*', async function liveKey(c, next) {
    if (!o.token) return c.json({ error: 'disabled', message: 'the live view is off: edge.http.liveToken is not set' }, 403);
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(o.token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return c.json({ error: 'unauthorized', message: 'the live view needs the hub key' }, 401);
    const camera = decodeURIComponent(c.req.path.split('/')[2] ?? '');
    if (!known.has(camera)) return c.json({ error: 'not_found', message: `no camera ${camera} on this edge` }, 404);
    await next();
  });

  routes.get('/cameras/:id/frame.jpg', async (c) => {
    const f = await frame(c.req.param('id'));
    if (!f) return c.json({ error: 'no_frame', message: 'no frame analysed yet' }, 503);
    return c.body(new Uint8Array(f.jpeg), 200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
  });

  routes.get('/cameras/:id/live.mjpg', (c) => {
    const camera = c.req.param('id');
    const fps = Math.min(o.maxFps, Math.max(0.2, Number(c.req.query('fps') ?? o.maxFps) || o.maxFps));
    const periodMs = 1000 / fps;
    const enc = new TextEncoder();
    let timer: NodeJS.Timeout | null = null;
    let sent = -1;
    let closed = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        viewers++;
        const tick = async () => {
          if (closed) return;
          try {
            const f = await frame(camera);
            if (f && f.seq !== sent && !closed) {
              sent = f.seq;
              controller.enqueue(enc.encode(`--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.jpeg.length}\r\nX-Frame-Seq: ${f.seq}\r\nX-Captured-At: ${f.capturedAt}\r\n\r\n`));
              controller.enqueue(new Uint8Array(f.jpeg));
              controller.enqueue(enc.encode('\r\n'));
            }
          } catch (err) {
            o.logger?.warn('live view frame failed', { camera, err: errorMessage(err) });
          }
          if (!closed) timer = setTimeout(() => void tick(), periodMs);
        };
        void tick();
      },
      cancel() {
        closed = true;
        viewers--;
        if (timer) clearTimeout(timer);
      },
    });
    return c.body(stream, 200, { 'content-type': MJPEG_CONTENT_TYPE, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  });

  return {
    offer(camera, result) {
      if (known.has(camera)) latest.set(camera, { result, encoded: null });
    },
    frame,
    routes,
    viewers: () => viewers,
  };
}
