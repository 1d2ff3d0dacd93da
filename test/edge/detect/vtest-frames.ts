import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Frame } from '../../../edge/types.ts';

export const VTEST = path.resolve('fixtures/.cache/vtest.avi');

/** Real pedestrian frames from vtest.avi at the given seconds, as the decoder would hand them out. */
export function vtestFrames(seconds: readonly number[], camera = 'vtest'): Frame[] {
  return seconds.map((s, i) => {
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-ss', String(s), '-i', VTEST, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 24 });
    const data = new Uint8Array(raw.length);
    data.set(raw);
    return { camera, seq: i, width: 768, height: 576, data, capturedAt: Date.now(), mediaTime: s, sourceWidth: 768, sourceHeight: 576 };
  });
}

export function cloneFrame(f: Frame): Frame {
  return { ...f, data: f.data.slice() };
}
