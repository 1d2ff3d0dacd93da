import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function encode(out: string, args: string[]): Promise<string> {
  if (existsSync(out)) return out;
  const tmp = `${out}.part.mp4`;
  await run('ffmpeg', ['-loglevel', 'error', '-y', ...args, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', tmp], { maxBuffer: 8 << 20 });
  renameSync(tmp, out);
  return out;
}

/**
 * `clip` at `fps` played forwards then backwards, `cycles` times over, into
 * fixtures/.cache/soak/: an hour-scale stretch of real footage with no cut in
 * it. A plain loop jumps from the clip's last frame to its first, where a car
 * boot left open shuts in one frame and every walker teleports, which no
 * camera shows; played back and forth, everything that changes changes back
 * the way it came. Frame i of a cycle is the clip's frame i, then 2n−1−i
 * (n frames in the clip at `fps`): see `pingPongTime`.
 */
export async function pingPongClip(clip: string, fps: number, cycles: number, cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'soak');
  mkdirSync(dir, { recursive: true });
  const base = path.basename(clip, path.extname(clip));
  const cycle = await encode(path.join(dir, `${base}-pingpong-${fps}fps.mp4`), ['-i', clip, '-filter_complex', `[0:v]fps=${fps},split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1:a=0[v]`, '-map', '[v]']);
  return encode(path.join(dir, `${base}-pingpong-${fps}fps-x${cycles}.mp4`), ['-stream_loop', String(cycles - 1), '-i', cycle, '-r', String(fps)]);
}

/** The clip's media time shown at time `t` of a ping-pong file of a clip of `frames` frames at `fps`. */
export function pingPongTime(t: number, frames: number, fps: number): number {
  const i = Math.round(t * fps) % (2 * frames);
  return (i < frames ? i : 2 * frames - 1 - i) / fps;
}
