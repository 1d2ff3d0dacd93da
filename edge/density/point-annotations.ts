import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../common/errors.ts';
import { matPath, readMat } from './mat-reader.ts';

/**
 * Head-point annotations for training and checking the density estimator.
 *
 * Two layouts are read:
 *  - ShanghaiTech: `images/IMG_n.jpg` with `ground-truth/GT_IMG_n.mat`, whose
 *    `image_info{1}.location` is an N×2 array of (x, y) head positions in pixels;
 *  - Vigil's JSON point format, for a site's own annotated frames: next to each
 *    image `frame.jpg` a file `frame.points.json` holding
 *    `{"points": [[x, y], …]}` (head positions, image pixels, origin top-left),
 *    optionally with `"ignore": [[x1, y1, x2, y2], …]` regions that were not
 *    annotated (they are left out of training).
 */
export interface AnnotatedImage {
  /** a stable name, "<dataset>/<image stem>" */
  id: string;
  image: string;
  points: [number, number][];
  ignore: [number, number, number, number][];
  /** the image's index in its folder (IMG_n → n), for held-out splits; null when the name has none */
  index: number | null;
  /** which layout it came from, and the folder name (part_A, part_B, a site's name) */
  source: 'shanghaitech' | 'json';
  dataset: string;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

function numberedIndex(file: string): number | null {
  const m = /(\d+)(?=\.[a-z]+$)/i.exec(path.basename(file));
  return m ? Number(m[1]) : null;
}

/** The (x, y) points of a ShanghaiTech ground-truth file. */
export function readShanghaiTechPoints(matFile: string): [number, number][] {
  const loc = matPath(readMat(readFileSync(matFile), matFile), ['image_info', 0, 'location'], matFile);
  if (loc.type !== 'numeric' || loc.dims.length !== 2 || (loc.dims[1] !== 2 && loc.dims[0] !== 0)) {
    throw new ValidationError(matFile, `image_info{1}.location must be an N×2 numeric array, got ${loc.type} ${loc.dims.join('×')}`);
  }
  const n = loc.dims[0]!;
  const out: [number, number][] = [];
  // MATLAB stores column-major: all x, then all y. MATLAB pixels are 1-based.
  for (let i = 0; i < n; i++) out.push([loc.data[i]! - 1, loc.data[n + i]! - 1]);
  return out;
}

/** Reads one `*.points.json` file; errors name the file and the field. */
export function readJsonPoints(file: string): { points: [number, number][]; ignore: [number, number, number, number][] } {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ValidationError(file, `not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { points?: unknown }).points)) throw new ValidationError(`${file}: points`, 'expected {"points": [[x, y], …]}');
  const d = doc as { points: unknown[]; ignore?: unknown };
  const points = d.points.map((p, i) => {
    if (!Array.isArray(p) || p.length < 2 || !p.slice(0, 2).every((v) => typeof v === 'number' && Number.isFinite(v))) throw new ValidationError(`${file}: points[${i}]`, `expected [x, y] numbers, got ${JSON.stringify(p)}`);
    return [p[0] as number, p[1] as number] as [number, number];
  });
  const ignore = d.ignore === undefined ? [] : Array.isArray(d.ignore) ? d.ignore.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 4 || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new ValidationError(`${file}: ignore[${i}]`, `expected [x1, y1, x2, y2], got ${JSON.stringify(r)}`);
    return r as [number, number, number, number];
  }) : (() => { throw new ValidationError(`${file}: ignore`, 'expected an array of [x1, y1, x2, y2]'); })();
  return { points, ignore };
}

function listShanghaiTech(dir: string, dataset: string): AnnotatedImage[] | null {
  const images = path.join(dir, 'images');
  const gt = path.join(dir, 'ground-truth');
  if (!existsSync(images) || !existsSync(gt)) return null;
  const out: AnnotatedImage[] = [];
  for (const f of readdirSync(images).filter((n) => IMAGE_EXT.test(n))) {
    const stem = f.replace(/\.[^.]+$/, '');
    const mat = path.join(gt, `GT_${stem}.mat`);
    if (!existsSync(mat)) throw new ValidationError(mat, `ground truth for ${path.join(images, f)} is missing`);
    out.push({ id: `${dataset}/${stem}`, image: path.join(images, f), points: readShanghaiTechPoints(mat), ignore: [], index: numberedIndex(f), source: 'shanghaitech', dataset });
  }
  return out;
}

function listJson(dir: string, dataset: string): AnnotatedImage[] {
  const out: AnnotatedImage[] = [];
  for (const f of readdirSync(dir).filter((n) => IMAGE_EXT.test(n))) {
    const stem = f.replace(/\.[^.]+$/, '');
    const json = path.join(dir, `${stem}.points.json`);
    if (!existsSync(json)) continue;
    const { points, ignore } = readJsonPoints(json);
    out.push({ id: `${dataset}/${stem}`, image: path.join(dir, f), points, ignore, index: numberedIndex(f), source: 'json', dataset });
  }
  return out;
}

/**
 * Every annotated image under `root`, whichever layout each folder uses.
 * ShanghaiTech's `part_X/train_data` folders are found at any depth, and the
 * dataset is named after the `part_X` folder.
 */
export function listAnnotatedImages(root: string): AnnotatedImage[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ValidationError(root, 'training data folder not found');
  const found: AnnotatedImage[] = [];
  const walk = (dir: string, depth: number) => {
    const name = path.basename(dir);
    const dataset = /^(train|test)_data$/.test(name) ? path.basename(path.dirname(dir)) : name;
    const sh = listShanghaiTech(dir, dataset);
    if (sh) { found.push(...sh); return; }
    found.push(...listJson(dir, dataset));
    if (depth >= 4) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  if (!found.length) throw new ValidationError(root, 'no annotated images found (expected ShanghaiTech images/ + ground-truth/, or image files with <name>.points.json beside them)');
  return found.sort((a, b) => a.dataset.localeCompare(b.dataset) || (a.index ?? 0) - (b.index ?? 0) || a.id.localeCompare(b.id));
}

/**
 * The held-out validation split: the last `fraction` of each dataset by
 * image number (ShanghaiTech part_A 241–300 and part_B 321–400 at 0.2). It is
 * fixed by name, so that no training run ever sees it.
 */
export function splitHeldOut(images: readonly AnnotatedImage[], fraction = 0.2): { train: AnnotatedImage[]; val: AnnotatedImage[] } {
  const byDataset = new Map<string, AnnotatedImage[]>();
  for (const im of images) byDataset.set(im.dataset, [...(byDataset.get(im.dataset) ?? []), im]);
  const train: AnnotatedImage[] = [];
  const val: AnnotatedImage[] = [];
  for (const list of byDataset.values()) {
    const sorted = [...list].sort((a, b) => (a.index ?? 0) - (b.index ?? 0) || a.id.localeCompare(b.id));
    const nVal = Math.round(sorted.length * fraction);
    train.push(...sorted.slice(0, sorted.length - nVal));
    val.push(...sorted.slice(sorted.length - nVal));
  }
  return { train, val };
}
