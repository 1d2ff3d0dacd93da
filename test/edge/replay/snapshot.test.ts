import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSnapshot, writeSnapshot } from '../../../edge/replay/snapshot.ts';
import type { Frame } from '../../../edge/types.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-replay-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 64×48 frame of vertical black and white stripes: blur turns the stripes grey. */
function stripes(): Frame {
  const width = 64, height = 48;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(x % 2 ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { camera: 'c', seq: 0, width, height, data, capturedAt: 0, mediaTime: 0, sourceWidth: width, sourceHeight: height };
}

async function spread(jpeg: Buffer, x1: number, x2: number, y: number): Promise<number> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  let min = 255, max = 0;
  for (let x = x1; x < x2; x++) { const v = data[(y * info.width + x) * info.channels]!; min = Math.min(min, v); max = Math.max(max, v); }
  return max - min;
}

describe('replay snapshots', () => {
  it('blurs the given boxes and leaves the rest of the picture sharp', async () => {
    const jpeg = await renderSnapshot(stripes(), { blur: [[0, 0, 32, 48]] });
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const blurred = await spread(jpeg, 8, 24, 24), kept = await spread(jpeg, 40, 56, 24);
    expect(kept).toBeGreaterThan(150);
    expect(blurred).toBeLessThan(kept / 2);
  });

  it('writes the rendered JPEG as it is, under a safe file name', async () => {
    const frame = stripes();
    const file = await writeSnapshot(dir, 'a/b:c', frame, { draw: [[8, 8, 40, 40]] });
    expect(path.basename(file)).toBe('a_b_c.jpg');
    expect(readFileSync(file).equals(await renderSnapshot(frame, { draw: [[8, 8, 40, 40]] }))).toBe(true);
  });
});
