import type { BBox } from '../../common/geometry.ts';
import { ValidationError } from '../../common/errors.ts';

/**
 * Dual background model in the manner of Porikli's long-/short-term
 * backgrounds (PETS 2006, AVSS 2007): at low resolution, a long-term
 * background that learns slowly and never under foreground or people, and a
 * short-term one that absorbs anything that stops moving within seconds. A
 * cell that differs from the long-term background but not from the
 * short-term one holds something that arrived and stayed: static foreground.
 *
 * Global lighting changes are taken out before any comparison: each frame's
 * luminance is fitted to each background as `a·bg + b` over cells that were
 * background in the previous frame (so an overcast sky or an `eq` brightness
 * ramp moves the prediction, not the foreground mask), and chroma by an offset.
 * A change the fit cannot explain over most of the frame re-baselines both.
 */
export interface BackgroundModelOptions {
  /** frame size the model is fed at */
  width: number;
  height: number;
  /** frame pixels per model cell along each axis; default makes the model about 192 cells wide */
  cell?: number;
  /** seconds: time constant of the short-term background @default 2 */
  shortTauS?: number;
  /** seconds: time constant of the long-term background where it is visible @default 60 */
  longTauS?: number;
  /** luminance difference (0–255) that makes a cell foreground @default 20 */
  lumaThreshold?: number;
  /** summed |ΔCb|+|ΔCr| that makes a cell foreground @default 16 */
  chromaThreshold?: number;
  /** seconds a cell must be foreground before it may count as static @default 1.5 */
  minStaticS?: number;
  /** seconds after which static cells nobody holds are learned into the long-term background @default 120 */
  absorbAfterS?: number;
  /** fraction of foreground cells that, held for `rebaselineAfterS`, means the whole scene changed @default 0.5 */
  rebaselineFraction?: number;
  /** @default 2 */
  rebaselineAfterS?: number;
  /**
   * a frame whose foreground fraction moved by more than this within the last
   * second, or whose light fit moves by `globalLumaStep` from the last frame's,
   * is a global change (a train pulling in, a cloud, auto-exposure): learning
   * and static timers pause until `globalSettleS` after it ends. A train that
   * stands is no longer a change. @default 0.1
   */
  globalFraction?: number;
  /** luminance (0–255) by which the light fit moves mid-grey between two frames that makes a global change @default 6 */
  globalLumaStep?: number;
  /** @default 2 */
  globalSettleS?: number;
}

export interface StaticBlob {
  /** in cells: [x1, y1, x2, y2), x2/y2 exclusive */
  cellBox: [number, number, number, number];
  /** the same in frame pixels */
  box: [number, number, number, number];
  cells: number;
  /** median time its cells became foreground: when the object arrived */
  since: number;
  /** ratio of edge energy along its border in the frame to that in the background; < 1 means something left (a ghost) */
  edgeRatio: number;
  /**
   * how much more the region stands out from the floor around it now than it
   * did in the background (mean luminance against a ring of background cells,
   * both under this frame's light): > 1 something arrived, < 1 the region now
   * blends in, so something left (a ghost). Unlike the edge ratio it holds on
   * patterned floors, where a plain bag hides more edges than it brings.
   */
  contrastRatio: number;
  /** cells of its (dilated) region over the cells of its box: tape, cables and branches are thin and ragged */
  solidity: number;
  /**
   * the change is the same surface under different light: a shadow, a patch of
   * sun, a reflection. Judged on normalised intensity (the region's luminance
   * divided by its mean, against the background's) plus unchanged chroma.
   */
  lightingOnly: boolean;
}

export interface BackgroundUpdate {
  /** true when the whole scene changed and both backgrounds were reset to this frame */
  rebaselined: boolean;
  /** luminance fit to the long-term background */
  gain: number;
  offset: number;
  /** fraction of cells that differ from the long-term background */
  foregroundFraction: number;
  /** a global change is under way or settling: nothing new became static and nothing was learned long-term */
  paused?: boolean;
}

export interface BackgroundModel {
  readonly cols: number;
  readonly rows: number;
  readonly cell: number;
  update(rgb: Uint8Array, time: number, persons: readonly BBox[]): BackgroundUpdate;
  /** connected static-foreground regions of the last update */
  blobs(minCells?: number): StaticBlob[];
  /** fraction of the cells of `cellBox` that differ from the long-term background now */
  presence(cellBox: readonly [number, number, number, number]): number;
  /** learns the current content of `cellBox` into both backgrounds (a ghost, or a change to accept) */
  absorb(cellBox: readonly [number, number, number, number]): void;
  /** cells that long-term absorption must leave alone (tracked objects) */
  hold(cellBoxes: readonly (readonly [number, number, number, number])[]): void;
  /** the static mask of the last update, 1 per static cell (for tests and debugging) */
  staticMask(): Uint8Array;
  foregroundMask(): Uint8Array;
}

const Y = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
const CB = (r: number, g: number, b: number) => -0.168736 * r - 0.331264 * g + 0.5 * b;
const CR = (r: number, g: number, b: number) => 0.5 * r - 0.418688 * g - 0.081312 * b;

interface Fit { a: number; b: number; cb: number; cr: number }

export function createBackgroundModel(options: BackgroundModelOptions): BackgroundModel {
  const { width, height } = options;
  if (!Number.isInteger(width) || width < 16 || !Number.isInteger(height) || height < 16) {
    throw new ValidationError('frame', `size ${width}x${height} is too small for the background model`);
  }
  const cell = options.cell ?? Math.max(1, Math.round(width / 192));
  const cols = Math.floor(width / cell);
  const rows = Math.floor(height / cell);
  const n = cols * rows;
  const o = Object.freeze({
    shortTauS: options.shortTauS ?? 2,
    longTauS: options.longTauS ?? 60,
    lumaThreshold: options.lumaThreshold ?? 20,
    chromaThreshold: options.chromaThreshold ?? 16,
    minStaticS: options.minStaticS ?? 1.5,
    absorbAfterS: options.absorbAfterS ?? 120,
    rebaselineFraction: options.rebaselineFraction ?? 0.5,
    rebaselineAfterS: options.rebaselineAfterS ?? 2,
    globalFraction: options.globalFraction ?? 0.1,
    globalLumaStep: options.globalLumaStep ?? 6,
    globalSettleS: options.globalSettleS ?? 2,
  });

  // Backgrounds and the current frame in RGB, so that a gain that clips one channel is predicted exactly.
  const cur = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  const curY = new Float32Array(n), curCb = new Float32Array(n), curCr = new Float32Array(n);
  const bgL = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  const bgS = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  const fgL = new Uint8Array(n);
  const fgS = new Uint8Array(n);
  const person = new Uint8Array(n);
  const held = new Uint8Array(n);
  const stat = new Uint8Array(n);
  const fgSince = new Float64Array(n).fill(NaN);
  const lastFg = new Float64Array(n).fill(-Infinity);
  let started = false;
  let lastTime = 0;
  let wholeSceneSince: number | null = null;
  /** the long-term background's light fit of the last update, for blobs() and absorb() */
  let lastFitL: Fit = { a: 1, b: 0, cb: 0, cr: 0 };
  /** end of the current global-change pause (see globalFraction) */
  let pausedUntil = -Infinity;
  let prevFitL: Fit = { a: 1, b: 0, cb: 0, cr: 0 };
  /** foreground fractions of the last second */
  let fractions: { time: number; fraction: number }[] = [];
  // Scratch buffers of blobs(), allocated once: a frame's garbage is otherwise three full grids.
  const dil = new Uint8Array(n);
  const label = new Int32Array(n);
  const bgLY = new Float32Array(n);

  function downscale(rgb: Uint8Array): void {
    if (rgb.length < width * height * 3) throw new ValidationError('frame.data', `expected ${width * height * 3} bytes for ${width}x${height} RGB, got ${rgb.length}`);
    const inv = 1 / (cell * cell);
    for (let cy = 0; cy < rows; cy++) {
      for (let cx = 0; cx < cols; cx++) {
        let r = 0, g = 0, b = 0;
        for (let dy = 0; dy < cell; dy++) {
          let p = ((cy * cell + dy) * width + cx * cell) * 3;
          for (let dx = 0; dx < cell; dx++, p += 3) { r += rgb[p]!; g += rgb[p + 1]!; b += rgb[p + 2]!; }
        }
        r *= inv; g *= inv; b *= inv;
        const i = cy * cols + cx;
        cur[0][i] = r; cur[1][i] = g; cur[2][i] = b;
        curY[i] = Y(r, g, b); curCb[i] = CB(r, g, b); curCr[i] = CR(r, g, b);
      }
    }
  }

  /** Least-squares luminance gain/offset of the frame against `bg` over last frame's background cells. */
  function fit(bg: readonly [Float32Array, Float32Array, Float32Array], fg: Uint8Array): Fit {
    let k = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, scb = 0, scr = 0;
    // Every other cell: thousands of samples fit two numbers as well as all of them, at half the cost.
    for (let i = 0; i < n; i += 2) {
      if (fg[i] || person[i]) continue;
      const r = bg[0][i]!, g = bg[1][i]!, b = bg[2][i]!;
      const x = Y(r, g, b), y = curY[i]!;
      // Clipped cells carry no information about the change.
      if (y < 8 || y > 240 || x < 8 || x > 240) continue;
      k++; sx += x; sy += y; sxx += x * x; sxy += x * y;
      scb += curCb[i]! - CB(r, g, b); scr += curCr[i]! - CR(r, g, b);
    }
    if (k < n * 0.025) return { a: 1, b: 0, cb: 0, cr: 0 };
    const mx = sx / k, my = sy / k;
    const vx = sxx / k - mx * mx;
    let a = vx > 25 ? (sxy / k - mx * my) / vx : 1;
    a = Math.min(3, Math.max(0.33, a));
    return { a, b: my - a * mx, cb: scb / k, cr: scr / k };
  }

  function classify(bg: readonly [Float32Array, Float32Array, Float32Array], f: Fit, out: Uint8Array): number {
    let count = 0;
    for (let i = 0; i < n; i++) {
      // The background as this frame's light would show it, clipping included.
      const r = Math.min(255, Math.max(0, f.a * bg[0][i]! + f.b));
      const g = Math.min(255, Math.max(0, f.a * bg[1][i]! + f.b));
      const b = Math.min(255, Math.max(0, f.a * bg[2][i]! + f.b));
      const py = Y(r, g, b);
      const dy = Math.abs(curY[i]! - py);
      // Chroma means little where the cell is nearly black or white.
      const yc = curY[i]!;
      const dc = yc > 240 || py > 240 || yc < 16 || py < 16 ? 0 : Math.abs(curCb[i]! - CB(r, g, b) - f.cb) + Math.abs(curCr[i]! - CR(r, g, b) - f.cr);
      const v = dy > o.lumaThreshold || dc > o.chromaThreshold ? 1 : 0;
      out[i] = v;
      count += v;
    }
    return count;
  }

  function resetTo(time: number): void {
    for (let c = 0; c < 3; c++) { bgL[c]!.set(cur[c]!); bgS[c]!.set(cur[c]!); }
    fgL.fill(0); fgS.fill(0); stat.fill(0);
    fgSince.fill(NaN); lastFg.fill(-Infinity);
    wholeSceneSince = null;
    prevFitL = { a: 1, b: 0, cb: 0, cr: 0 };
    fractions = [];
    lastTime = time;
  }

  function markPersons(persons: readonly BBox[]): void {
    person.fill(0);
    for (const p of persons) {
      // People's outlines, shadows and swinging arms reach past their boxes.
      const w = p[2] - p[0], h = p[3] - p[1];
      const x1 = Math.max(0, Math.floor((p[0] - 0.15 * w) / cell));
      const x2 = Math.min(cols, Math.ceil((p[2] + 0.15 * w) / cell));
      const y1 = Math.max(0, Math.floor((p[1] - 0.05 * h) / cell));
      const y2 = Math.min(rows, Math.ceil((p[3] + 0.08 * h) / cell));
      for (let y = y1; y < y2; y++) person.fill(1, y * cols + x1, y * cols + x2);
    }
  }

  function update(rgb: Uint8Array, time: number, persons: readonly BBox[]): BackgroundUpdate {
    downscale(rgb);
    markPersons(persons);
    if (!started) {
      started = true;
      resetTo(time);
      return { rebaselined: true, gain: 1, offset: 0, foregroundFraction: 0 };
    }
    const dt = Math.max(0, time - lastTime);
    lastTime = time;
    const fL = fit(bgL, fgL);
    lastFitL = fL;
    const fS = fit(bgS, fgS);
    const countL = classify(bgL, fL, fgL);
    classify(bgS, fS, fgS);
    const fraction = countL / n;
    if (fraction > o.rebaselineFraction) {
      wholeSceneSince ??= time;
      if (time - wholeSceneSince >= o.rebaselineAfterS) {
        resetTo(time);
        return { rebaselined: true, gain: fL.a, offset: fL.b, foregroundFraction: fraction };
      }
    } else {
      wholeSceneSince = null;
    }

    // The light step between two frames, as it moves a mid-grey surface (gain and offset trade off in a fit).
    const step = Math.abs((fL.a - prevFitL.a) * 128 + (fL.b - prevFitL.b));
    fractions = fractions.filter((f) => time - f.time <= 1);
    const swing = fractions.reduce((m, f) => Math.max(m, Math.abs(fraction - f.fraction)), 0);
    fractions.push({ time, fraction });
    if (swing > o.globalFraction || step > o.globalLumaStep) pausedUntil = time + o.globalSettleS;
    prevFitL = fL;
    const paused = time < pausedUntil;
    const aS = 1 - Math.exp(-dt / o.shortTauS);
    // While the light changes or a train fills the view, what looks different is the change itself: learn nothing long-term.
    const aL = paused ? 0 : 1 - Math.exp(-dt / o.longTauS);
    for (let i = 0; i < n; i++) {
      // Backgrounds learn the frame as it would look under their own lighting;
      // clipped cells say nothing about that and are left alone.
      const clipped = curY[i]! > 245 || curY[i]! < 5;
      if (!clipped) for (let c = 0; c < 3; c++) bgS[c]![i]! += aS * ((cur[c]![i]! - fS.b) / fS.a - bgS[c]![i]!);
      if (fgL[i]) {
        // A cell that changes during a global change starts its static clock when the change has settled.
        if (Number.isNaN(fgSince[i]!)) fgSince[i] = paused ? pausedUntil : time;
        lastFg[i] = time;
      } else {
        if (time - lastFg[i]! > 1) fgSince[i] = NaN;
        if (!person[i] && !clipped) for (let c = 0; c < 3; c++) bgL[c]![i]! += aL * ((cur[c]![i]! - fL.b) / fL.a - bgL[c]![i]!);
      }
      const s = !paused && fgL[i] && !fgS[i] && !person[i] && time - fgSince[i]! >= o.minStaticS ? 1 : 0;
      stat[i] = s;
      if (s && !held[i] && time - fgSince[i]! >= o.absorbAfterS) {
        // Long-static change that no tracker claims: a parked van, a moved bench.
        for (let c = 0; c < 3; c++) bgL[c]![i] = (cur[c]![i]! - fL.b) / fL.a;
        fgSince[i] = NaN;
      }
    }
    return { rebaselined: false, gain: fL.a, offset: fL.b, foregroundFraction: fraction, paused };
  }

  function gradAt(img: Float32Array, x: number, y: number, a = 1, b = 0): number {
    const xm = Math.max(0, x - 1), xp = Math.min(cols - 1, x + 1);
    const ym = Math.max(0, y - 1), yp = Math.min(rows - 1, y + 1);
    const v = (xx: number, yy: number) => a * img[yy * cols + xx]! + b;
    const gx = v(xp, ym) + 2 * v(xp, y) + v(xp, yp) - v(xm, ym) - 2 * v(xm, y) - v(xm, yp);
    const gy = v(xm, yp) + 2 * v(x, yp) + v(xp, yp) - v(xm, ym) - 2 * v(x, ym) - v(xp, ym);
    return Math.hypot(gx, gy);
  }

  /** Contrast against the surrounding floor, and whether the change is only light (see StaticBlob). */
  function appearance(members: readonly number[], cb: readonly [number, number, number, number], dil: Uint8Array, bgLY: Float32Array, f: Fit): { contrastRatio: number; lightingOnly: boolean } {
    let k = 0, cIn = 0, bIn = 0, cbIn = 0, crIn = 0;
    for (const i of members) {
      if (!stat[i]) continue;
      k++; cIn += curY[i]!; bIn += f.a * bgLY[i]! + f.b;
      cbIn += Math.abs(curCb[i]! - CB(bgL[0][i]!, bgL[1][i]!, bgL[2][i]!) - f.cb);
      crIn += Math.abs(curCr[i]! - CR(bgL[0][i]!, bgL[1][i]!, bgL[2][i]!) - f.cr);
    }
    cIn /= k; bIn /= k;
    const pad = Math.max(2, Math.round(0.25 * Math.max(cb[2] - cb[0], cb[3] - cb[1])));
    let r = 0, cR = 0, bR = 0;
    forBox([cb[0] - pad, cb[1] - pad, cb[2] + pad, cb[3] + pad], (i) => {
      if (dil[i] || fgL[i] || person[i]) return;
      r++; cR += curY[i]!; bR += f.a * bgLY[i]! + f.b;
    });
    const contrastRatio = r >= 4 ? (Math.abs(cIn - cR / r) + 6) / (Math.abs(bIn - bR / r) + 6) : 1;
    // Normalised intensity: the same texture scaled by one factor is the same surface in other light.
    const g = bIn > 8 ? cIn / bIn : 1;
    let resid = 0;
    for (const i of members) if (stat[i]) resid += Math.abs(curY[i]! - g * (f.a * bgLY[i]! + f.b));
    resid /= k * Math.max(16, cIn);
    const chroma = (cbIn + crIn) / k;
    const lightingOnly = g > 0.4 && g < 2 && resid < 0.07 && chroma < o.chromaThreshold;
    return { contrastRatio, lightingOnly };
  }

  function blobs(minCells = 4): StaticBlob[] {
    // Components over the static mask dilated by one cell, so that an object
    // split by a thin seam of unchanged pixels stays one blob.
    dil.fill(0);
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) {
      if (!stat[y * cols + x]) continue;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < cols && yy < rows) dil[yy * cols + xx] = 1;
      }
    }
    label.fill(-1);
    const out: StaticBlob[] = [];
    const stack: number[] = [];
    const fl = lastFitL;
    let any = false;
    for (let i = 0; i < n && !any; i++) any = dil[i] === 1;
    if (!any) return out;
    for (let i = 0; i < n; i++) bgLY[i] = Y(bgL[0][i]!, bgL[1][i]!, bgL[2][i]!);
    for (let start = 0; start < n; start++) {
      if (!dil[start] || label[start]! >= 0) continue;
      const id = out.length;
      label[start] = id;
      stack.push(start);
      const members: number[] = [];
      while (stack.length) {
        const i = stack.pop()!;
        members.push(i);
        const x = i % cols, y = (i - x) / cols;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= cols || yy >= rows) continue;
          const j = yy * cols + xx;
          if (dil[j] && label[j]! < 0) { label[j] = id; stack.push(j); }
        }
      }
      let x1 = cols, y1 = rows, x2 = -1, y2 = -1;
      const times: number[] = [];
      for (const i of members) {
        if (!stat[i]) continue;
        const x = i % cols, y = (i - x) / cols;
        if (x < x1) x1 = x; if (x > x2) x2 = x; if (y < y1) y1 = y; if (y > y2) y2 = y;
        times.push(fgSince[i]!);
      }
      if (times.length < minCells) { out.push(null as unknown as StaticBlob); continue; }
      times.sort((a, b) => a - b);
      // Edge energy along the border: an object brings its outline, a ghost takes one away.
      let eCur = 0, eBg = 0;
      for (const i of members) {
        if (!stat[i]) continue;
        const x = i % cols, y = (i - x) / cols;
        const border = x === 0 || y === 0 || x === cols - 1 || y === rows - 1 || !stat[i - 1] || !stat[i + 1] || !stat[i - cols] || !stat[i + cols];
        if (!border) continue;
        eCur += gradAt(curY, x, y);
        eBg += gradAt(bgLY, x, y, fl.a, fl.b);
      }
      out.push({
        cellBox: [x1, y1, x2 + 1, y2 + 1],
        box: [x1 * cell, y1 * cell, (x2 + 1) * cell, (y2 + 1) * cell],
        cells: times.length,
        since: times[Math.floor(times.length / 2)]!,
        edgeRatio: (eCur + 1) / (eBg + 1),
        // Over the one-cell dilation, so that a textured object whose every cell is not static still reads as solid.
        solidity: members.length / ((x2 - x1 + 3) * (y2 - y1 + 3)),
        ...appearance(members, [x1, y1, x2 + 1, y2 + 1], dil, bgLY, fl),
      });
    }
    return out.filter((b) => b !== null);
  }

  function forBox(cb: readonly [number, number, number, number], fn: (i: number) => void): void {
    const x1 = Math.max(0, cb[0]), y1 = Math.max(0, cb[1]), x2 = Math.min(cols, cb[2]), y2 = Math.min(rows, cb[3]);
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) fn(y * cols + x);
  }

  return {
    cols, rows, cell,
    update,
    blobs,
    presence(cb) {
      let k = 0, f = 0;
      forBox(cb, (i) => { k++; f += fgL[i]!; });
      return k ? f / k : 0;
    },
    absorb(cb) {
      const fl = lastFitL;
      forBox(cb, (i) => {
        // Only what is static: a person still walking off the trace must not become background.
        if (!stat[i]) return;
        for (let c = 0; c < 3; c++) { bgL[c]![i] = (cur[c]![i]! - fl.b) / fl.a; bgS[c]![i] = bgL[c]![i]!; }
        fgL[i] = 0; fgS[i] = 0; stat[i] = 0; fgSince[i] = NaN;
      });
    },
    hold(boxes) {
      held.fill(0);
      for (const b of boxes) forBox(b, (i) => { held[i] = 1; });
    },
    staticMask: () => stat,
    foregroundMask: () => fgL,
  };
}
