import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, MediaError, ValidationError } from '../common/errors.ts';
import { createLogger } from '../common/log.ts';
import { countStill, DEFAULT_PERSON_SCORE } from '../edge/crowd/count-still.ts';
import { renderDensityOverlay } from '../edge/density/density-overlay.ts';
import { createDetectorPool } from '../edge/detect/detector-pool.ts';
import { numberFlag, parseCli } from './args.ts';

export { DEFAULT_PERSON_SCORE };

const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * `vigil count <image...> [--json] [--min-score S] [--heatmap DIR] [--tiles auto|off]`:
 * persons in still images, through the same estimator as live frames.
 * `persons` is the estimate (detections when sparse, the learned density map
 * when crowded, blended smoothly between), `detected` the person boxes found.
 */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    json: { type: 'boolean' }, 'min-score': { type: 'string' }, workers: { type: 'string' },
    heatmap: { type: 'string' }, tiles: { type: 'string' },
  });
  if (positionals.length === 0) throw new ValidationError('image', 'at least one image file is required: vigil count <image...> [--json] [--min-score S] [--heatmap DIR]');
  const minScore = numberFlag(values['min-score'], '--min-score') ?? DEFAULT_PERSON_SCORE;
  if (minScore < 0 || minScore > 1) throw new ValidationError('--min-score', `expected a number in [0, 1], got ${minScore}`);
  const tiles = (values.tiles ?? 'auto') as 'auto' | 'off';
  if (!['auto', 'off'].includes(tiles)) throw new ValidationError('--tiles', `expected auto or off, got "${values.tiles}"`);
  const workers = numberFlag(values.workers, '--workers') ?? Math.min(2, positionals.length);
  const heatmapDir = values.heatmap ? path.resolve(values.heatmap) : null;
  if (heatmapDir) await mkdir(heatmapDir, { recursive: true });
  const log = createLogger({ name: 'count', level: (process.env.VIGIL_LOG_LEVEL as 'debug' | undefined) ?? 'warn' });
  const out = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

  const pool = await createDetectorPool({ workers, minScore: Math.min(minScore, 0.2), logger: log });
  let failed = 0;
  try {
    // Detect in parallel across the pool, print in argument order.
    const jobs = positionals.map(async (file, i) => {
      try {
        try {
          await access(file);
        } catch (err) {
          throw new MediaError(file, 'file not found or not readable', { cause: err, code: 'MEDIA_NOT_FOUND' });
        }
        const c = await countStill(pool, file, { minScore, tiles, seq: i });
        const e = c.estimate;
        const line: Record<string, unknown> = {
          file, persons: Math.round(e.count), estimate: e.count, method: e.method, confidence: e.confidence,
          detected: e.detected, density: e.density,
          boxes: c.persons.map((d) => [...d.bbox.map(r1), Math.round(d.score * 1000) / 1000]),
        };
        if (c.notes.length) line.notes = c.notes;
        if (heatmapDir && c.result.density) {
          const target = path.join(heatmapDir, `${path.basename(file).replace(/\.[^.]+$/, '')}.density.jpg`);
          const caption = `${Math.round(e.count)} persons (${e.method}; ${e.detected} detected${e.density !== null ? `, density ${e.density}` : ''})`;
          await writeFile(target, await renderDensityOverlay({ data: c.pixels.data, width: c.pixels.width, height: c.pixels.height }, c.result.density, caption));
          line.heatmap = target;
        }
        return line;
      } catch (err) {
        return { file, error: errorMessage(err) };
      }
    });
    for (const job of jobs) {
      const line = await job;
      if ('error' in line) failed++;
      if (values.json) out(line);
      else if ('error' in line) process.stderr.write(`${line.file}: error: ${String(line.error)}\n`);
      else process.stdout.write(`${line.file}: ${line.persons} person${line.persons === 1 ? '' : 's'} (${line.method}, ${line.detected} detected)${line.notes ? ` [${(line.notes as string[]).join('; ')}]` : ''}\n`);
    }
  } finally {
    await pool.close();
  }
  return failed ? 1 : 0;
}
