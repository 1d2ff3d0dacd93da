import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { tf } from '../../models/backend.ts';
import { cocoLabel } from '../../models/coco-labels.ts';
import type { ModelFiles } from '../../models/loader.ts';
import { ModelError, ValidationError } from '../../common/errors.ts';
import type { BBox } from '../../common/geometry.ts';
import type { DetectRequestOptions, Detection } from '../types.ts';
import { nonMaxSuppression } from './nms.ts';

/** Per-request options (edge/types.ts); the crowd analytics decide when the extra cost is worth it. */
export type DetectOptions = DetectRequestOptions;

export interface PersonHeatmap { width: number; height: number; data: Float32Array }

export interface EngineResult {
  detections: Detection[];
  personHeatmap?: PersonHeatmap;
  inferenceMs: number;
}

export interface RawImage { data: Uint8Array; width: number; height: number }

export interface CenternetEngine {
  detect(image: RawImage, options?: DetectOptions): Promise<EngineResult>;
  dispose(): void;
}

export interface EngineOptions {
  files: ModelFiles;
  /** detections below this score are dropped; default 0.2 (persons are thresholded again by consumers) */
  minScore?: number;
  /** IoU above which same-class boxes are merged; default 0.5 */
  iouThreshold?: number;
}

const DETECTIONS = 'tower_0/detections';
const KEYPOINTS = 'tower_0/keypoints';

export function checkDetectOptions(options: DetectOptions | undefined): void {
  const t = options?.tiles;
  if (!t) return;
  for (const k of ['rows', 'cols'] as const) {
    if (!Number.isInteger(t[k]) || t[k] < 1 || t[k] > 8) throw new ValidationError(`tiles.${k}`, `expected an integer 1–8, got ${t[k]}`);
  }
  if (!(t.overlap >= 0 && t.overlap < 0.9)) throw new ValidationError('tiles.overlap', `expected a fraction in [0, 0.9), got ${t.overlap}`);
}

/** Tile rectangles covering the frame; neighbours share `overlap` of a tile so that a person on a seam is whole in one of them. */
export function tileRects(width: number, height: number, tiles: { rows: number; cols: number; overlap: number }): BBox[] {
  const axis = (size: number, n: number): [number, number][] => {
    const len = Math.min(size, Math.ceil(size / (n - (n - 1) * tiles.overlap)));
    const stride = n > 1 ? (size - len) / (n - 1) : 0;
    return Array.from({ length: n }, (_, i) => [Math.round(i * stride), Math.round(i * stride) + len]);
  };
  const out: BBox[] = [];
  for (const [y1, y2] of axis(height, tiles.rows)) for (const [x1, x2] of axis(width, tiles.cols)) out.push([x1, y1, x2, y2]);
  return out;
}

/**
 * One CenterNet model instance on the current TF.js backend. Preprocessing
 * (bilinear resize to 512², raw 0–255 floats) runs here so that the pool's
 * workers, not the main thread, pay for it.
 */
export async function createCenternetEngine(options: EngineOptions): Promise<CenternetEngine> {
  const { files } = options;
  const minScore = options.minScore ?? 0.2;
  const iouThreshold = options.iouThreshold ?? 0.5;
  const size = files.manifest.input.size;
  let model: GraphModel;
  try {
    model = await loadGraphModel(tf.io.fromMemory({ modelTopology: files.modelTopology, weightSpecs: files.weightSpecs as never, weightData: files.weightData }));
  } catch (err) {
    throw new ModelError('MODEL_LOAD', `cannot load model ${files.manifest.name} from ${files.packageDir}: ${(err as Error).message}`, { cause: err });
  }

  /** Runs the model on one region of the image; boxes come back in image pixels. */
  async function runRegion(image: tf.Tensor3D, rect: BBox, wantHeatmap: boolean): Promise<{ dets: Detection[]; heat?: Float32Array }> {
    const [x1, y1, x2, y2] = rect;
    const rw = x2 - x1;
    const rh = y2 - y1;
    const outputs = tf.tidy(() => {
      const region = rw === image.shape[1] && rh === image.shape[0] ? image : tf.slice(image, [y1, x1, 0], [rh, rw, 3]);
      const input = tf.expandDims(tf.image.resizeBilinear(region, [size, size]), 0);
      const names = wantHeatmap ? [DETECTIONS, KEYPOINTS] : [DETECTIONS];
      const executed = model.execute(input, names);
      // execute() unwraps a one-name request into a bare tensor.
      const out = Array.isArray(executed) ? executed : [executed];
      const det = out[0]!;
      if (!wantHeatmap) return [det];
      // Keep only the person channel; the other 79 are 1.3 MB we would copy for nothing.
      const heat = tf.slice(out[1]!, [0, 0, 0, 0], [1, -1, -1, 1]);
      return [det, heat];
    });
    try {
      const raw = (await outputs[0]!.data()) as Float32Array;
      const sx = rw / size;
      const sy = rh / size;
      const dets: Detection[] = [];
      for (let i = 0; i + 5 < raw.length; i += 6) {
        const score = raw[i + 4]!;
        const classId = raw[i + 5]!;
        if (!(score >= minScore) || !Number.isFinite(classId)) continue;
        const bbox: BBox = [
          Math.max(x1, Math.min(x2, x1 + raw[i]! * sx)),
          Math.max(y1, Math.min(y2, y1 + raw[i + 1]! * sy)),
          Math.max(x1, Math.min(x2, x1 + raw[i + 2]! * sx)),
          Math.max(y1, Math.min(y2, y1 + raw[i + 3]! * sy)),
        ];
        if (bbox[2] <= bbox[0] || bbox[3] <= bbox[1]) continue;
        dets.push({ bbox, score, classId: Math.round(classId), label: cocoLabel(Math.round(classId)) });
      }
      const heat = outputs[1] ? new Float32Array((await outputs[1].data()) as Float32Array) : undefined;
      return heat ? { dets, heat } : { dets };
    } finally {
      tf.dispose(outputs);
    }
  }

  return {
    async detect(img, opts = {}) {
      checkDetectOptions(opts);
      if (img.data.length !== img.width * img.height * 3) {
        throw new ValidationError('frame.data', `expected ${img.width}×${img.height}×3 = ${img.width * img.height * 3} bytes, got ${img.data.length}`);
      }
      const started = performance.now();
      const image = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      try {
        const full = await runRegion(image, [0, 0, img.width, img.height], Boolean(opts.heatmap));
        let all = full.dets;
        if (opts.tiles && opts.tiles.rows * opts.tiles.cols > 1) {
          for (const rect of tileRects(img.width, img.height, opts.tiles)) all = all.concat((await runRegion(image, rect, false)).dets);
        }
        const detections = nonMaxSuppression(all, { iouThreshold, containThreshold: opts.tiles ? 0.8 : Infinity });
        const result: EngineResult = { detections, inferenceMs: performance.now() - started };
        if (full.heat) result.personHeatmap = { width: size / 4, height: size / 4, data: full.heat };
        return result;
      } finally {
        image.dispose();
      }
    },
    dispose() {
      model.dispose();
    },
  };
}
