import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../edge/types.ts';
import { decodeFrames } from '../fixtures/compose/decode-frames.ts';

const VTEST = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'fixtures', '.cache', 'vtest.avi');

/** `count` frames of vtest.avi at 4 fps, decoded beforehand so that ffmpeg is not timed. */
export async function vtestFrames(count: number): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of decodeFrames(VTEST, { fps: 4, duration: count / 4 })) frames.push(f);
  return frames;
}

/**
 * Milliseconds a frame for a per-frame step: the median over `passes` of the
 * mean over `frames`, each pass with a fresh step from `make`, after one
 * unmeasured pass (the JIT's warm-up is not the steady state).
 */
export function msPerFrame(frames: readonly Frame[], passes: number, make: () => (f: Frame) => void): number {
  const warm = make();
  for (const f of frames) warm(f);
  const ms: number[] = [];
  for (let p = 0; p < passes; p++) {
    const step = make();
    const t0 = performance.now();
    for (const f of frames) step(f);
    ms.push((performance.now() - t0) / frames.length);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}
