import { seededRandom } from '../../../common/seeded-random.ts';

/**
 * Training views of an annotated image. The deployed estimator always sees a
 * whole frame squeezed to 512²; training adds crops at other scales (a zoomed
 * camera, a tile of a large still), mirror images, and the photometric
 * changes a live camera goes through (gain, offset, grey-scale at night), so
 * that the head does not learn one framing of one dataset.
 */
export interface View {
  /** crop in source pixels */
  x: number;
  y: number;
  w: number;
  h: number;
  flip: boolean;
  /** pixel' = pixel × gain + bias, then clamped */
  gain: number;
  bias: number;
  grey: boolean;
}

export const FULL_VIEW = (w: number, h: number): View => ({ x: 0, y: 0, w, h, flip: false, gain: 1, bias: 0, grey: false });

export interface ViewPlan {
  /** random crops per image besides the whole image and its mirror. @default 4 */
  crops?: number;
  /** crop side as a fraction of the image side. @default [0.35, 0.85] */
  scale?: [number, number];
  /** probability of a grey-scale crop. @default 0.15 */
  greyP?: number;
}

/** The whole image, its mirror, and `crops` random crops; deterministic for a seed. */
export function trainingViews(width: number, height: number, seed: number, plan: ViewPlan = {}): View[] {
  const rnd = seededRandom(seed);
  const [lo, hi] = plan.scale ?? [0.35, 0.85];
  const views: View[] = [FULL_VIEW(width, height), { ...FULL_VIEW(width, height), flip: true }];
  for (let i = 0; i < (plan.crops ?? 4); i++) {
    const s = lo + (hi - lo) * rnd();
    // Aspect jitter of ±15 %, as cameras and stills differ.
    const aspect = 1 + (rnd() - 0.5) * 0.3;
    const w = Math.max(32, Math.min(width, Math.round(width * s * aspect)));
    const h = Math.max(32, Math.min(height, Math.round(height * s / aspect)));
    views.push({
      x: Math.floor(rnd() * (width - w + 1)), y: Math.floor(rnd() * (height - h + 1)), w, h,
      flip: rnd() < 0.5, gain: 0.7 + 0.6 * rnd(), bias: (rnd() - 0.5) * 40, grey: rnd() < (plan.greyP ?? 0.15),
    });
  }
  return views;
}

/** Points of the image inside the view, in the view's own 0…1 coordinates (mirrored if the view is). */
export function pointsInView(points: readonly (readonly [number, number])[], v: View): [number, number][] {
  const out: [number, number][] = [];
  for (const [px, py] of points) {
    const u = (px - v.x) / v.w, t = (py - v.y) / v.h;
    if (u < 0 || u >= 1 || t < 0 || t >= 1) continue;
    out.push([v.flip ? 1 - u : u, t]);
  }
  return out;
}
