import { ValidationError } from '../../common/errors.ts';

/**
 * Per-frame image measures for camera health, each chosen to be blind to
 * what normal footage does (people walking, clouds, gain changes) and to
 * jump when the camera itself is interfered with:
 * - `change`: mean absolute difference to the previous frame at full
 *   resolution. Real sensors and encoders never produce exactly the same
 *   picture twice; a frozen feed does.
 * - `mean`, `std`: brightness and contrast at low resolution.
 * - `detail`: mean gradient magnitude at low resolution (sensor noise averages out).
 * - `sharpness`: mean absolute Laplacian at half resolution (lost when defocused).
 * - the low-resolution gradient image, for correlation with a reference view.
 */
export interface FrameMetrics {
  change: number;
  mean: number;
  std: number;
  detail: number;
  sharpness: number;
  /** gradient magnitude per low-resolution cell, zero-mean and unit-norm (for NCC) */
  edges: Float32Array;
}

export interface FrameMetricsMeter {
  measure(rgb: Uint8Array): FrameMetrics;
}

export function createFrameMetricsMeter(width: number, height: number): FrameMetricsMeter {
  if (!Number.isInteger(width) || width < 32 || !Number.isInteger(height) || height < 32) {
    throw new ValidationError('frame', `size ${width}x${height} is too small for health metrics`);
  }
  const hw = width >> 1, hh = height >> 1;
  const cell = Math.max(2, Math.round(width / 96));
  const lw = Math.floor(width / cell), lh = Math.floor(height / cell);
  const half = new Float32Array(hw * hh);
  const low = new Float32Array(lw * lh);
  const edges = new Float32Array(lw * lh);
  let prev: Uint8Array | null = null;

  function measure(rgb: Uint8Array): FrameMetrics {
    if (rgb.length < width * height * 3) throw new ValidationError('frame.data', `expected ${width * height * 3} bytes for ${width}x${height} RGB, got ${rgb.length}`);
    // Every second pixel of every second row: enough to see any change at all.
    let change = 0, k = 0;
    if (prev) {
      for (let y = 0; y < height; y += 2) {
        for (let p = y * width * 3, end = p + width * 3; p < end; p += 6, k += 3) {
          change += Math.abs(rgb[p]! - prev[p]!) + Math.abs(rgb[p + 1]! - prev[p + 1]!) + Math.abs(rgb[p + 2]! - prev[p + 2]!);
        }
      }
      change /= k;
    } else {
      change = NaN;
    }
    prev = prev && prev.length === rgb.length ? (prev.set(rgb.subarray(0, prev.length)), prev) : rgb.slice();

    for (let y = 0; y < hh; y++) {
      for (let x = 0; x < hw; x++) {
        const p = (2 * y * width + 2 * x) * 3, q = p + width * 3;
        half[y * hw + x] = (0.299 * (rgb[p]! + rgb[p + 3]! + rgb[q]! + rgb[q + 3]!) + 0.587 * (rgb[p + 1]! + rgb[p + 4]! + rgb[q + 1]! + rgb[q + 4]!) + 0.114 * (rgb[p + 2]! + rgb[p + 5]! + rgb[q + 2]! + rgb[q + 5]!)) / 4;
      }
    }
    let lap = 0;
    for (let y = 1; y < hh - 1; y++) {
      for (let x = 1, i = y * hw + 1; x < hw - 1; x++, i++) {
        lap += Math.abs(4 * half[i]! - half[i - 1]! - half[i + 1]! - half[i - hw]! - half[i + hw]!);
      }
    }
    const sharpness = lap / ((hw - 2) * (hh - 2));

    const hc = cell >> 1;
    low.fill(0);
    for (let y = 0; y < lh * hc; y++) {
      for (let x = 0; x < lw * hc; x++) low[Math.floor(y / hc) * lw + Math.floor(x / hc)]! += half[y * hw + x]!;
    }
    let s = 0, ss = 0;
    for (let i = 0; i < low.length; i++) { low[i]! /= hc * hc; s += low[i]!; ss += low[i]! * low[i]!; }
    const mean = s / low.length;
    const std = Math.sqrt(Math.max(0, ss / low.length - mean * mean));

    let g = 0;
    edges.fill(0);
    for (let y = 1; y < lh - 1; y++) {
      for (let x = 1, i = y * lw + 1; x < lw - 1; x++, i++) {
        const m = Math.hypot(low[i + 1]! - low[i - 1]!, low[i + lw]! - low[i - lw]!);
        edges[i] = m;
        g += m;
      }
    }
    const detail = g / ((lw - 2) * (lh - 2));
    const out = new Float32Array(edges.length);
    let norm = 0;
    for (let i = 0; i < edges.length; i++) { out[i] = edges[i]! - detail; norm += out[i]! * out[i]!; }
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < out.length; i++) out[i]! /= norm;
    return { change, mean, std, detail, sharpness, edges: out };
  }

  return { measure };
}

/** Normalised cross-correlation of two zero-mean unit-norm images. */
export function correlation(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
