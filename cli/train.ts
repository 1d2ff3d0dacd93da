import path from 'node:path';
import { homedir } from 'node:os';
import { ValidationError } from '../common/errors.ts';
import { createLogger } from '../common/log.ts';
import { BACKENDS, type BackendName } from '../models/backend.ts';
import { numberFlag, parseCli } from './args.ts';

const USAGE = 'vigil train density --data DIR [--data DIR …] [--cache DIR] [--out DIR] [--workers N] [--epochs N] [--seed N] [--stage extract|fit|register|all]';

/**
 * `vigil train density`: trains the learned crowd-density head on annotated
 * head points, from scratch and reproducibly.
 *
 *  1. extract: the frozen CenterNet backbone's features for every training
 *     view (whole image, mirror, random crops with photometric changes) and the
 *     held-out split, cached on disk (TF.js, the same code path as detection);
 *  2. fit: the head, on the cached features (edge/density/train/fit_density.py,
 *     PyTorch from Debian's python3-torch: TF.js on wasm has no convolution
 *     gradient kernels and trains this head about 40× slower);
 *  3. register: loads the fitted weights back into TF.js, measures the
 *     held-out split through the deployed code path, and writes the weights
 *     and their manifest (sha256, input contract, data, command, commit,
 *     validation figures) to `--out` (default models/).
 */
/** The command as one run: `--stage` only splits a run into resumable parts, and the cache folder is the user's own. */
function recordedCommand(rest: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--stage' || a === '--cache') { i++; continue; }
    if (a.startsWith('--stage=') || a.startsWith('--cache=')) continue;
    kept.push(a);
  }
  return ['vigil', 'train', 'density', ...kept].join(' ');
}

export async function run(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'density') throw new ValidationError('model', `expected "density": ${USAGE}`);
  const { values } = parseCli(rest, {
    data: { type: 'string', multiple: true },
    cache: { type: 'string' },
    out: { type: 'string' },
    workers: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    stage: { type: 'string' },
    backend: { type: 'string' },
    'val-fraction': { type: 'string' },
  }, false);
  const data = values.data ?? [];
  if (!data.length) throw new ValidationError('--data', `at least one annotated data folder is required: ${USAGE}`);
  const stage = values.stage ?? 'all';
  if (!['extract', 'fit', 'register', 'all'].includes(stage)) throw new ValidationError('--stage', `expected extract, fit, register or all, got "${stage}"`);
  const backend = values.backend as BackendName | undefined;
  if (backend && !BACKENDS.includes(backend)) throw new ValidationError('--backend', `expected one of ${BACKENDS.join('|')}`);
  const seed = numberFlag(values.seed, '--seed') ?? 1;
  const workers = numberFlag(values.workers, '--workers') ?? 2;
  const epochs = numberFlag(values.epochs, '--epochs') ?? 40;
  const valFraction = numberFlag(values['val-fraction'], '--val-fraction') ?? 0.2;
  if (!(valFraction > 0 && valFraction < 0.9)) throw new ValidationError('--val-fraction', `expected a fraction in (0, 0.9), got ${valFraction}`);
  const cache = path.resolve(values.cache ?? path.join(homedir(), '.cache', 'vigil', `density-seed${seed}`));
  const out = path.resolve(values.out ?? path.join(import.meta.dirname, '..', 'models'));
  const log = createLogger({ name: 'train', level: 'info' });

  const { trainDensity } = await import('../edge/density/train/train-density.ts');
  const report = await trainDensity({ data: data.map((d) => path.resolve(d)), cache, out, workers, epochs, seed, valFraction, stage: stage as 'all', logger: log, command: recordedCommand(rest), ...(backend ? { backend } : {}) });
  process.stdout.write(JSON.stringify(report) + '\n');
  return 0;
}
