import { ValidationError } from '../../common/errors.ts';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import type { Frame } from '../types.ts';

export interface BatcherOptions {
  /** flush as soon as this many cameras have a frame pending */
  maxBatch: number;
  /** flush this long after the first frame became pending, however few there are */
  maxWaitMs: number;
  /** frames older than this (by capturedAt) at flush time are dropped: detecting a stale frame only delays the fresh ones */
  maxAgeMs: number;
  clock: Clock;
  /**
   * replay: never drop. Frames enter through `offer()`, which waits while the
   * camera's previous frame is still pending, and no frame is dropped for age.
   * Default false (live: newest wins).
   */
  lossless?: boolean;
}

export interface BatcherMetrics {
  batches: number;
  frames: number;
  lastBatchSize: number;
  meanBatchSize: number;
  /** age of the oldest frame in the last batch when it was handed out, ms */
  lastQueueAgeMs: number;
  maxQueueAgeMs: number;
  /** frames replaced by a newer frame of the same camera before detection */
  droppedReplaced: number;
  /** frames dropped for being older than maxAgeMs */
  droppedStale: number;
  lastInferenceMs: number;
  meanInferenceMs: number;
  pending: number;
  /** frames handed out per camera */
  servedByCamera: Record<string, number>;
}

export interface Batcher {
  /** offers a frame; never blocks: a newer frame of the same camera replaces the pending one */
  push(frame: Frame): void;
  /** lossless entry: resolves once the frame is pending, after its camera's previous frame has been handed out */
  offer(frame: Frame): Promise<void>;
  /**
   * the next batch, once it is due (maxBatch or maxWaitMs); null after close.
   * Batches are formed only when asked for, so while the detector is busy frames
   * wait here (one per camera at most) instead of queueing up. `max` caps this
   * batch below maxBatch (the detector has room for only so many frames now).
   */
  next(max?: number): Promise<Frame[] | null>;
  batches(): AsyncIterable<Frame[]>;
  /** whether a frame of this camera waits for detection */
  isPending(camera: string): boolean;
  /** records how long detection of a batch took, for the metrics */
  recordInference(ms: number): void;
  metrics(): BatcherMetrics;
  close(): void;
}

function positive(name: string, v: number, integer = false): void {
  if (!(Number.isFinite(v) && v > 0) || (integer && !Number.isInteger(v))) throw new ValidationError(name, `expected a positive ${integer ? 'integer' : 'number'}, got ${v}`);
}

/**
 * Gathers frames from all cameras into detector batches. The pending set holds
 * at most one frame per camera, so memory is bounded by the camera count
 * whatever the detector's speed: under overload the system degrades to a
 * lower effective frame rate, never to growing latency.
 *
 * Batches are formed earliest deadline first. A camera's deadline is set when
 * its slot becomes pending and is kept when a newer frame of that camera
 * replaces the pending one: otherwise a fast camera would keep renewing its
 * place at the back of the queue and starve. With one slot per camera this
 * serves cameras in turn, so under overload every camera's detect rate drops
 * by the same factor.
 */
export function createBatcher(options: BatcherOptions): Batcher {
  positive('maxBatch', options.maxBatch, true);
  positive('maxWaitMs', options.maxWaitMs);
  positive('maxAgeMs', options.maxAgeMs);
  const config = Object.freeze({ ...options });
  const { clock } = config;
  const pending = new Map<string, Frame>();
  /** when each camera's pending slot was first filled since it was last served: its place in the queue */
  const since = new Map<string, number>();
  const served: Record<string, number> = {};
  let timer: TimerHandle | null = null;
  let due = false;
  let waiter: ((b: Frame[] | null) => void) | null = null;
  /** the cap the waiting next() asked for */
  let waiterMax = Infinity;
  let closed = false;
  const waiting = new Map<string, { frame: Frame; resolve(): void }>();
  const m = { batches: 0, frames: 0, lastBatchSize: 0, lastQueueAgeMs: 0, maxQueueAgeMs: 0, droppedReplaced: 0, droppedStale: 0, lastInferenceMs: 0, inferenceTotal: 0, inferenceCount: 0 };

  function arm(): void {
    if (timer || due) return;
    timer = clock.setTimeout(() => { timer = null; due = true; deliver(); }, config.maxWaitMs);
  }

  function take(max: number): { batch: Frame[]; leftover: number } {
    const now = clock.now();
    const batch: Frame[] = [];
    const freed: string[] = [];
    const order = [...pending.keys()].sort((a, b) => since.get(a)! - since.get(b)! || a.localeCompare(b));
    for (const camera of order) {
      if (batch.length >= Math.min(config.maxBatch, max)) break;
      const frame = pending.get(camera)!;
      pending.delete(camera);
      since.delete(camera);
      freed.push(camera);
      // Stale frames are dropped here, before inference: detecting one would only delay the fresh ones.
      if (!config.lossless && now - frame.capturedAt > config.maxAgeMs) { m.droppedStale++; continue; }
      batch.push(frame);
      served[camera] = (served[camera] ?? 0) + 1;
    }
    // Oldest capture first within the batch, so results come back in deadline order too.
    batch.sort((a, b) => a.capturedAt - b.capturedAt);
    const leftover = pending.size;
    // Offered frames whose camera slot just freed up become pending (after the loop: a Map iterates entries added during iteration).
    for (const camera of freed) {
      const w = waiting.get(camera);
      if (!w) continue;
      waiting.delete(camera);
      pending.set(camera, w.frame);
      since.set(camera, w.frame.capturedAt);
      w.resolve();
    }
    return { batch, leftover };
  }

  function deliver(): void {
    if (!due || !waiter) return;
    const { batch, leftover } = take(waiterMax);
    // Frames left over (more cameras than maxBatch) have already waited; they are due at once.
    // Frames just let in by offer() start their own wait.
    due = leftover > 0 || pending.size >= config.maxBatch;
    if (timer && (due || pending.size === 0)) { timer.cancel(); timer = null; }
    if (!due && pending.size > 0) arm();
    if (batch.length === 0) { if (pending.size === 0) return; deliver(); return; }
    const now = clock.now();
    const age = Math.max(...batch.map((f) => now - f.capturedAt));
    m.batches++; m.frames += batch.length; m.lastBatchSize = batch.length; m.lastQueueAgeMs = age; m.maxQueueAgeMs = Math.max(m.maxQueueAgeMs, age);
    const w = waiter;
    waiter = null;
    w(batch);
  }

  const self: Batcher = {
    push(frame) {
      if (closed) return;
      const prev = pending.get(frame.camera);
      if (prev) m.droppedReplaced++;
      else since.set(frame.camera, frame.capturedAt);
      pending.set(frame.camera, frame);
      if (pending.size >= config.maxBatch) { due = true; if (timer) { timer.cancel(); timer = null; } }
      else arm();
      deliver();
    },
    offer(frame) {
      if (closed) return Promise.resolve();
      if (waiting.has(frame.camera)) return Promise.reject(new Error(`batcher.offer(): camera ${frame.camera} already has a frame waiting; await the previous offer`));
      if (!pending.has(frame.camera)) { self.push(frame); return Promise.resolve(); }
      return new Promise<void>((resolve) => waiting.set(frame.camera, { frame, resolve }));
    },
    next(max = Infinity) {
      if (closed) return Promise.resolve(null);
      if (waiter) return Promise.reject(new Error('batcher.next() called while a previous call is still waiting'));
      if (!(max >= 1)) return Promise.reject(new ValidationError('max', `expected at least 1, got ${max}`));
      return new Promise((resolve) => { waiter = resolve; waiterMax = max; deliver(); });
    },
    async *batches() {
      for (;;) {
        const b = await self.next();
        if (!b) return;
        yield b;
      }
    },
    isPending: (camera) => pending.has(camera),
    recordInference(ms) {
      m.lastInferenceMs = ms; m.inferenceTotal += ms; m.inferenceCount++;
    },
    metrics() {
      return {
        batches: m.batches, frames: m.frames, lastBatchSize: m.lastBatchSize,
        meanBatchSize: m.batches ? m.frames / m.batches : 0,
        lastQueueAgeMs: m.lastQueueAgeMs, maxQueueAgeMs: m.maxQueueAgeMs,
        droppedReplaced: m.droppedReplaced, droppedStale: m.droppedStale,
        lastInferenceMs: m.lastInferenceMs, meanInferenceMs: m.inferenceCount ? m.inferenceTotal / m.inferenceCount : 0,
        pending: pending.size,
        servedByCamera: { ...served },
      };
    },
    close() {
      if (closed) return;
      closed = true;
      timer?.cancel();
      timer = null;
      pending.clear();
      since.clear();
      for (const w of waiting.values()) w.resolve();
      waiting.clear();
      const w = waiter;
      waiter = null;
      w?.(null);
    },
  };
  return self;
}
