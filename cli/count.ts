import { access } from 'node:fs/promises';
import sharp from 'sharp';
import { errorMessage, MediaError, ValidationError } from '../common/errors.ts';
import { createLogger } from '../common/log.ts';
import { createDetectorPool } from '../edge/detect/detector-pool.ts';
import type { Frame } from '../edge/types.ts';
import { COCO } from '../models/coco-labels.ts';
import { numberFlag, parseCli } from './args.ts';

/**
 * Default person score threshold, chosen by looking at vtest.avi frames
 * (t = 10, 25, 40, 60, 70 s) with every box drawn and its score printed:
 * walking pedestrians score 0.42–0.73; the recurring false positives (a
 * rock on the lawn, the blue sign post, traffic cones, the tripod) score
 * 0.10–0.41, the rock reaching 0.41 once. A partly occluded person behind the
 * cones scored 0.39 and distant walkers 0.30–0.32, below the worst false
 * positive. 0.4 keeps every unoccluded pedestrian and drops all but that one
 * rock; 0.45 lost two real walkers at t = 70 s.
 */
export const DEFAULT_PERSON_SCORE = 0.4;

/** Stills larger than this (longest side) are scaled down first: the model sees 512² anyway. */
const MAX_SIDE = 1536;

interface Decoded { frame: Frame; scale: number }

async function decodeImage(file: string, index: number): Promise<Decoded> {
  try {
    await access(file);
  } catch (err) {
    throw new MediaError(file, 'file not found or not readable', { cause: err, code: 'MEDIA_NOT_FOUND' });
  }
  try {
    const meta = await sharp(file).metadata();
    const w0 = meta.autoOrient?.width ?? meta.width ?? 0;
    const h0 = meta.autoOrient?.height ?? meta.height ?? 0;
    if (!w0 || !h0) throw new Error('no image size');
    const scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
    const { data, info } = await sharp(file)
      .rotate()
      .resize(Math.round(w0 * scale), Math.round(h0 * scale), { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.length);
    pixels.set(data);
    return {
      scale: info.width / w0,
      frame: { camera: 'count', seq: index, width: info.width, height: info.height, data: pixels, capturedAt: Date.now(), mediaTime: 0, sourceWidth: w0, sourceHeight: h0 },
    };
  } catch (err) {
    throw new MediaError(file, `cannot decode image: ${errorMessage(err)}`, { cause: err, code: 'MEDIA_CORRUPT' });
  }
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** `vigil count <image...> [--json] [--min-score S]`: persons in still images. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, { json: { type: 'boolean' }, 'min-score': { type: 'string' }, workers: { type: 'string' } });
  if (positionals.length === 0) throw new ValidationError('image', 'at least one image file is required: vigil count <image...> [--json] [--min-score S]');
  const minScore = numberFlag(values['min-score'], '--min-score') ?? DEFAULT_PERSON_SCORE;
  if (minScore < 0 || minScore > 1) throw new ValidationError('--min-score', `expected a number in [0, 1], got ${minScore}`);
  const workers = numberFlag(values.workers, '--workers') ?? Math.min(2, positionals.length);
  const log = createLogger({ name: 'count', level: (process.env.VIGIL_LOG_LEVEL as 'debug' | undefined) ?? 'warn' });
  const out = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

  const pool = await createDetectorPool({ workers, minScore: Math.min(minScore, 0.2), logger: log });
  let failed = 0;
  try {
    // Decode all images up front (cheap), detect them in parallel across the pool, print in argument order.
    const jobs = positionals.map(async (file, i) => {
      try {
        const { frame, scale } = await decodeImage(file, i);
        const [result] = await pool.detect([frame]);
        const persons = result!.detections
          .filter((d) => d.classId === COCO.person && d.score >= minScore)
          .sort((a, b) => b.score - a.score);
        const boxes = persons.map((d) => [...d.bbox.map((v) => r1(v / scale)), Math.round(d.score * 1000) / 1000]);
        return { file, persons: persons.length, boxes };
      } catch (err) {
        return { file, error: errorMessage(err) };
      }
    });
    for (const job of jobs) {
      const line = await job;
      if ('error' in line) failed++;
      if (values.json) out(line);
      else if ('error' in line) process.stderr.write(`${line.file}: error: ${line.error}\n`);
      else process.stdout.write(`${line.file}: ${line.persons} person${line.persons === 1 ? '' : 's'}\n`);
    }
  } finally {
    await pool.close();
  }
  return failed ? 1 : 0;
}
