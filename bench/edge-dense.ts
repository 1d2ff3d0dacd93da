import type { BenchContext } from '../cli/bench.ts';
import { denseClip } from './_edge-clips.ts';
import { brief, gridCamera, runLive, search, VTEST, withPool } from './_edge-live.ts';

/**
 * edge.denseCamerasAt1fps: the most cameras that each sustained ≥ 0.95
 * analysed fps with < 5 % dropped on dense footage (a 2×2 mosaic of vtest:
 * four times the people at half the size, density head on every frame),
 * with the change gate on; `baseline` the same search with it off.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const warmupS = ctx.quick ? 3 : 5;
  const measureS = ctx.quick ? 6 : 20;
  const dense = await denseClip(VTEST);
  return withPool(async (pool) => {
    const grid = (n: number) => Array.from({ length: n }, (_, i) => gridCamera(`grid${i + 1}`, dense));
    const on = await search(ctx, 'dense 1 fps, gate on', ctx.quick ? 6 : 10, (n) => runLive(pool, grid(n), warmupS, measureS, { gate: true, fps: 1, video: dense }), 1);
    const off = await search(ctx, 'dense 1 fps, gate off', ctx.quick ? 6 : 10, (n) => runLive(pool, grid(n), warmupS, measureS, { gate: false, fps: 1, video: dense }), 1);
    return { edge: { denseCamerasAt1fps: on.best, baseline: { denseCamerasAt1fps: off.best }, runs: { dense1fps: on.runs.map(brief), dense1fpsUngated: off.runs.map(brief) } } };
  });
}
