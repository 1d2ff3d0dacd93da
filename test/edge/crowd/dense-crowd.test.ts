import { fileURLToPath } from 'node:url';
import path from 'node:path';
import sharp from 'sharp';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cameraSchema } from '../../../common/config/site.ts';
import type { BBox } from '../../../common/geometry.ts';
import { createCrowdAnalyzer, type ZoneMeasures } from '../../../edge/crowd/crowd-analyzer.ts';
import { createFrameDecoder } from '../../../edge/decode/ffmpeg-decoder.ts';
import { createFileSource } from '../../../edge/decode/sources.ts';
import { createDetectorPool, type DetectorPool } from '../../../edge/detect/detector-pool.ts';
import type { Frame } from '../../../edge/types.ts';

/**
 * Dense crowds must not be undercounted. Scenes are composed from real
 * footage: the empty walkway (a temporal median of vtest.avi) with real
 * pedestrians cut from vtest frames pasted on it at increasing counts, in
 * perspective (smaller towards the top), drawn far-to-near so that nearer
 * people occlude farther ones. The analyzer first sees a few sparse scenes
 * (where detection is reliable and the dense estimators calibrate), then the
 * dense ones through the real detector.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const video = path.join(root, 'fixtures/.cache/vtest.avi');
const W = 768, H = 576;

// Confident, whole pedestrians in the vtest frames at 4 s, 6 s and 8 s (boxes from the detector, checked by eye).
const CROPS: { t: number; box: [number, number, number, number] }[] = [
  { t: 4, box: [371, 177, 401, 257] }, { t: 4, box: [683, 258, 719, 374] }, { t: 4, box: [512, 226, 552, 311] }, { t: 4, box: [562, 220, 596, 306] },
  { t: 6, box: [589, 212, 624, 314] }, { t: 6, box: [299, 166, 328, 234] }, { t: 6, box: [480, 194, 511, 271] }, { t: 6, box: [444, 196, 477, 274] },
  { t: 8, box: [287, 190, 317, 257] }, { t: 8, box: [567, 173, 600, 258] }, { t: 8, box: [373, 177, 410, 260] }, { t: 8, box: [484, 164, 517, 234] },
];

interface Crop { w: number; h: number; data: Uint8Array }

/** Deterministic PRNG (mulberry32), so that every run composes the same scenes. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function decodeAll(fps: number): Promise<Frame[]> {
  const dec = createFrameDecoder(createFileSource('v', video), { fps, lossless: true });
  dec.start();
  const out: Frame[] = [];
  for await (const f of dec.frames()) out.push(f);
  return out;
}

function cut(f: Frame, [x1, y1, x2, y2]: readonly number[]): Crop {
  const w = x2! - x1!, h = y2! - y1!;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(f.data.subarray(((y1! + y) * f.width + x1!) * 3, ((y1! + y) * f.width + x1! + w) * 3), y * w * 3);
  return { w, h, data };
}

async function scaled(c: Crop, s: number): Promise<Crop> {
  const w = Math.max(4, Math.round(c.w * s)), h = Math.max(8, Math.round(c.h * s));
  const data = await sharp(c.data, { raw: { width: c.w, height: c.h, channels: 3 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
  return { w, h, data: new Uint8Array(data) };
}

/** Pastes `n` people on the plate; returns the frame and their feet positions. */
async function compose(plate: Uint8Array, crops: Crop[], n: number, seed: number): Promise<Uint8Array> {
  const r = rng(seed);
  const people = Array.from({ length: n }, () => {
    const feetY = 150 + r() * (H - 160);
    // Perspective as in vtest: ~64 px tall at y=200, ~120 px at y=450 (crops are ~70–110 px).
    const scale = Math.max(0.3, (0.225 * feetY + 18.8) / 85) * (0.55 + r() * 0.3);
    return { feetY, x: r() * W, crop: crops[Math.floor(r() * crops.length)]!, scale };
  }).sort((a, b) => a.feetY - b.feetY);
  const img = plate.slice();
  for (const p of people) {
    const c = await scaled(p.crop, p.scale);
    const x0 = Math.round(p.x - c.w / 2), y0 = Math.round(p.feetY - c.h);
    for (let y = 0; y < c.h; y++) {
      const yy = y0 + y;
      if (yy < 0 || yy >= H) continue;
      for (let x = 0; x < c.w; x++) {
        const xx = x0 + x;
        if (xx < 0 || xx >= W) continue;
        const s = (y * c.w + x) * 3, d = (yy * W + xx) * 3;
        img[d] = c.data[s]!; img[d + 1] = c.data[s + 1]!; img[d + 2] = c.data[s + 2]!;
      }
    }
  }
  return img;
}

describe('dense-crowd estimator on composed scenes', () => {
  let pool: DetectorPool;
  let plate: Uint8Array;
  let crops: Crop[];

  beforeAll(async () => {
    const frames = await decodeAll(0.5);
    // The empty walkway: per-pixel median over the clip, which walkers leave.
    plate = new Uint8Array(W * H * 3);
    const vals = new Uint8Array(frames.length);
    for (let i = 0; i < plate.length; i++) {
      for (let k = 0; k < frames.length; k++) vals[k] = frames[k]!.data[i]!;
      vals.sort();
      plate[i] = vals[vals.length >> 1]!;
    }
    crops = CROPS.map((c) => cut(frames.find((f) => f.mediaTime === c.t)!, c.box));
    pool = await createDetectorPool({ workers: 2 });
  }, 300_000);
  afterAll(async () => { await pool?.close(); });

  it('rises with the true count and is not far below it where detection saturates', async () => {
    const camera = cameraSchema.parse({ id: 'dense', source: { file: 'x' }, zones: [{ id: 'all', polygon: [[0, 0], [W, 0], [W, H], [0, H]], areaM2: 300 }] });
    const analyzer = createCrowdAnalyzer({ camera });
    let seq = 0;
    const frame = (data: Uint8Array): Frame => ({ camera: 'dense', seq: seq, width: W, height: H, data, capturedAt: Date.now(), mediaTime: seq++ * 0.5, sourceWidth: W, sourceHeight: H });
    const run = async (data: Uint8Array): Promise<{ m: ZoneMeasures; detected: number }> => {
      const opts = analyzer.detectOptions();
      const [r] = await pool.detect([frame(data)], opts);
      if (opts.tiles) r!.extras = { ...r!.extras, tiles: opts.tiles.rows * opts.tiles.cols };
      analyzer.process(r!);
      return { m: analyzer.latest()[0]!, detected: r!.detections.filter((d) => d.classId === 0 && d.score >= 0.3).length };
    };
    // The background model learns the empty walkway first (no detection needed for that).
    for (let i = 0; i < 22; i++) analyzer.process({ frame: frame(plate), detections: [], inferenceMs: 0 });
    // Sparse scenes: detection is reliable here, and the dense estimators calibrate on it.
    for (let i = 0; i < 8; i++) await run(await compose(plate, crops, 2 + (i % 4), 100 + i));

    const rows: { n: number; count: number; method: string; confidence: number; signals: string }[] = [];
    for (const n of [12, 25, 50, 100, 200]) {
      const scene = await compose(plate, crops, n, n);
      let r = await run(scene);
      // A saturated frame asks for tiles on the next one, as in the pipeline.
      if (analyzer.detectOptions().tiles && r.m.method === 'detections') r = await run(scene);
      rows.push({ n, count: r.m.rawCount, method: r.m.method, confidence: r.m.confidence, signals: JSON.stringify(r.m.signals, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)) });
    }
    // What plain detection alone makes of the two densest scenes.
    const plain = await Promise.all([100, 200].map(async (n) => {
      const [r] = await pool.detect([frame(await compose(plate, crops, n, n))]);
      return r!.detections.filter((d) => d.classId === 0 && d.score >= 0.3).length;
    }));
    console.log(rows.map((r) => `true ${r.n}: estimate ${r.count} (${r.method}, confidence ${r.confidence.toFixed(2)}) ${r.signals}`).join('\n') + `\nplain detection: ${plain.join(', ')}`);

    for (let i = 1; i < rows.length; i++) expect(rows[i]!.count).toBeGreaterThan(rows[i - 1]!.count);
    for (const r of rows) expect(r.count).toBeGreaterThanOrEqual(0.6 * r.n);
    // Where plain detection saturates, the estimate must not follow it down.
    expect(plain[0]! / 100).toBeLessThan(0.6);
    expect(rows[3]!.count).toBeGreaterThanOrEqual(1.5 * plain[0]!);
    expect(rows[4]!.count).toBeGreaterThanOrEqual(1.5 * plain[1]!);
    expect(rows[4]!.method).not.toBe('detections');
    expect(rows[4]!.confidence).toBeLessThan(0.9);
  }, 240_000);
});
