import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../../../common/errors.ts';
import { silentLogger, type Logger } from '../../../common/log.ts';
import type { BackendName } from '../../../models/backend.ts';
import { listAnnotatedImages, splitHeldOut, type AnnotatedImage } from '../point-annotations.ts';
import { buildFeatureCache } from './feature-cache.ts';
import { registerDensityHead, type RegisterReport } from './register-head.ts';

export interface TrainDensityOptions {
  data: string[];
  cache: string;
  out: string;
  workers: number;
  epochs: number;
  seed: number;
  valFraction: number;
  stage: 'extract' | 'fit' | 'register' | 'all';
  backend?: BackendName;
  logger?: Logger;
  /** the command line, recorded in the manifest */
  command: string;
}

export interface TrainDensityReport {
  images: { train: number; val: number };
  views?: number;
  extractionErrors?: string[];
  fit?: Record<string, unknown>;
  register?: RegisterReport;
}

const FIT_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fit_density.py');

export function loadTrainingImages(dirs: readonly string[], valFraction: number): { train: AnnotatedImage[]; val: AnnotatedImage[] } {
  const all = dirs.flatMap((d) => listAnnotatedImages(d));
  return splitHeldOut(all, valFraction);
}

export async function trainDensity(o: TrainDensityOptions): Promise<TrainDensityReport> {
  const log = o.logger ?? silentLogger;
  const { train, val } = loadTrainingImages(o.data, o.valFraction);
  log.info('density training data', { train: train.length, val: val.length, datasets: [...new Set(train.map((t) => t.dataset))] });
  const report: TrainDensityReport = { images: { train: train.length, val: val.length } };
  const all = o.stage === 'all';

  if (all || o.stage === 'extract') {
    let last = 0;
    const r = await buildFeatureCache({
      dir: o.cache, train, val, workers: o.workers, seed: o.seed, logger: log, ...(o.backend ? { backend: o.backend } : {}),
      onProgress: (done, total) => {
        if (done - last >= 50 || done === total) { last = done; log.info('extracting backbone features', { done, total }); }
      },
    });
    report.views = r.views;
    report.extractionErrors = r.errors;
  }
  if (all || o.stage === 'fit') {
    report.fit = await fitHead(o, log);
  }
  if (all || o.stage === 'register') {
    report.register = await registerDensityHead({ cache: o.cache, out: o.out, val, command: o.command, data: o.data, seed: o.seed, logger: log, ...(o.backend ? { backend: o.backend } : {}) });
  }
  return report;
}

/** Runs the PyTorch fit on the cached features; its last stdout line is a JSON summary. */
async function fitHead(o: TrainDensityOptions, log: Logger): Promise<Record<string, unknown>> {
  const python = process.env.VIGIL_PYTHON ?? '/usr/bin/python3';
  const args = [FIT_SCRIPT, '--cache', o.cache, '--epochs', String(o.epochs), '--seed', String(o.seed)];
  log.info('fitting the density head', { python, epochs: o.epochs });
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        last = line;
        process.stderr.write(`fit: ${line}\n`);
      }
    });
    child.on('error', (err) => reject(new VigilError('TRAIN_FIT', `cannot run ${python} (install Debian's python3-torch and python3-numpy: apt-get install python3-torch python3-numpy): ${err.message}`, { cause: err })));
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new VigilError('TRAIN_FIT', `${python} ${FIT_SCRIPT} exited with code ${code}${code === 3 ? ' (PyTorch missing: apt-get install python3-torch python3-numpy)' : ''}`));
        return;
      }
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch (err) {
        reject(new VigilError('TRAIN_FIT', `the fit printed no JSON summary (last line: ${last.slice(0, 200)})`, { cause: err }));
      }
    });
  });
}
