import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SHANGHAITECH, sharedDataMissing } from '../../support/shared-data.ts';

/**
 * `vigil count` on a still and `vigil replay` on a video of that same frame
 * must give the same count: both go through one estimator (edge/crowd/
 * crowd-estimator.ts) on one detector pass with density. The video is
 * lossless RGB, so the decoder hands the model exactly the still's pixels.
 */
const VIGIL = path.resolve('bin/vigil.js');
const VTEST = path.resolve('fixtures/.cache/vtest.avi');
const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-parity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function vigil(args: string[]): Promise<Record<string, any>[]> {
  const { stdout } = await promisify(execFile)('node', [VIGIL, ...args], { timeout: 180_000, maxBuffer: 1 << 24 });
  return stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** A 768-wide PNG of the input, and a 2-second, 1 fps lossless video of it. */
function stillAndVideo(name: string, input: string[]): { still: string; video: string } {
  const still = path.join(tmp, `${name}.png`);
  const video = path.join(tmp, `${name}.mkv`);
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...input, '-frames:v', '1', '-vf', 'scale=768:576', still]);
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-loop', '1', '-framerate', '1', '-i', still, '-t', '2', '-c:v', 'png', video]);
  return { still, video };
}

async function both(name: string, input: string[]) {
  const { still, video } = stillAndVideo(name, input);
  const [counted] = await vigil(['count', '--json', still]);
  const replayed = await vigil(['replay', video, '--json', '--fps', '1']);
  const summary = replayed.at(-1)!.summary as { frames: number; zones: { peakCount: number; method: string }[] };
  return { counted: counted!, summary };
}

describe('count and replay agree on the same frame', { timeout: 300_000 }, () => {
  it('a sparse vtest frame', async () => {
    const { counted, summary } = await both('vtest', ['-ss', '70', '-i', VTEST]);
    expect(summary.frames).toBeGreaterThanOrEqual(1);
    expect(summary.zones[0]!.peakCount).toBe(counted.estimate);
    expect(counted.method).toBe('detections');
  });

  it.skipIf(sharedDataMissing())('a dense Shanghai street (ShanghaiTech part_B, held-out image)', async () => {
    const { counted, summary } = await both('partb', ['-i', path.join(SHANGHAITECH, 'part_B/train_data/images/IMG_360.jpg')]);
    expect(summary.zones[0]!.peakCount).toBe(counted.estimate);
    expect(counted.method).not.toBe('detections');
    expect(counted.estimate).toBeGreaterThan(counted.detected);
  });
});
