import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../../models/backend.ts';
import type { ModelFiles } from '../../models/loader.ts';
import type { DensityHeadFiles } from '../density/density-head.ts';
import type { DensityMap } from '../density/density-grid.ts';
import { createCenternetEngine, type CenternetEngine, type DetectOptions } from './centernet-engine.ts';

/**
 * One pool worker: its own TF.js runtime and model instance. Frames arrive as
 * transferred buffers and go back the same way with the result, so a frame is
 * never copied between threads.
 */
export interface WorkerInit { files: ModelFiles; density?: DensityHeadFiles; backend?: BackendName; minScore: number }

export type WorkerRequest = { type: 'detect'; id: number; data: Uint8Array; width: number; height: number; options?: DetectOptions };

export type WorkerReply =
  | { type: 'ready'; backend: BackendName }
  | { type: 'init-error'; message: string; name: string }
  | { type: 'result'; id: number; data: Uint8Array; detections: import('../types.ts').Detection[]; inferenceMs: number; densityMs?: number; personHeatmap?: { width: number; height: number; data: Float32Array }; density?: DensityMap }
  | { type: 'error'; id: number; data: Uint8Array; message: string; name: string };

const port = parentPort;
if (!port) throw new Error('detector-worker.ts must run as a worker thread');
const init = workerData as WorkerInit;

let engine: CenternetEngine;
try {
  const backend = await selectBackend(init.backend ? { prefer: init.backend } : {});
  engine = await createCenternetEngine({ files: init.files, minScore: init.minScore, ...(init.density ? { density: init.density } : {}) });
  port.postMessage({ type: 'ready', backend } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ type: 'init-error', message: (err as Error).message, name: (err as Error).name } satisfies WorkerReply);
  process.exit(1);
}

port.on('message', async (req: WorkerRequest) => {
  if (req.type !== 'detect') return;
  try {
    const r = await engine.detect({ data: req.data, width: req.width, height: req.height }, req.options);
    const reply: WorkerReply = { type: 'result', id: req.id, data: req.data, detections: r.detections, inferenceMs: r.inferenceMs };
    const transfer: ArrayBuffer[] = [req.data.buffer as ArrayBuffer];
    if (r.personHeatmap) {
      reply.personHeatmap = r.personHeatmap;
      transfer.push(r.personHeatmap.data.buffer as ArrayBuffer);
    }
    if (r.density) {
      reply.density = r.density;
      reply.densityMs = r.densityMs ?? 0;
      transfer.push(r.density.data.buffer as ArrayBuffer);
    }
    port.postMessage(reply, transfer);
  } catch (err) {
    port.postMessage({ type: 'error', id: req.id, data: req.data, message: (err as Error).message, name: (err as Error).name } satisfies WorkerReply, [req.data.buffer as ArrayBuffer]);
  }
});
