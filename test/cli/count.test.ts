import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const VTEST = path.resolve('fixtures/.cache/vtest.avi');
const VIGIL = path.resolve('bin/vigil.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-count-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const still = (name: string, seconds: number, vf = 'null') => {
  const file = path.join(tmp, name);
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-ss', String(seconds), '-i', VTEST, '-frames:v', '1', '-vf', vf, file]);
  return file;
};

async function vigil(args: string[]): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [VIGIL, ...args], { timeout: 120_000 });
    return { code: 0, lines: stdout.trim().split('\n').map((l) => JSON.parse(l)), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, lines: e.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), stderr: e.stderr };
  }
}

type Ok = { file: string; persons: number; estimate: number; method: string; confidence: number; detected: number; density: number | null; boxes: [number, number, number, number, number][]; notes?: string[]; heatmap?: string };

describe('vigil count', () => {
  let frame: string, doubled: string, broken: string, missing: string;
  beforeAll(() => {
    frame = still('t70.png', 70);
    doubled = still('t70-x2.jpg', 70, 'scale=1536:1152');
    broken = path.join(tmp, 'broken.jpg');
    writeFileSync(broken, 'this is not a JPEG');
    missing = path.join(tmp, 'missing.png');
  });

  it('counts the pedestrians in vtest stills; boxes are in source-image pixels', async () => {
    const { code, lines } = await vigil(['count', '--json', frame, doubled]);
    expect(code).toBe(0);
    const [a, b] = lines as Ok[];
    expect(a!.file).toBe(frame);
    // t=70 s shows eight walkers well apart from each other.
    expect(a!.persons).toBeGreaterThanOrEqual(6);
    expect(a!.persons).toBeLessThanOrEqual(10);
    expect(a!.boxes).toHaveLength(a!.detected);
    // A sparse scene of large, well-separated people is counted by its detections: the map's
    // thin mass over bodies and lawn (its raw integral, reported as `density`) does not outvote them.
    expect(a!.method).toBe('detections');
    expect(a!.persons).toBe(a!.detected);
    expect(a!.density).toBeGreaterThan(0);
    for (const [x1, y1, x2, y2, s] of a!.boxes) {
      expect(x2).toBeGreaterThan(x1);
      expect(y2).toBeGreaterThan(y1);
      expect(x2).toBeLessThanOrEqual(768);
      expect(s).toBeGreaterThanOrEqual(0.3);
    }
    // The same frame at twice the size: the same strongest person, at twice the coordinates.
    const top = a!.boxes[0]!;
    const match = b!.boxes.find((bx) => Math.abs(bx[0] / 2 - top[0]) < 6 && Math.abs(bx[3] / 2 - top[3]) < 6);
    expect(match, JSON.stringify(b)).toBeDefined();
    expect(Math.abs(b!.persons - a!.persons)).toBeLessThanOrEqual(2);
  });

  it('an unreadable image gets an error line naming it, the others are still counted, exit code 1', async () => {
    const { code, lines } = await vigil(['count', '--json', broken, frame, missing, '--min-score', '0.5']);
    expect(code).toBe(1);
    expect(lines.map((l) => l.file)).toEqual([broken, frame, missing]);
    expect(lines[0]!.error).toMatch(/broken\.jpg.*cannot decode/);
    expect(lines[2]!.error).toMatch(/missing\.png.*not found/);
    const ok = lines[1] as Ok;
    expect(ok.persons).toBeGreaterThan(2);
    expect(ok.boxes.every((bx) => bx[4] >= 0.5)).toBe(true);
  });

  it('handles grey-scale, tiny and very large images, and says what it did', async () => {
    const grey = still('t70-grey.png', 70, 'format=gray');
    const tiny = still('t70-tiny.png', 70, 'scale=40:30');
    const huge = still('t70-huge.jpg', 70, 'scale=3072:2304');
    const { code, lines } = await vigil(['count', '--json', grey, tiny, huge]);
    expect(code).toBe(0);
    const [g, t, h] = lines as Ok[];
    expect(g!.notes).toContain('grey-scale');
    expect(g!.persons).toBeGreaterThanOrEqual(4);
    expect(t!.notes!.join()).toMatch(/upscaled 40×30/);
    expect(h!.notes!.join()).toMatch(/tiled 3×3 \(large image\)/);
    // Boxes of the tiled image are in its own pixels.
    expect(Math.max(...h!.boxes.map((b) => b[2]))).toBeGreaterThan(768);
    expect(h!.persons).toBeGreaterThanOrEqual(4);
  });

  it('writes each image with its density overlaid', async () => {
    const out = path.join(tmp, 'heat');
    const { code, lines } = await vigil(['count', '--json', '--heatmap', out, frame]);
    expect(code).toBe(0);
    const line = lines[0] as Ok;
    expect(line.heatmap).toBe(path.join(out, 't70.density.jpg'));
    const meta = await sharp(line.heatmap!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 768, 576]);
  });

  it('bad arguments name the flag', async () => {
    const noImages = await vigil(['count', '--json']);
    expect(noImages.code).toBe(1);
    expect(noImages.stderr).toMatch(/image/);
    const badScore = await vigil(['count', '--min-score', 'high', frame]);
    expect(badScore.code).toBe(1);
    expect(badScore.stderr).toMatch(/--min-score/);
    const badTiles = await vigil(['count', '--tiles', 'some', frame]);
    expect(badTiles.stderr).toMatch(/--tiles/);
  });
});
