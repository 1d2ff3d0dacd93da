import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ValidationError } from '../../../common/errors.ts';
import { silentLogger, type Logger } from '../../../common/log.ts';
import { startTsWorker } from '../../../common/worker.ts';
import type { BackendName } from '../../../models/backend.ts';
import { loadModelFiles } from '../../../models/loader.ts';
import { DENSITY_FEATURE_CHANNELS, DENSITY_FEATURE_NODES } from '../density-features.ts';
import { GRID } from '../density-grid.ts';
import type { AnnotatedImage } from '../point-annotations.ts';
import type { FeatureTask, FeatureWorkerInit, FeatureWorkerMessage, IndexLine } from './feature-worker.ts';
import { FULL_VIEW, trainingViews, type ViewPlan } from './views.ts';

/**
 * The frozen backbone's features for every training view, computed once and
 * kept on disk: the head trains for many epochs over the same views, and the
 * backbone pass is by far the dearest part (about 0.2 s a view on wasm, where
 * an epoch of the head takes about a minute for all of them).
 *
 * Layout of `dir`: `cache.json` (what the cache was built from), and per
 * worker `shard-k.f16` (views × 64 × 64 × C float16), `shard-k.f32` (targets,
 * 64 × 64 float32), `shard-k.mask` and `shard-k.jsonl` (one line per view).
 */
export interface FeatureCacheOptions {
  dir: string;
  train: readonly AnnotatedImage[];
  val: readonly AnnotatedImage[];
  workers?: number;
  seed?: number;
  plan?: ViewPlan;
  backend?: BackendName;
  logger?: Logger;
  onProgress?: (done: number, total: number) => void;
}

export interface CacheDescription {
  format: 'vigil-density-cache/1';
  grid: number;
  channels: number;
  nodes: Record<string, string>;
  seed: number;
  plan: ViewPlan;
}

export async function buildFeatureCache(options: FeatureCacheOptions): Promise<{ views: number; errors: string[] }> {
  const log = options.logger ?? silentLogger;
  const seed = options.seed ?? 1;
  const plan = options.plan ?? {};
  mkdirSync(options.dir, { recursive: true });
  const desc: CacheDescription = { format: 'vigil-density-cache/1', grid: GRID, channels: DENSITY_FEATURE_CHANNELS, nodes: { ...DENSITY_FEATURE_NODES }, seed, plan };
  const descFile = path.join(options.dir, 'cache.json');
  if (existsSync(descFile)) {
    const old = readFileSync(descFile, 'utf8');
    if (old !== JSON.stringify(desc, null, 2)) throw new ValidationError(descFile, 'this cache was built with other settings (seed, views or backbone nodes); use another --cache folder or delete it');
  } else {
    writeFileSync(descFile, JSON.stringify(desc, null, 2));
  }

  // Views are planned here, from the seed and the image size only, so that a resumed run plans the same ones.
  const tasks: FeatureTask[] = [];
  const all = [...options.train.map((im) => ({ im, split: 'train' as const })), ...options.val.map((im) => ({ im, split: 'val' as const }))];
  for (let i = 0; i < all.length; i++) {
    const { im, split } = all[i]!;
    const meta = await sharp(im.image).metadata();
    const w = meta.autoOrient?.width ?? meta.width ?? 0;
    const h = meta.autoOrient?.height ?? meta.height ?? 0;
    if (!w || !h) throw new ValidationError(im.image, 'cannot read the image size');
    // The held-out split is judged as deployed: the whole image, once.
    const views = split === 'val' ? [FULL_VIEW(w, h)] : trainingViews(w, h, seed * 100_003 + i, plan);
    views.forEach((view, viewIndex) => tasks.push({ key: `${im.id}#${viewIndex}`, id: im.id, image: im.image, dataset: im.dataset, index: im.index, split, viewIndex, view, points: im.points, ignore: im.ignore }));
  }

  const files = await loadModelFiles('centernet');
  const n = Math.max(1, options.workers ?? 2);
  let done = 0;
  const errors: string[] = [];
  await Promise.all(Array.from({ length: n }, (_, k) => new Promise<void>((resolve, reject) => {
    const mine = tasks.filter((_, i) => i % n === k);
    const init: FeatureWorkerInit = { files, shard: path.join(options.dir, `shard-${k}`), tasks: mine, ...(options.backend ? { backend: options.backend } : {}) };
    const worker = startTsWorker(new URL('./feature-worker.ts', import.meta.url), { workerData: init });
    worker.on('message', (m: FeatureWorkerMessage) => {
      if (m.type === 'progress') { done++; options.onProgress?.(done, tasks.length); }
      if (m.type === 'error') { errors.push(`${m.key}: ${m.message}`); log.warn('feature extraction failed for a view', { view: m.key, err: m.message }); }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`feature worker ${k} exited with code ${code}`))));
  })));
  return { views: readCacheIndex(options.dir).length, errors };
}

/** Every indexed view of a cache, across shards. */
export function readCacheIndex(dir: string): IndexLine[] {
  const out: IndexLine[] = [];
  for (const f of readdirSync(dir).filter((n) => /^shard-\d+\.jsonl$/.test(n)).sort()) {
    const lines = readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim());
    for (let i = 0; i < lines.length; i++) {
      try {
        out.push(JSON.parse(lines[i]!) as IndexLine);
      } catch (err) {
        // The last line of a shard may be cut by a stop mid-write; its view is redone on resume.
        if (i === lines.length - 1) break;
        throw new ValidationError(path.join(dir, f), `a cache index line is not JSON (${(err as Error).message}); run the extraction again to repair it`, { cause: err });
      }
    }
  }
  return out;
}
