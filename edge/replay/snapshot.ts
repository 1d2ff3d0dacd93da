import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import type { BBox } from '../../common/geometry.ts';
import type { Frame } from '../types.ts';

export interface SnapshotOptions {
  /** boxes drawn as outlines, in frame pixels */
  draw?: readonly BBox[];
  /** boxes blurred (sites that ask for it), in frame pixels */
  blur?: readonly BBox[];
  quality?: number;
}

function clampBox(b: BBox, w: number, h: number): { left: number; top: number; width: number; height: number } | null {
  const left = Math.max(0, Math.floor(b[0])), top = Math.max(0, Math.floor(b[1]));
  const right = Math.min(w, Math.ceil(b[2])), bottom = Math.min(h, Math.ceil(b[3]));
  return right - left >= 2 && bottom - top >= 2 ? { left, top, width: right - left, height: bottom - top } : null;
}

/** Encodes a raw RGB frame as JPEG with the evidence boxes outlined. */
export async function renderSnapshot(frame: Frame, options: SnapshotOptions = {}): Promise<Buffer> {
  const raw = { width: frame.width, height: frame.height, channels: 3 as const };
  const layers: OverlayOptions[] = [];
  for (const b of options.blur ?? []) {
    const r = clampBox(b, frame.width, frame.height);
    if (!r) continue;
    const patch = await sharp(frame.data, { raw }).extract(r).blur(8).png().toBuffer();
    layers.push({ input: patch, left: r.left, top: r.top });
  }
  if (options.draw?.length) {
    const rects = options.draw.map((b) => {
      const [x1, y1, x2, y2] = b.map((v) => Math.round(v * 10) / 10) as [number, number, number, number];
      return `<rect x="${x1}" y="${y1}" width="${Math.max(1, x2 - x1)}" height="${Math.max(1, y2 - y1)}" fill="none" stroke="#ff2d2d" stroke-width="2"/>`;
    }).join('');
    layers.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}">${rects}</svg>`), left: 0, top: 0 });
  }
  return sharp(frame.data, { raw }).composite(layers).jpeg({ quality: options.quality ?? 80 }).toBuffer();
}

/** Writes the snapshot to `dir/<name>.jpg` and returns the path. */
export async function writeSnapshot(dir: string, name: string, frame: Frame, options: SnapshotOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.jpg`);
  await sharp(await renderSnapshot(frame, options)).toFile(file);
  return file;
}
