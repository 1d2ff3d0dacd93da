import sharp, { type Metadata } from 'sharp';
import { errorMessage, MediaError } from '../../common/errors.ts';
import { MAX_DETECT_WIDTH } from '../decode/ffmpeg-decoder.ts';

/**
 * A still image (or a crop of one) decoded to what the live decoder hands the
 * detector: RGB24 at most MAX_DETECT_WIDTH wide, aspect kept, scaled with a
 * cubic kernel as ffmpeg's default scaler does. `vigil count`, training and
 * the live pipeline therefore feed the model the same kind of pixels, so a
 * still gets the same answer as a video frame of the same scene.
 */
export interface StillPixels {
  data: Uint8Array;
  width: number;
  height: number;
  /** the image's own size (after EXIF orientation) */
  sourceWidth: number;
  sourceHeight: number;
  /** what was done to it, for the user: "scaled 4000×3000 → 768×576", "grey-scale" */
  notes: string[];
}

export interface StillOptions {
  crop?: { x: number; y: number; w: number; h: number };
  flip?: boolean;
  /** pixel' = pixel × gain + bias */
  gain?: number;
  bias?: number;
  grey?: boolean;
  /** longest allowed width; default MAX_DETECT_WIDTH */
  maxWidth?: number;
}

/** Images smaller than this on either side are upscaled to it: the model's 512² input would otherwise be mostly interpolation of a few pixels. */
export const MIN_SIDE = 64;

export async function readStill(file: string, options: StillOptions = {}): Promise<StillPixels> {
  let meta: Metadata;
  try {
    meta = await sharp(file).metadata();
  } catch (err) {
    throw new MediaError(file, `cannot decode image: ${errorMessage(err)}`, { cause: err, code: 'MEDIA_CORRUPT' });
  }
  const w0 = meta.autoOrient?.width ?? meta.width ?? 0;
  const h0 = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!w0 || !h0) throw new MediaError(file, 'the image has no size', { code: 'MEDIA_CORRUPT' });
  const notes: string[] = [];
  const c = options.crop ?? { x: 0, y: 0, w: w0, h: h0 };
  const maxW = options.maxWidth ?? MAX_DETECT_WIDTH;
  let tw = Math.min(c.w, maxW);
  let th = Math.max(1, Math.round((c.h * tw) / c.w));
  if (tw < MIN_SIDE || th < MIN_SIDE) {
    const up = MIN_SIDE / Math.min(tw, th);
    tw = Math.round(tw * up); th = Math.round(th * up);
    notes.push(`upscaled ${c.w}×${c.h} → ${tw}×${th} (tiny image: counts are unreliable)`);
  } else if (tw !== c.w) {
    notes.push(`scaled ${c.w}×${c.h} → ${tw}×${th}`);
  }
  if ((meta.channels ?? 3) < 3 || meta.space === 'b-w') notes.push('grey-scale');
  try {
    let img = sharp(file).rotate();
    if (options.crop) img = img.extract({ left: c.x, top: c.y, width: c.w, height: c.h });
    img = img.resize(tw, th, { fit: 'fill', kernel: 'cubic' });
    if (options.flip) img = img.flop();
    // recomb, not greyscale(): greyscale() makes sharp emit one channel, the model wants three.
    if (options.grey) img = img.recomb([[0.299, 0.587, 0.114], [0.299, 0.587, 0.114], [0.299, 0.587, 0.114]]);
    if ((options.gain ?? 1) !== 1 || (options.bias ?? 0) !== 0) img = img.linear(options.gain ?? 1, options.bias ?? 0);
    const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    let pixels: Uint8Array;
    if (info.channels === 3) {
      pixels = new Uint8Array(data.length);
      pixels.set(data);
    } else if (info.channels === 1) {
      pixels = new Uint8Array(data.length * 3);
      for (let i = 0; i < data.length; i++) pixels[i * 3] = pixels[i * 3 + 1] = pixels[i * 3 + 2] = data[i]!;
    } else {
      throw new Error(`decoded to ${info.channels} channels`);
    }
    return { data: pixels, width: info.width, height: info.height, sourceWidth: w0, sourceHeight: h0, notes };
  } catch (err) {
    throw new MediaError(file, `cannot decode image: ${errorMessage(err)}`, { cause: err, code: 'MEDIA_CORRUPT' });
  }
}
