import { ValidationError } from '../../common/errors.ts';
import type { Frame } from '../types.ts';

/**
 * Change-gated inference: a camera whose picture has not changed since its
 * last detected frame skips detection, and the analyzers reuse that frame's
 * detections. Frigate gates on motion the same way; unlike a motion gate,
 * this one also forces a detection at least every `maxIntervalS`, so a crowd
 * that stands still keeps a fresh count.
 *
 * The measure is cheap and runs on the frame the decoder already delivered:
 * a 64×48 grey thumbnail by block means, compared cell by cell with the
 * thumbnail of the last *detected* frame (so slow drift adds up and is
 * eventually seen), after removing the mean difference (so auto-exposure or
 * a passing cloud alone does not count as change).
 */
export interface ChangeGateOptions {
  /** force a detection after this long without one, seconds of media time. @default 5 */
  maxIntervalS?: number;
  /** grey levels (0–255) a thumbnail cell must move to count as changed. @default 10 */
  cellDelta?: number;
  /** fraction of cells that must change to detect. @default 0.002 (about 6 cells: one walking person) */
  minChangedFraction?: number;
}

export type GateReason = 'first' | 'change' | 'refresh' | 'still';

export interface GateDecision {
  detect: boolean;
  reason: GateReason;
  /** fraction of thumbnail cells changed since the last detected frame */
  changed: number;
}

export interface GateCounts { detected: number; gated: number }

export interface ChangeGate {
  /** decides, and a frame to detect becomes the reference at once (replay: every such frame is detected) */
  decide(frame: Frame): GateDecision;
  /**
   * decides without moving the reference (live): a frame to detect may still
   * be replaced or dropped as stale in the batcher, so it becomes the
   * reference only once `taken()` says the detector has it
   */
  propose(frame: Frame): GateDecision;
  /** the detector took this frame: if it is the latest proposed one, it is now the reference */
  taken(frame: Frame): void;
  counts(): GateCounts;
}

export const THUMB_W = 64;
export const THUMB_H = 48;

/** Block-mean grey thumbnail of an RGB24 frame (every other pixel of each block: plenty for a mean). */
export function greyThumbnail(frame: Pick<Frame, 'data' | 'width' | 'height'>, out = new Float32Array(THUMB_W * THUMB_H)): Float32Array {
  const { data, width, height } = frame;
  for (let ty = 0; ty < THUMB_H; ty++) {
    const y0 = Math.floor((ty * height) / THUMB_H), y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / THUMB_H));
    for (let tx = 0; tx < THUMB_W; tx++) {
      const x0 = Math.floor((tx * width) / THUMB_W), x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / THUMB_W));
      let s = 0, n = 0;
      for (let y = y0; y < y1; y += 2) {
        let i = (y * width + x0) * 3;
        for (let x = x0; x < x1; x += 2, i += 6) { s += data[i]! * 0.299 + data[i + 1]! * 0.587 + data[i + 2]! * 0.114; n++; }
      }
      out[ty * THUMB_W + tx] = n ? s / n : 0;
    }
  }
  return out;
}

export function createChangeGate(options: ChangeGateOptions = {}): ChangeGate {
  const maxIntervalS = options.maxIntervalS ?? 5;
  const cellDelta = options.cellDelta ?? 10;
  const minChanged = options.minChangedFraction ?? 0.002;
  if (!(maxIntervalS > 0)) throw new ValidationError('gate.maxIntervalS', `expected a positive number of seconds, got ${maxIntervalS}`);
  if (!(cellDelta > 0 && cellDelta < 255)) throw new ValidationError('gate.cellDelta', `expected grey levels in (0, 255), got ${cellDelta}`);
  if (!(minChanged >= 0 && minChanged < 1)) throw new ValidationError('gate.minChangedFraction', `expected a fraction in [0, 1), got ${minChanged}`);
  let reference: Float32Array | null = null;
  let referenceAt: number | null = null;
  const current = new Float32Array(THUMB_W * THUMB_H);
  /** the latest proposed frame to detect, waiting for the detector to take it */
  let candidate: { seq: number; thumb: Float32Array; at: number } | null = null;
  const c: GateCounts = { detected: 0, gated: 0 };

  function changedFraction(): number {
    let mean = 0;
    for (let i = 0; i < current.length; i++) mean += current[i]! - reference![i]!;
    mean /= current.length;
    let changed = 0;
    for (let i = 0; i < current.length; i++) if (Math.abs(current[i]! - reference![i]! - mean) > cellDelta) changed++;
    return changed / current.length;
  }

  function evaluate(frame: Frame): GateDecision {
    greyThumbnail(frame, current);
    if (!reference || referenceAt === null) return { detect: true, reason: 'first', changed: 1 };
    const changed = changedFraction();
    if (changed >= minChanged && changed > 0) return { detect: true, reason: 'change', changed };
    if (frame.mediaTime - referenceAt >= maxIntervalS) return { detect: true, reason: 'refresh', changed };
    return { detect: false, reason: 'still', changed };
  }

  function commit(thumb: Float32Array, at: number): void {
    reference = (reference ?? new Float32Array(thumb.length));
    reference.set(thumb);
    referenceAt = at;
    c.detected++;
  }

  return {
    decide(frame) {
      const d = evaluate(frame);
      if (d.detect) commit(current, frame.mediaTime);
      else c.gated++;
      return d;
    },
    propose(frame) {
      const d = evaluate(frame);
      if (d.detect) candidate = { seq: frame.seq, thumb: current.slice(), at: frame.mediaTime };
      else c.gated++;
      return d;
    },
    taken(frame) {
      if (!candidate || candidate.seq !== frame.seq) return;
      commit(candidate.thumb, candidate.at);
      candidate = null;
    },
    counts: () => ({ ...c }),
  };
}
