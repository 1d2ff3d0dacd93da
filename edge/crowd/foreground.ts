import type { Frame } from '../types.ts';

/**
 * Foreground coverage on a coarse grid: a running-mean background of the
 * luminance, and the cells that differ from it. It knows nothing about people,
 * which is the point: where the detector saturates in a dense crowd, the
 * covered floor still grows with the crowd. Cheap (one pass of block sums).
 */
export interface ForegroundModel {
  /** updates the background and returns the foreground mask (1 = foreground) of `gridW`×`gridH` cells */
  update(frame: Frame): Uint8Array | null;
  readonly gridW: number;
  readonly gridH: number;
}

export interface ForegroundOptions {
  /** grid size; the frame is averaged down to it. @default 96×72 */
  gridW?: number;
  gridH?: number;
  /** luminance difference (0–255) that counts as foreground. @default 20 */
  threshold?: number;
  /** frames averaged before the mask is trusted. @default 20 */
  warmupFrames?: number;
  /** background learning rate once warm, on background cells only. @default 0.02 */
  rate?: number;
}

export function createForegroundModel(options: ForegroundOptions = {}): ForegroundModel {
  const gridW = options.gridW ?? 96, gridH = options.gridH ?? 72;
  const threshold = options.threshold ?? 20;
  const warmup = options.warmupFrames ?? 20;
  const rate = options.rate ?? 0.02;
  const bg = new Float32Array(gridW * gridH);
  const cur = new Float32Array(gridW * gridH);
  const mask = new Uint8Array(gridW * gridH);
  const counts = new Uint32Array(gridW * gridH);
  let seen = 0;
  let size = '';

  const downsample = (f: Frame) => {
    cur.fill(0);
    counts.fill(0);
    const sx = gridW / f.width, sy = gridH / f.height;
    // Sample every second pixel: the grid is far coarser than the frame anyway.
    for (let y = 0; y < f.height; y += 2) {
      const gy = Math.min(gridH - 1, Math.floor(y * sy)) * gridW;
      const row = y * f.width * 3;
      for (let x = 0; x < f.width; x += 2) {
        const i = row + x * 3;
        const g = gy + Math.min(gridW - 1, Math.floor(x * sx));
        cur[g]! += 0.299 * f.data[i]! + 0.587 * f.data[i + 1]! + 0.114 * f.data[i + 2]!;
        counts[g]!++;
      }
    }
    for (let g = 0; g < cur.length; g++) cur[g] = counts[g] ? cur[g]! / counts[g]! : 0;
  };

  return {
    gridW, gridH,
    update(frame) {
      const key = `${frame.width}x${frame.height}`;
      if (key !== size) { size = key; seen = 0; }
      downsample(frame);
      seen++;
      if (seen <= warmup) {
        // A cumulative mean over the first frames: moving people average out of it.
        for (let g = 0; g < bg.length; g++) bg[g] = seen === 1 ? cur[g]! : bg[g]! + (cur[g]! - bg[g]!) / seen;
        return null;
      }
      for (let g = 0; g < bg.length; g++) {
        const fg = Math.abs(cur[g]! - bg[g]!) > threshold;
        mask[g] = fg ? 1 : 0;
        // Learn only where the scene looks like background, and slowly even there,
        // so that a standing crowd is not absorbed within seconds.
        bg[g] = bg[g]! + (cur[g]! - bg[g]!) * (fg ? rate * 0.05 : rate);
      }
      return mask;
    },
  };
}
