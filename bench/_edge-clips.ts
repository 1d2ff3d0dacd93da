import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';

/**
 * Footage for the edge bench's dense and gated scenarios, composed from
 * vtest.avi (real pedestrians) into fixtures/.cache on first use:
 *
 * - dense: four different half-minutes of vtest side by side in a 2×2 mosaic at
 *   768×576, so the frame holds about four times the people at half the size;
 * - quiet: the way most cameras look most of the day: 8 s of people walking,
 *   then 20 s in which nothing moves but sensor noise, three times over.
 */
const run = promisify(execFile);
const ffmpeg = (args: string[]) => run('ffmpeg', ['-loglevel', 'error', '-y', ...args], { maxBuffer: 8 << 20 });

async function build(out: string, args: string[]): Promise<string> {
  if (existsSync(out)) return out;
  const tmp = `${out}.part.mp4`;
  await ffmpeg([...args, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', tmp]);
  renameSync(tmp, out);
  return out;
}

export function denseClip(vtest: string): Promise<string> {
  const out = path.join(path.dirname(vtest), 'bench-dense.mp4');
  const inputs = [0, 15, 30, 45].flatMap((s) => ['-ss', String(s), '-t', '30', '-i', vtest]);
  return build(out, [...inputs, '-filter_complex',
    '[0:v]scale=384:288,setpts=PTS-STARTPTS[a];[1:v]scale=384:288,setpts=PTS-STARTPTS[b];[2:v]scale=384:288,setpts=PTS-STARTPTS[c];[3:v]scale=384:288,setpts=PTS-STARTPTS[d];[a][b][c][d]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0[v]',
    '-map', '[v]', '-r', '10']);
}

export function quietClip(vtest: string): Promise<string> {
  const out = path.join(path.dirname(vtest), 'bench-quiet.mp4');
  const parts = [0, 25, 50].map((s, i) => `[0:v]trim=start=${s}:end=${s + 8},setpts=PTS-STARTPTS,tpad=stop_mode=clone:stop_duration=20[p${i}]`);
  return build(out, ['-i', vtest, '-filter_complex', `${parts.join(';')};[p0][p1][p2]concat=n=3:v=1:a=0,noise=alls=4:allf=t[v]`, '-map', '[v]', '-r', '10']);
}

/**
 * The quiet clip started `offsetS` into its 84 s loop: cameras that are not
 * in step, as real ones are not (people reach each view at its own time).
 */
export async function quietClipAt(vtest: string, offsetS: number): Promise<string> {
  const quiet = await quietClip(vtest);
  if (offsetS <= 0) return quiet;
  const out = path.join(path.dirname(vtest), `bench-quiet-${offsetS}s.mp4`);
  return build(out, ['-i', quiet, '-filter_complex',
    `[0:v]split[x][y];[x]trim=start=${offsetS},setpts=PTS-STARTPTS[a];[y]trim=end=${offsetS},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0[v]`,
    '-map', '[v]', '-r', '10']);
}
