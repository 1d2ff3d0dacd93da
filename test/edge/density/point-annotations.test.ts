import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../common/errors.ts';
import { readMat } from '../../../edge/density/mat-reader.ts';
import { listAnnotatedImages, readJsonPoints, readShanghaiTechPoints, splitHeldOut } from '../../../edge/density/point-annotations.ts';
import { densityTarget } from '../../../edge/density/train/targets.ts';
import { pointsInView, trainingViews } from '../../../edge/density/train/views.ts';
import { fromHalf, toHalf } from '../../../edge/density/train/float16.ts';
import { SHANGHAITECH, sharedDataMissing } from '../../support/shared-data.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-points-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('head-point annotations', () => {
  it.skipIf(sharedDataMissing())('reads ShanghaiTech .mat ground truth (MATLAB v5) as 0-based pixel points', () => {
    const pts = readShanghaiTechPoints(path.join(SHANGHAITECH, 'part_B/train_data/ground-truth/GT_IMG_1.mat'));
    const mat = readMat(readFileSync(path.join(SHANGHAITECH, 'part_B/train_data/ground-truth/GT_IMG_1.mat')));
    expect(mat.image_info?.type).toBe('cell');
    expect(pts.length).toBe(233);
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThan(1024);
      expect(y).toBeGreaterThanOrEqual(-1);
      expect(y).toBeLessThan(768);
    }
  });

  it.skipIf(sharedDataMissing())('lists both ShanghaiTech parts and holds out the last 20 % of each by image number', () => {
    const all = listAnnotatedImages(SHANGHAITECH);
    expect(all.filter((a) => a.dataset === 'part_A')).toHaveLength(300);
    expect(all.filter((a) => a.dataset === 'part_B')).toHaveLength(400);
    const { train, val } = splitHeldOut(all);
    const valB = val.filter((v) => v.dataset === 'part_B').map((v) => v.index!);
    const valA = val.filter((v) => v.dataset === 'part_A').map((v) => v.index!);
    expect(Math.min(...valB)).toBe(321);
    expect(Math.max(...valB)).toBe(400);
    expect(Math.min(...valA)).toBe(241);
    expect(new Set(train.map((t) => t.id)).size + new Set(val.map((v) => v.id)).size).toBe(700);
    expect(train.some((t) => val.some((v) => v.id === t.id))).toBe(false);
  });

  it('reads the documented JSON point format, and names the file and field of a bad one', async () => {
    const dir = path.join(tmp, 'site-a');
    mkdirSync(dir, { recursive: true });
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#777' } }).jpeg().toFile(path.join(dir, 'frame-0001.jpg'));
    writeFileSync(path.join(dir, 'frame-0001.points.json'), JSON.stringify({ points: [[10, 12], [40.5, 20]], ignore: [[0, 0, 8, 8]] }));
    const [im] = listAnnotatedImages(dir);
    expect(im).toMatchObject({ dataset: 'site-a', index: 1, source: 'json', points: [[10, 12], [40.5, 20]], ignore: [[0, 0, 8, 8]] });
    writeFileSync(path.join(tmp, 'bad.points.json'), JSON.stringify({ points: [[1, 2], [3, 'x']] }));
    expect(() => readJsonPoints(path.join(tmp, 'bad.points.json'))).toThrow(/bad\.points\.json: points\[1\]/);
    writeFileSync(path.join(tmp, 'notjson.points.json'), '{');
    expect(() => readJsonPoints(path.join(tmp, 'notjson.points.json'))).toThrow(ValidationError);
    expect(() => listAnnotatedImages(path.join(tmp, 'nowhere'))).toThrow(/nowhere: training data folder not found/);
  });

  it('refuses a file that is not a MAT file, naming it', () => {
    const f = path.join(tmp, 'GT_IMG_9.mat');
    writeFileSync(f, Buffer.alloc(200, 1));
    expect(() => readShanghaiTechPoints(f)).toThrow(/GT_IMG_9\.mat: not a readable MATLAB v5 file/);
  });
});

describe('training views and targets', () => {
  it('a density target sums to the heads inside the view, even at its border', () => {
    const pts: [number, number][] = [[0.001, 0.5], [0.5, 0.5], [0.999, 0.999], ...Array.from({ length: 300 }, (_, i) => [((i * 37) % 100) / 100, ((i * 61) % 100) / 100] as [number, number])];
    const t = densityTarget(pts);
    expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(pts.length, 3);
  });

  it('views are reproducible from the seed, and crops keep only their points, mirrored when flipped', () => {
    expect(trainingViews(1024, 768, 7)).toEqual(trainingViews(1024, 768, 7));
    expect(trainingViews(1024, 768, 7)).not.toEqual(trainingViews(1024, 768, 8));
    const [full, mirror] = trainingViews(1024, 768, 7);
    expect(pointsInView([[256, 384]], full!)).toEqual([[0.25, 0.5]]);
    expect(pointsInView([[256, 384]], mirror!)).toEqual([[0.75, 0.5]]);
    expect(pointsInView([[10, 10]], { ...full!, x: 100, w: 200 })).toEqual([]);
  });

  it('float16 keeps backbone activations to 3 significant digits', () => {
    for (const v of [0, 1, -2.5, 0.0123, 31.7, 1e-5, 60000]) expect(fromHalf(toHalf(v))).toBeCloseTo(v, v === 0 ? 9 : Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v)))));
    expect(existsSync(tmp)).toBe(true);
  });
});
