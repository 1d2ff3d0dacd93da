import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../../common/errors.ts';
import { silentLogger, type Logger } from '../../../common/log.ts';
import type { BackendName } from '../../../models/backend.ts';
import { createDetectorPool } from '../../detect/detector-pool.ts';
import { DENSITY_FEATURE_CHANNELS, DENSITY_FEATURE_NODES } from '../density-features.ts';
import { GRID, MODEL_INPUT } from '../density-grid.ts';
import { DENSITY_MODEL, loadDensityHeadFiles, type DensityManifest, type HeadSpec } from '../density-head.ts';
import type { AnnotatedImage } from '../point-annotations.ts';
import { evaluateCounts, type CountEvaluation } from './evaluate-counts.ts';

export interface RegisterOptions {
  cache: string;
  out: string;
  val: readonly AnnotatedImage[];
  command: string;
  data: string[];
  seed: number;
  backend?: BackendName;
  logger?: Logger;
}

export interface RegisterReport {
  manifest: string;
  validation: CountEvaluation;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.dirname(new URL(import.meta.url).pathname), encoding: 'utf8' }).trim();
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}

/**
 * Copies the fitted head into `out` under its manifest, then measures the
 * held-out split through the deployed path (the detector pool with the head
 * loaded from `out`, checksums and all) and records the figures in the
 * manifest. What is measured is exactly what ships.
 */
export async function registerDensityHead(o: RegisterOptions): Promise<RegisterReport> {
  const log = o.logger ?? silentLogger;
  const specSrc = path.join(o.cache, 'head.json');
  const binSrc = path.join(o.cache, 'head.bin');
  for (const f of [specSrc, binSrc]) if (!existsSync(f)) throw new ValidationError(f, 'no fitted head here: run the fit stage first (vigil train density --stage fit)');
  mkdirSync(o.out, { recursive: true });
  const specName = `${DENSITY_MODEL}-head.json`;
  const binName = `${DENSITY_MODEL}-head.bin`;
  const spec = JSON.parse(readFileSync(specSrc, 'utf8')) as HeadSpec;
  spec.weightsManifest = spec.weightsManifest.map((m) => ({ ...m, paths: [binName] }));
  writeFileSync(path.join(o.out, specName), JSON.stringify(spec, null, 1) + '\n');
  copyFileSync(binSrc, path.join(o.out, binName));
  const cacheDesc = JSON.parse(readFileSync(path.join(o.cache, 'cache.json'), 'utf8')) as Record<string, unknown>;
  let fit: Record<string, unknown> = {};
  const fitLog = path.join(o.cache, 'fit-summary.json');
  if (existsSync(fitLog)) fit = JSON.parse(readFileSync(fitLog, 'utf8')) as Record<string, unknown>;

  const manifest: DensityManifest = {
    name: DENSITY_MODEL,
    description: 'Crowd-density head on the CenterNet MobileNetV3 backbone: persons per stride-8 cell, trained by `vigil train density`',
    files: {
      spec: { path: specName, sha256: sha256(path.join(o.out, specName)), bytes: readFileSync(path.join(o.out, specName)).length },
      weights: { path: binName, sha256: sha256(path.join(o.out, binName)), bytes: readFileSync(path.join(o.out, binName)).length },
    },
    input: { nodes: { ...DENSITY_FEATURE_NODES }, channels: DENSITY_FEATURE_CHANNELS, grid: GRID, modelInput: MODEL_INPUT },
    output: { unit: 'persons per cell of a 64×64 grid spanning the frame; the sum over a region is its count', grid: GRID },
    training: {
      data: o.data.map((d) => path.basename(path.resolve(d, '..')) + '/' + path.basename(d)),
      terms: 'ShanghaiTech (Zhang et al., CVPR 2016): cite the paper; commonly taken as free for research use. Retrain on a site\'s own annotated frames for production.',
      command: o.command,
      commit: gitCommit(),
      seed: o.seed,
      views: cacheDesc.plan,
      fit,
    },
    validation: {},
    licence: 'weights trained by the Vigil project; see training.terms for the data',
  };
  const manifestFile = path.join(o.out, `${DENSITY_MODEL}.manifest.json`);
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');

  log.info('measuring the held-out split through the deployed path', { images: o.val.length });
  const pool = await createDetectorPool({ workers: 2, density: loadDensityHeadFiles({ dir: o.out }), ...(o.backend ? { backend: o.backend } : {}) });
  let validation: CountEvaluation;
  try {
    validation = await evaluateCounts(pool, o.val);
  } finally {
    await pool.close();
  }
  manifest.validation = { split: 'last 20 % of each dataset by image number, never trained on', ...validation.summary };
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  return { manifest: manifestFile, validation };
}
