import type { BenchContext } from '../cli/bench.ts';
import { quietClip, quietClipAt } from './_edge-clips.ts';
import { brief, gridCamera, runLive, search, VTEST, withPool } from './_edge-live.ts';

/**
 * edge.gatedCamerasAt1fps: at 1 fps on typical footage with quiet stretches
 * (8 s of walkers, 20 s in which nothing moves but sensor noise), change gate
 * on, the most cameras with every camera ≥ 0.95 fps analysed, < 5 % dropped
 * and frame→alarm p95 under 1 s; `baseline` the same search with the gate off.
 * Every camera plays the clip in step, so all of them change at once: the
 * worst case for the gate. `gatedCamerasAt1fpsStaggered` starts the cameras in
 * four phases 7 s apart, as unsynchronised real views are.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const warmupS = ctx.quick ? 3 : 5;
  // The quiet clip's cycle is 28 s: a window shorter than that measures only one of its two halves.
  const cycleS = 28;
  const quiet = await quietClip(VTEST);
  const phases = [quiet, ...(await Promise.all([7, 14, 21].map((s) => quietClipAt(VTEST, s))))];
  return withPool(async (pool) => {
    const grid = (n: number) => Array.from({ length: n }, (_, i) => gridCamera(`grid${i + 1}`, quiet));
    const max = ctx.quick ? 10 : 16;
    const run = (gate: boolean, videos: readonly string[]) => (n: number) => runLive(pool, grid(n), warmupS, cycleS, { gate, fps: 1, videos });
    const inStep = await search(ctx, 'quiet 1 fps, gate on', max, run(true, [quiet]), 1, 1000);
    const inStepOff = await search(ctx, 'quiet 1 fps, gate off', max, run(false, [quiet]), 1, 1000);
    const staggered = await search(ctx, 'quiet staggered 1 fps, gate on', max, run(true, phases), 1, 1000);
    const staggeredOff = await search(ctx, 'quiet staggered 1 fps, gate off', max, run(false, phases), 1, 1000);
    const cpuAt = (runs: typeof inStep.runs, n: number) => runs.find((r) => r.cameras === n)?.cpuPerCameraPct ?? null;
    return {
      edge: {
        gatedCamerasAt1fps: inStep.best,
        gatedCamerasAt1fpsStaggered: staggered.best,
        // The gate's saving where both searches ran: CPU per camera at the largest count the ungated search passed.
        gatedCpuPerCameraPct: cpuAt(staggered.runs, staggeredOff.best),
        baseline: { gatedCamerasAt1fps: inStepOff.best, gatedCamerasAt1fpsStaggered: staggeredOff.best, gatedCpuPerCameraPct: cpuAt(staggeredOff.runs, staggeredOff.best) },
        runs: {
          quiet1fps: inStep.runs.map(brief), quiet1fpsUngated: inStepOff.runs.map(brief),
          quietStaggered1fps: staggered.runs.map(brief), quietStaggered1fpsUngated: staggeredOff.runs.map(brief),
        },
      },
    };
  });
}
