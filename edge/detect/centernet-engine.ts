import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { tf } from '../../models/backend.ts';
import { cocoLabel } from '../../models/coco-labels.ts';
import type { ModelFiles } from '../../models/loader.ts';
import { ModelError, ValidationError } from '../../common/errors.ts';
import type { BBox } from '../../common/geometry.ts';
import type { DetectRequestOptions, Detection } from '../types.ts';
import { createDensityHead, type DensityHead, type DensityHeadFiles } from '../density/density-head.ts';
import { DENSITY_FEATURE_NODES, densityFeatureTensor } from '../density/density-features.ts';
import { GRID, type DensityMap } from '../density/density-grid.ts';
import { nonMaxSuppression } from './nms.ts';

/** Per-request options (edge/types.ts); the crowd analytics decide when the extra cost is worth it. */
export type DetectOptions = DetectRequestOptions;

export interface PersonHeatmap { width: number; height: number; data: Float32Array }

export interface EngineResult {
  detections: Detection[];
  personHeatmap?: PersonHeatmap;
  /** persons per cell over the whole image (rows×64 by cols×64 cells when tiled) */
  density?: DensityMap;
  inferenceMs: number;
  /** the density head's share of inferenceMs */
  densityMs?: number;
}

export interface RawImage { data: Uint8Array; width: number; height: number }

export interface CenternetEngine {
  detect(image: RawImage, options?: DetectOptions): Promise<EngineResult>;
  /** the density head's input for the whole image, [64·64·C] row-major: what training caches */
  densityFeatures(image: RawImage): Promise<Float32Array>;
  /** whether a density head is loaded */
  readonly hasDensity: boolean;
  dispose(): void;
}

export interface EngineOptions {
  files: ModelFiles;
  /** detections below this score are dropped; default 0.2 (persons are thresholded again by consumers) */
  minScore?: number;
  /** IoU above which same-class boxes are merged; default 0.5 */
  iouThreshold?: number;
  /** the learned density head (models/density.manifest.json); absent: no density maps */
  density?: DensityHeadFiles;
}

const DETECTIONS = 'tower_0/detections';
const KEYPOINTS = 'tower_0/keypoints';

export function checkDetectOptions(options: DetectOptions | undefined): void {
  const t = options?.tiles;
  if (!t) return;
  for (const k of ['rows', 'cols'] as const) {
    if (!Number.isInteger(t[k]) || t[k] < 1 || t[k] > 8) throw new ValidationError(`tiles.${k}`, `expected an integer 1–8, got ${t[k]}`);
  }
  if (t.overlap !== undefined && !(t.overlap >= 0 && t.overlap < 0.9)) throw new ValidationError('tiles.overlap', `expected a fraction in [0, 0.9), got ${t.overlap}`);
}

/** Tile rectangles covering the frame; neighbours share `overlap` of a tile so that a person on a seam is whole in one of them. */
export function tileRects(width: number, height: number, tiles: { rows: number; cols: number; overlap?: number }): BBox[] {
  const axis = (size: number, n: number): [number, number][] => {
    const overlap = tiles.overlap ?? 0;
    const len = Math.min(size, Math.ceil(size / (n - (n - 1) * overlap)));
    const stride = n > 1 ? (size - len) / (n - 1) : 0;
    return Array.from({ length: n }, (_, i) => [Math.round(i * stride), Math.round(i * stride) + len]);
  };
  const out: BBox[] = [];
  for (const [y1, y2] of axis(height, tiles.rows)) for (const [x1, x2] of axis(width, tiles.cols)) out.push([x1, y1, x2, y2]);
  return out;
}

/**
 * One CenterNet model instance on the current TF.js backend, with the density
 * head as a plug-in on its backbone. Preprocessing (bilinear resize to 512²,
 * raw 0–255 floats) runs here so that the pool's workers, not the main
 * thread, pay for it. One graph execution per region yields the detections,
 * the person heatmap and the density features together.
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
  const head: DensityHead | null = options.density ? createDensityHead(options.density) : null;
  const FEATURE_NAMES = [DENSITY_FEATURE_NODES.stride8, DENSITY_FEATURE_NODES.stride4, DENSITY_FEATURE_NODES.centres];

  interface Region { dets: Detection[]; heat?: Float32Array; density?: Float32Array; densityMs: number }

  /** The model's input for one region of the image: the same resize for detection, density and training. */
  function modelInput(image: tf.Tensor3D, rect: BBox): tf.Tensor4D {
    const [x1, y1, x2, y2] = rect;
    const rw = x2 - x1, rh = y2 - y1;
    const region = rw === image.shape[1] && rh === image.shape[0] ? image : tf.slice(image, [y1, x1, 0], [rh, rw, 3]);
    return tf.expandDims(tf.image.resizeBilinear(region, [size, size]), 0) as tf.Tensor4D;
  }

  /** Runs the model on one region of the image; boxes come back in image pixels. */
  async function runRegion(image: tf.Tensor3D, rect: BBox, want: { heatmap: boolean; density: boolean }): Promise<Region> {
    const [x1, y1, x2, y2] = rect;
    const rw = x2 - x1;
    const rh = y2 - y1;
    const density = want.density && head !== null;
    const names = [DETECTIONS, ...(want.heatmap && !density ? [KEYPOINTS] : []), ...(density ? FEATURE_NAMES : [])];
    const graphOut = tf.tidy(() => {
      const executed = model.execute(modelInput(image, rect), names);
      // execute() unwraps a one-name request into a bare tensor.
      return Array.isArray(executed) ? executed : [executed];
    });
    let densityMs = 0;
    const outputs: { det: tf.Tensor; heat?: tf.Tensor; density?: tf.Tensor } = { det: graphOut[0]! };
    try {
      const centres = density ? graphOut[3]! : graphOut[1];
      // Keep only the person channel; the other 79 are 1.3 MB we would copy for nothing.
      if (want.heatmap && centres) outputs.heat = tf.tidy(() => tf.slice(centres, [0, 0, 0, 0], [1, -1, -1, 1]));
      if (density) {
        const t0 = performance.now();
        outputs.density = tf.tidy(() => head!.apply(densityFeatureTensor(graphOut[1]!, graphOut[2]!, graphOut[3]!)));
        await outputs.density.data();
        densityMs = performance.now() - t0;
      }
      const raw = (await outputs.det.data()) as Float32Array;
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
      const region: Region = { dets, densityMs };
      if (outputs.heat) region.heat = new Float32Array((await outputs.heat.data()) as Float32Array);
      if (outputs.density) region.density = new Float32Array((await outputs.density.data()) as Float32Array);
      return region;
    } finally {
      tf.dispose(graphOut);
      tf.dispose([outputs.heat, outputs.density].filter((t): t is tf.Tensor => t !== undefined));
    }
  }

  function checkImage(img: RawImage): void {
    if (img.data.length !== img.width * img.height * 3) {
      throw new ValidationError('frame.data', `expected ${img.width}×${img.height}×3 = ${img.width * img.height * 3} bytes, got ${img.data.length}`);
    }
  }

  return {
    hasDensity: head !== null,
    async detect(img, opts = {}) {
      checkDetectOptions(opts);
      checkImage(img);
      const started = performance.now();
      const image = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      try {
        const want = { heatmap: Boolean(opts.heatmap), density: Boolean(opts.density) };
        const tiled = opts.tiles && opts.tiles.rows * opts.tiles.cols > 1 ? opts.tiles : null;
        let all: Detection[];
        let heat: Float32Array | undefined;
        let density: DensityMap | undefined;
        let densityMs = 0;
        if (!tiled) {
          const full = await runRegion(image, [0, 0, img.width, img.height], want);
          all = full.dets; heat = full.heat; densityMs = full.densityMs;
          if (full.density) density = { width: GRID, height: GRID, data: full.density };
        } else {
          // Tiles of a large still: each seen at the model's resolution. Density
          // tiles do not overlap, so their maps stitch into one and sum to the
          // count; detections from seams are merged by NMS.
          const rects = tileRects(img.width, img.height, { ...tiled, overlap: 0 });
          const stitched = new Float32Array(tiled.rows * tiled.cols * GRID * GRID);
          // The whole image too, for detections only: people cut by a seam are whole there.
          const full = await runRegion(image, [0, 0, img.width, img.height], { heatmap: want.heatmap, density: false });
          all = full.dets;
          heat = full.heat;
          for (let i = 0; i < rects.length; i++) {
            const r = await runRegion(image, rects[i]!, { heatmap: false, density: want.density });
            all = all.concat(r.dets);
            densityMs += r.densityMs;
            if (r.density) {
              const tr = Math.floor(i / tiled.cols), tc = i % tiled.cols;
              for (let y = 0; y < GRID; y++) stitched.set(r.density.subarray(y * GRID, (y + 1) * GRID), ((tr * GRID + y) * tiled.cols + tc) * GRID);
            }
          }
          if (want.density && head) density = { width: tiled.cols * GRID, height: tiled.rows * GRID, data: stitched };
        }
        const detections = nonMaxSuppression(all, { iouThreshold, containThreshold: tiled ? 0.8 : Infinity });
        const result: EngineResult = { detections, inferenceMs: performance.now() - started };
        if (heat) result.personHeatmap = { width: size / 4, height: size / 4, data: heat };
        if (density) { result.density = density; result.densityMs = densityMs; }
        return result;
      } finally {
        image.dispose();
      }
    },
    async densityFeatures(img) {
      checkImage(img);
      const image = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      try {
        const features = tf.tidy(() => {
          const out = model.execute(modelInput(image, [0, 0, img.width, img.height]), FEATURE_NAMES) as tf.Tensor[];
          return densityFeatureTensor(out[0]!, out[1]!, out[2]!);
        });
        try {
          return new Float32Array((await features.data()) as Float32Array);
        } finally {
          features.dispose();
        }
      } finally {
        image.dispose();
      }
    },
    dispose() {
      head?.dispose();
      model.dispose();
    },
  };
}
