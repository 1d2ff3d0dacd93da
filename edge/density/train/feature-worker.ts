import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../../../models/backend.ts';
import type { ModelFiles } from '../../../models/loader.ts';
import { createCenternetEngine } from '../../detect/centernet-engine.ts';
import { DENSITY_FEATURE_CHANNELS } from '../density-features.ts';
import { GRID } from '../density-grid.ts';
import { readStill } from '../still-image.ts';
import { toHalfArray } from './float16.ts';
import { densityTarget, ignoreMask } from './targets.ts';
import { pointsInView, type View } from './views.ts';

/**
 * One extraction worker: its own model instance, appending the backbone
 * features (float16) and the density targets (float32) of each view to its
 * own shard files, then one index line per view. A run that is stopped part
 * way resumes here: the index says which views are done, and the shards are
 * cut back to the last indexed view.
 */
export interface FeatureTask {
  key: string;
  id: string;
  image: string;
  dataset: string;
  index: number | null;
  split: 'train' | 'val';
  viewIndex: number;
  view: View;
  points: [number, number][];
  ignore: [number, number, number, number][];
}

export interface FeatureWorkerInit {
  files: ModelFiles;
  backend?: BackendName;
  shard: string;
  tasks: FeatureTask[];
}

export type FeatureWorkerMessage =
  | { type: 'progress'; done: number; total: number; key: string }
  | { type: 'error'; key: string; message: string }
  | { type: 'finished'; done: number };

export interface IndexLine {
  key: string; id: string; dataset: string; index: number | null; split: 'train' | 'val';
  viewIndex: number; view: View; count: number; row: number; shard: string; masked: boolean;
}

const FEATURE_BYTES = GRID * GRID * DENSITY_FEATURE_CHANNELS * 2;
const TARGET_BYTES = GRID * GRID * 4;

const port = parentPort!;
const init = workerData as FeatureWorkerInit;
await selectBackend(init.backend ? { prefer: init.backend } : {});
const engine = await createCenternetEngine({ files: init.files });

const indexFile = `${init.shard}.jsonl`;
const done = new Set<string>();
let rows = 0;
if (existsSync(indexFile)) {
  for (const line of readFileSync(indexFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const l = JSON.parse(line) as IndexLine;
      done.add(l.key);
      rows = Math.max(rows, l.row + 1);
    } catch (err) {
      // A line cut by a stop mid-write: the views after the last whole line are redone.
      port.postMessage({ type: 'error', key: `${indexFile}: last line`, message: `ignoring a partial index line (${(err as Error).message}); its view is extracted again` } satisfies FeatureWorkerMessage);
      break;
    }
  }
}
const featFd = openSync(`${init.shard}.f16`, 'a+');
const targFd = openSync(`${init.shard}.f32`, 'a+');
const maskFd = openSync(`${init.shard}.mask`, 'a+');
ftruncateSync(featFd, rows * FEATURE_BYTES);
ftruncateSync(targFd, rows * TARGET_BYTES);
ftruncateSync(maskFd, rows * TARGET_BYTES);
const indexFd = openSync(indexFile, 'a');

let count = 0;
for (const task of init.tasks) {
  count++;
  if (done.has(task.key)) continue;
  try {
    const v = task.view;
    const px = await readStill(task.image, { crop: { x: v.x, y: v.y, w: v.w, h: v.h }, flip: v.flip, gain: v.gain, bias: v.bias, grey: v.grey });
    const features = await engine.densityFeatures(px);
    const inView = pointsInView(task.points, v);
    const target = densityTarget(inView);
    const ignore = task.ignore.map(([x1, y1, x2, y2]) => {
      const a = (x1 - v.x) / v.w, b = (x2 - v.x) / v.w;
      return [v.flip ? 1 - b : a, (y1 - v.y) / v.h, v.flip ? 1 - a : b, (y2 - v.y) / v.h] as [number, number, number, number];
    });
    const mask = ignoreMask(ignore) ?? new Float32Array(GRID * GRID).fill(1);
    const half = toHalfArray(features);
    writeSync(featFd, new Uint8Array(half.buffer));
    writeSync(targFd, new Uint8Array(target.buffer));
    writeSync(maskFd, new Uint8Array(mask.buffer));
    const line: IndexLine = { key: task.key, id: task.id, dataset: task.dataset, index: task.index, split: task.split, viewIndex: task.viewIndex, view: v, count: inView.length, row: rows, shard: init.shard, masked: ignore.length > 0 };
    writeSync(indexFd, JSON.stringify(line) + '\n');
    rows++;
    port.postMessage({ type: 'progress', done: count, total: init.tasks.length, key: task.key } satisfies FeatureWorkerMessage);
  } catch (err) {
    port.postMessage({ type: 'error', key: task.key, message: (err as Error).message } satisfies FeatureWorkerMessage);
  }
}
for (const fd of [featFd, targFd, maskFd, indexFd]) closeSync(fd);
engine.dispose();
port.postMessage({ type: 'finished', done: count } satisfies FeatureWorkerMessage);
