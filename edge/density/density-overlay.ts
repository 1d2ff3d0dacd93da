import sharp from 'sharp';
import type { DensityMap } from './density-grid.ts';

/**
 * A density map drawn over its image, for people who trust a picture of where
 * the crowd is before a number: cells shade from transparent (nobody) through
 * yellow to red (the densest part of this image), with the count in a corner.
 * Used by `vigil count --heatmap` and the edge's crowd stills.
 */

/** Colour ramp: transparent → yellow → orange → red, alpha rising with density. */
function ramp(t: number): [number, number, number, number] {
  const v = Math.min(1, Math.max(0, t));
  if (v < 0.02) return [0, 0, 0, 0];
  const r = 255;
  const g = Math.round(230 * (1 - v) + 20 * v);
  const b = Math.round(40 * (1 - v));
  return [r, g, b, Math.round(60 + 140 * Math.sqrt(v))];
}

/** RGBA overlay at the map's own resolution; the caller scales it to the image. */
export function densityOverlayPixels(map: DensityMap, scaleMax?: number): { data: Uint8Array; width: number; height: number; max: number } {
  let max = scaleMax ?? 0;
  if (scaleMax === undefined) for (const v of map.data) if (v > max) max = v;
  const data = new Uint8Array(map.width * map.height * 4);
  for (let i = 0; i < map.data.length; i++) {
    const [r, g, b, a] = max > 0 ? ramp(Math.max(0, map.data[i]!) / max) : [0, 0, 0, 0];
    data.set([r, g, b, a], i * 4);
  }
  return { data, width: map.width, height: map.height, max };
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The image (RGB24) with the density overlaid and a caption, as JPEG. */
export async function renderDensityOverlay(rgb: { data: Uint8Array; width: number; height: number }, map: DensityMap, caption: string): Promise<Buffer> {
  const o = densityOverlayPixels(map);
  const overlay = await sharp(Buffer.from(o.data), { raw: { width: o.width, height: o.height, channels: 4 } })
    .resize(rgb.width, rgb.height, { fit: 'fill', kernel: 'cubic' })
    .png()
    .toBuffer();
  const fontPx = Math.max(12, Math.round(rgb.width / 40));
  const label = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${rgb.width}" height="${fontPx * 2}"><rect width="100%" height="100%" fill="rgba(0,0,0,0.55)"/><text x="${fontPx / 2}" y="${fontPx * 1.4}" font-family="DejaVu Sans, sans-serif" font-size="${fontPx}" fill="#fff">${escapeXml(caption)}</text></svg>`);
  return sharp(Buffer.from(rgb.data), { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .composite([{ input: overlay, blend: 'over' }, { input: label, top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
