import { bottomCentre, pointInPolygon, type BBox, type Polygon } from '../../common/geometry.ts';
import type { ZoneConfig } from '../../common/config/zone.ts';

/**
 * A zone as the crowd analytics sees it. Polygons are configured in source
 * pixels while detections arrive in detect-frame pixels, so membership scales
 * the box first. A person belongs to the zone their feet stand in: the bottom
 * centre of the box (Frigate's convention), which is what the floor area means.
 */
export interface CrowdZone {
  readonly id: string;
  readonly areaM2: number;
  readonly config: ZoneConfig;
  /** `box` in frame pixels of a frame `frameW`×`frameH` whose source is `sourceW`×`sourceH` */
  contains(box: BBox, scaleX: number, scaleY: number): boolean;
  /**
   * The zone rasterised on a `gridW`×`gridH` grid spanning the source image
   * (1 = inside): used for heatmap mass and foreground coverage. `feetBelowPx`
   * tests each cell that many source pixels lower, for maps that mark a
   * person's centre rather than their feet. Cached per grid and offset.
   */
  mask(gridW: number, gridH: number, sourceW: number, sourceH: number, feetBelowPx?: number): Uint8Array;
}

export function createCrowdZone(config: ZoneConfig): CrowdZone {
  const polygon: Polygon = config.polygon.map(([x, y]) => [x, y] as const);
  const masks = new Map<string, Uint8Array>();
  return Object.freeze({
    id: config.id,
    areaM2: config.areaM2,
    config,
    contains(box: BBox, scaleX: number, scaleY: number) {
      const [x, y] = bottomCentre(box);
      return pointInPolygon([x * scaleX, y * scaleY], polygon);
    },
    mask(gridW: number, gridH: number, sourceW: number, sourceH: number, feetBelowPx = 0) {
      const dy = Math.round(feetBelowPx / 8) * 8;
      const key = `${gridW}x${gridH}@${sourceW}x${sourceH}+${dy}`;
      let m = masks.get(key);
      if (!m) {
        m = new Uint8Array(gridW * gridH);
        const cw = sourceW / gridW, ch = sourceH / gridH;
        for (let gy = 0; gy < gridH; gy++) {
          for (let gx = 0; gx < gridW; gx++) {
            if (pointInPolygon([(gx + 0.5) * cw, (gy + 0.5) * ch + dy], polygon)) m[gy * gridW + gx] = 1;
          }
        }
        masks.set(key, m);
      }
      return m;
    },
  });
}

/** The zone `vigil replay` assumes without a config: the whole frame. */
export function wholeFrameZone(width: number, height: number, areaM2: number, id = 'frame'): ZoneConfig {
  return {
    id,
    polygon: [[0, 0], [width, 0], [width, height], [0, height]],
    areaM2,
    crowd: { enabled: true, warningDensity: 2, criticalDensity: 4, hysteresis: 0.15, minDurationS: 5, clearDurationS: 10, smoothingS: 5 },
    // Its area is a guess: sizes and distances in metres would be too.
    abandoned: { calibration: 'none' },
  };
}
