import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { ModelError, ValidationError, VigilError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { startTsWorker } from '../../common/worker.ts';
import { backendFromEnv, type BackendName } from '../../models/backend.ts';
import { loadModelFiles, type LoadModelOptions } from '../../models/loader.ts';
import type { Detection, DetectionResult, Detector, Frame } from '../types.ts';
import { checkDetectOptions, type DetectOptions } from './centernet-engine.ts';
import type { WorkerInit, WorkerReply, WorkerRequest } from './detector-worker.ts';
import { DENSITY_MODEL, loadDensityHeadFiles, type DensityHeadFiles } from '../density/density-head.ts';

/** The shipped density head when its manifest is present; a present but altered head is an error. */
function densityIfInstalled(): DensityHeadFiles | undefined {
  const manifest = new URL(`../../models/${DENSITY_MODEL}.manifest.json`, import.meta.url);
  return existsSync(manifest) ? loadDensityHeadFiles() : undefined;
}

export type { DetectOptions } from './centernet-engine.ts';

export interface DetectorPoolOptions {
  /** worker threads, each with its own model instance; default 1 */
  workers?: number;
  /** force a TF.js backend; default VIGIL_TF_BACKEND, else the fastest available */
  backend?: BackendName;
  /** detections below this score are dropped; default 0.2 */
  minScore?: number;
  logger?: Logger;
  /** model package directory override (tests) */
  model?: LoadModelOptions;
  /**
   * the learned density head: 'auto' (default) loads models/density.manifest.json
   * when it is there, false runs detection only; a load error (altered weights)
   * fails the pool, never silently drops density.
   */
  density?: 'auto' | false | DensityHeadFiles | { dir: string };
}

export interface DetectorPool extends Detector {
  detect(frames: readonly Frame[], options?: DetectOptions): Promise<DetectionResult[]>;
  readonly size: number;
  /** whether frames can get a density map */
  readonly hasDensity: boolean;
}

interface Task {
  frame: Frame;
  options: DetectOptions | undefined;
  resolve(r: DetectionResult): void;
  reject(e: Error): void;
}

interface Slot { worker: Worker; busy: Task | null; id: number }

/** A frame's pixels as a buffer that can be transferred whole: views into a larger buffer are copied once. */
function ownedPixels(frame: Frame): Uint8Array {
  const d = frame.data;
  if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer) return d;
  return d.slice();
}

/**
 * Detection across worker threads. The model's batch dimension is fixed at 1,
 * so a batch is spread over the free workers one frame at a time; with one
 * worker per core the frames of a batch run in parallel.
 *
 * Frame buffers are transferred to the worker and back: after `detect`
 * resolves, use `result.frame.data`, not the frame object that was passed in.
 */
export async function createDetectorPool(options: DetectorPoolOptions = {}): Promise<DetectorPool> {
  const size = options.workers ?? 1;
  if (!Number.isInteger(size) || size < 1 || size > 64) throw new ValidationError('workers', `expected an integer 1–64, got ${options.workers}`);
  const minScore = options.minScore ?? 0.2;
  if (!(minScore >= 0 && minScore <= 1)) throw new ValidationError('minScore', `expected a number in [0, 1], got ${options.minScore}`);
  const log = options.logger ?? silentLogger;
  const forced = options.backend ?? backendFromEnv();
  // Verify the checksums once, here, so that a bad install fails before any thread starts.
  const files = await loadModelFiles('centernet', options.model ?? {});
  const d = options.density ?? 'auto';
  const density = d === false ? undefined : d === 'auto' ? densityIfInstalled() : 'dir' in d ? loadDensityHeadFiles({ dir: d.dir }) : d;
  const init: WorkerInit = { files, minScore, ...(density ? { density } : {}), ...(forced ? { backend: forced } : {}) };

  const queue: Task[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;
  let backend = 'unknown';

  function spawn(): Promise<Slot> {
    const worker = startTsWorker(new URL('./detector-worker.ts', import.meta.url), { workerData: init });
    const slot: Slot = { worker, busy: null, id: 0 };
    return new Promise<Slot>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          ready = true;
          backend = msg.backend;
          resolve(slot);
          return;
        }
        if (msg.type === 'init-error') {
          reject(new ModelError('DETECTOR_INIT', `detector worker failed to start: ${msg.message}`));
          return;
        }
        const task = slot.busy;
        if (!task || msg.id !== slot.id) return;
        slot.busy = null;
        const frame: Frame = { ...task.frame, data: msg.data };
        if (msg.type === 'result') {
          const result: DetectionResult = { frame, detections: msg.detections as Detection[], inferenceMs: msg.inferenceMs };
          if (msg.personHeatmap) result.extras = { personHeatmap: msg.personHeatmap };
          if (msg.density) { result.density = msg.density; result.densityMs = msg.densityMs ?? 0; }
          task.resolve(result);
        } else {
          task.reject(new VigilError('DETECT', `detection failed for ${frame.camera} #${frame.seq}: ${msg.message}`));
        }
        pump();
      });
      worker.on('error', (err: Error) => {
        log.error('detector worker error', { err });
        if (!ready) reject(new ModelError('DETECTOR_INIT', `detector worker failed to start: ${err.message}`, { cause: err }));
      });
      worker.on('exit', (code) => {
        const i = slots.indexOf(slot);
        if (i >= 0) slots.splice(i, 1);
        if (slot.busy) {
          slot.busy.reject(new VigilError('DETECT', `detector worker exited (code ${code}) while processing ${slot.busy.frame.camera} #${slot.busy.frame.seq}`));
          slot.busy = null;
        }
        if (!ready) reject(new ModelError('DETECTOR_INIT', `detector worker exited with code ${code} before it was ready`));
        // A crashed worker is replaced so that one bad frame cannot shrink the pool for good.
        if (ready && !closed) {
          log.warn('detector worker exited; replacing it', { code });
          spawn().then((s) => {
            // close() ran while the replacement was starting: it never saw this worker.
            if (closed) { void s.worker.terminate(); return; }
            slots.push(s);
            pump();
          }, (err: unknown) => log.error('cannot replace detector worker', { err }));
        }
      });
    });
  }

  function pump(): void {
    for (const slot of slots) {
      if (slot.busy) continue;
      const task = queue.shift();
      if (!task) return;
      slot.busy = task;
      slot.id = nextId++;
      const data = ownedPixels(task.frame);
      const req: WorkerRequest = { type: 'detect', id: slot.id, data, width: task.frame.width, height: task.frame.height, ...(task.options ? { options: task.options } : {}) };
      slot.worker.postMessage(req, [data.buffer as ArrayBuffer]);
    }
  }

  const started = await Promise.allSettled(Array.from({ length: size }, () => spawn()));
  for (const s of started) if (s.status === 'fulfilled') slots.push(s.value);
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failure.reason;
  }
  log.info('detector pool ready', { workers: size, backend, minScore });

  return {
    name: 'centernet',
    get backend() { return backend; },
    get size() { return slots.length; },
    get concurrency() { return slots.length; },
    hasDensity: density !== undefined,
    detect(frames, opts) {
      if (closed) return Promise.reject(new VigilError('DETECTOR_CLOSED', 'detector pool is closed'));
      try {
        checkDetectOptions(opts);
      } catch (err) {
        return Promise.reject(err);
      }
      for (const f of frames) {
        if (f.data.length !== f.width * f.height * 3) return Promise.reject(new ValidationError('frame.data', `${f.camera} #${f.seq}: expected ${f.width}×${f.height}×3 bytes, got ${f.data.length}`));
      }
      const results = frames.map((frame) => new Promise<DetectionResult>((resolve, reject) => queue.push({ frame, options: opts, resolve, reject })));
      pump();
      return Promise.all(results);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of queue.splice(0)) t.reject(new VigilError('DETECTOR_CLOSED', 'detector pool closed'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
