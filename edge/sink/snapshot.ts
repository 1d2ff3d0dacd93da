import sharp, { type OverlayOptions } from 'sharp';
import type { BBox } from '../../common/geometry.ts';
import { MediaError, ValidationError, errorMessage } from '../../common/errors.ts';
import type { Frame } from '../types.ts';

export interface SnapshotRenderOptions {
  /** JPEG quality 1..100; @default 80 */
  quality?: number;
  /** blur the `persons` boxes (the site's blurPersons) */
  blurPersons?: boolean;
}

export interface RenderedSnapshot {
  jpeg: Buffer;
  width: number;
  height: number;
  blurred: boolean;
}

/** Clamps a box to the image; null when nothing of it is left. */
function clampBox(b: BBox, width: number, height: number): { left: number; top: number; width: number; height: number } | null {
  const x1 = Math.max(0, Math.floor(Math.min(b[0], b[2])));
  const y1 = Math.max(0, Math.floor(Math.min(b[1], b[3])));
  const x2 = Math.min(width, Math.ceil(Math.max(b[0], b[2])));
  const y2 = Math.min(height, Math.ceil(Math.max(b[1], b[3])));
  if (!(x2 - x1 >= 1 && y2 - y1 >= 1)) return null;
  return { left: x1, top: y1, width: x2 - x1, height: y2 - y1 };
}

/**
 * The evidence frame (RGB24) as a JPEG, with the `draw` boxes outlined and,
 * when the site asks for it, the `persons` boxes blurred in the stored image.
 */
export async function renderSnapshot(frame: Frame, draw: readonly BBox[] = [], persons: readonly BBox[] = [], options: SnapshotRenderOptions = {}): Promise<RenderedSnapshot> {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw new ValidationError('evidence.frame.width', `frame size ${width}x${height} is not valid`);
  if (data.byteLength !== width * height * 3) throw new ValidationError('evidence.frame.data', `${data.byteLength} bytes, expected ${width * height * 3} for ${width}x${height} RGB24`);
  const quality = options.quality ?? 80;
  const raw = { raw: { width, height, channels: 3 as const } };
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    const layers: OverlayOptions[] = [];
    let blurred = false;
    if (options.blurPersons) {
      for (const b of persons) {
        const r = clampBox(b, width, height);
        if (!r) continue;
        // Strong enough that a face in the box is not recognisable, whatever the box size.
        const sigma = Math.max(8, Math.min(r.width, r.height) / 3);
        const patch = await sharp(input, raw).extract(r).blur(sigma).raw().toBuffer();
        layers.push({ input: patch, raw: { width: r.width, height: r.height, channels: 3 }, left: r.left, top: r.top });
        blurred = true;
      }
    }
    const rects = draw.map((b) => clampBox(b, width, height)).filter((r) => r !== null);
    if (rects.length) {
      const stroke = Math.max(2, Math.round(width / 320));
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects
        .map((r) => `<rect x="${r.left}" y="${r.top}" width="${r.width}" height="${r.height}" fill="none" stroke="#ff2020" stroke-width="${stroke}"/>`)
        .join('')}</svg>`;
      layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
    }
    const jpeg = await sharp(input, raw).composite(layers).jpeg({ quality, mozjpeg: false }).toBuffer();
    return { jpeg, width, height, blurred };
  } catch (err) {
    throw new MediaError(`camera ${frame.camera}`, `cannot render snapshot: ${errorMessage(err)}`, { cause: err, code: 'SNAPSHOT' });
  }
}
