import { COCO } from '../../models/coco-labels.ts';
import { PERSON_MIN_SCORE } from './crowd-analyzer.ts';
import { MAX_DETECT_WIDTH } from '../decode/ffmpeg-decoder.ts';
import { readStill, type StillPixels } from '../density/still-image.ts';
import type { Detection, DetectionResult, Detector, Frame } from '../types.ts';
import { createCrowdEstimator, type ZoneEstimate } from './crowd-estimator.ts';
import { createCrowdZone, wholeFrameZone } from './zones.ts';

/**
 * Default person score for stills, chosen by looking at vtest.avi frames
 * (t = 10, 25, 40, 60, 70 s) with every box drawn and its score printed:
 * walking pedestrians score 0.42–0.73; the recurring false positives (a
 * rock on the lawn, the blue sign post, traffic cones, the tripod) score
 * 0.10–0.41, the rock reaching 0.41 once. 0.4 keeps every unoccluded
 * pedestrian and drops all but that one rock; 0.45 lost two real walkers.
 */
export const DEFAULT_PERSON_SCORE = PERSON_MIN_SCORE;

export interface StillCount {
  estimate: ZoneEstimate;
  /** person detections at or above the score, source-image pixels */
  persons: Detection[];
  result: DetectionResult;
  pixels: StillPixels;
  /** rows × cols when the still was tiled, else null */
  tiles: { rows: number; cols: number } | null;
  notes: string[];
}

/**
 * Tiles for a still much larger than a camera frame: each tile is then seen at
 * about the scale the estimator was trained on (a 4000-px photo squeezed to
 * the model's 512² would make every head a few pixels wide). Camera-sized
 * images are never tiled, so a still and a video frame take the same path.
 */
export function stillTiles(width: number, height: number, mode: 'auto' | 'off' = 'auto'): { rows: number; cols: number } | null {
  if (mode === 'off' || width <= 2 * MAX_DETECT_WIDTH) return null;
  const cols = Math.min(4, Math.ceil(width / (1.5 * MAX_DETECT_WIDTH)));
  const rows = Math.min(4, Math.max(1, Math.round((height / width) * cols * (4 / 3))));
  return cols * rows > 1 ? { rows, cols } : null;
}

/** Counts one still image through the path live frames take: one detector pass with density, then the shared estimator. */
export type TileMode = 'auto' | 'off' | { rows: number; cols: number };

export async function countStill(detector: Detector, file: string, options: { minScore?: number; tiles?: TileMode; seq?: number } = {}): Promise<StillCount> {
  const minScore = options.minScore ?? DEFAULT_PERSON_SCORE;
  const mode = options.tiles ?? 'auto';
  let tiles: { rows: number; cols: number } | null;
  if (typeof mode === 'object') tiles = mode;
  else {
    const probe = await readStill(file, { maxWidth: Number.MAX_SAFE_INTEGER });
    tiles = stillTiles(probe.sourceWidth, probe.sourceHeight, mode);
  }
  const px = tiles ? await readStill(file, { maxWidth: tiles.cols * MAX_DETECT_WIDTH }) : await readStill(file);
  const notes = [...px.notes, ...(tiles ? [`tiled ${tiles.cols}×${tiles.rows} (large image)`] : [])];
  const frame: Frame = { camera: 'count', seq: options.seq ?? 0, width: px.width, height: px.height, data: px.data, capturedAt: Date.now(), mediaTime: 0, sourceWidth: px.sourceWidth, sourceHeight: px.sourceHeight };
  const [result] = await detector.detect([frame], { density: true, ...(tiles ? { tiles } : {}) });
  const sx = px.sourceWidth / px.width, sy = px.sourceHeight / px.height;
  const persons = result!.detections
    .filter((d) => d.classId === COCO.person && d.score >= minScore)
    .sort((a, b) => b.score - a.score);
  const zone = createCrowdZone(wholeFrameZone(px.sourceWidth, px.sourceHeight, 1, 'image'));
  const est = createCrowdEstimator({ zones: [zone] }).estimate({ persons: persons.map((p) => p.bbox), density: result!.density ?? null, frameW: px.width, frameH: px.height, sourceW: px.sourceWidth, sourceH: px.sourceHeight });
  if (!result!.density) notes.push('no density model: detections only');
  return {
    estimate: est.zones[0]!, result: result!, pixels: { ...px, data: result!.frame.data }, tiles, notes,
    persons: persons.map((p) => ({ ...p, bbox: [p.bbox[0] * sx, p.bbox[1] * sy, p.bbox[2] * sx, p.bbox[3] * sy] as const })),
  };
}
