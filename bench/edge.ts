import os from 'node:os';
import path from 'node:path';
import type { BenchContext } from '../cli/bench.ts';
import { loadSiteConfig } from '../common/config/site.ts';
import { brief, gridCamera, ms, root, runLive, search, withPool } from './_edge-live.ts';

/**
 * Edge throughput on this machine at 2 fps on sparse footage (vtest.avi, real
 * pedestrians, looped in real time). Every figure runs with the change gate
 * as deployed (on) and again with it off, in this process: `baseline` holds
 * the ungated figures.
 *
 * - edge.camerasAt2fps: the most cameras for which every camera sustained
 *   ≥ 1.9 analysed fps with < 5 % of decoded frames dropped, N = 1..6 (stops at
 *   the first failure).
 * - edge.frameToAlarmP95Ms: frame capture (leaves the decoder) → alarm at the
 *   sink, snapshot JPEG rendered, with 4 cameras whose zones are a grid of
 *   1 m² cells at 0.5 persons/m² and no minimum duration: every person
 *   crossing a cell line raises or clears an alarm.
 * - edge.poolQueueBaseline: the same 4-camera run with 8 frames handed to the
 *   2-worker pool at once (2 batches of 4, what the pipeline did before it
 *   bounded frames in detection by the pool's workers): the frames then wait
 *   in the pool's queue instead of in the batcher.
 * - edge.rssMB: resident memory of this process (detector worker threads
 *   included) plus its ffmpeg children, at the end of the 4-camera run.
 * - edge.cpuPerCameraPct: machine CPU (all cores, ffmpeg included) per camera
 *   in the 4-camera run, in percent of one core.
 *
 * Dense and quiet footage: edge-dense.ts, edge-gated.ts.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const site = loadSiteConfig(path.join(root, 'fixtures/sites/vtest.yaml'));
  const warmupS = ctx.quick ? 3 : 5;
  const measureS = ctx.quick ? 6 : 20;
  return withPool(async (pool, workers) => {
    const vtestCams = (n: number) => Array.from({ length: n }, (_, i) => ({ ...site.cameras[0]!, id: `cam${i + 1}` }));
    const grid = (n: number) => Array.from({ length: n }, (_, i) => gridCamera(`grid${i + 1}`));
    const at2 = await search(ctx, 'sparse 2 fps, gate on', ctx.quick ? 4 : 6, (n) => runLive(pool, vtestCams(n), warmupS, measureS, { gate: true }), 2);
    const at2Off = await search(ctx, 'sparse 2 fps, gate off', ctx.quick ? 4 : 6, (n) => runLive(pool, vtestCams(n), warmupS, measureS, { gate: false }), 2);
    const four = await runLive(pool, grid(4), warmupS, measureS, { gate: true });
    const fourOff = await runLive(pool, grid(4), warmupS, measureS, { gate: false });
    const queued = await runLive(pool, grid(4), warmupS, measureS, { gate: true, maxFramesInFlight: 2 * 4 });
    ctx.log(`edge: 4 cameras with alarm grids: p95 ${ms(four.latency.p95)} ms (gate off ${ms(fourOff.latency.p95)} ms; 8 frames queued in the pool ${ms(queued.latency.p95)} ms), ${four.rssMB} MB, ${four.minFps} fps min, ${four.droppedPct} % dropped`);
    return {
      edge: {
        camerasAt2fps: at2.best,
        frameToAlarmP95Ms: ms(four.latency.p95),
        frameToAlarmP50Ms: ms(four.latency.p50),
        frameToAlarmCameras: 4,
        alarmsMeasured: four.latency.count,
        cpuPerCameraPct: four.cpuPerCameraPct,
        baseline: {
          note: 'the same runs with the change gate off, in this process',
          camerasAt2fps: at2Off.best,
          frameToAlarmP95Ms: ms(fourOff.latency.p95),
          cpuPerCameraPct: fourOff.cpuPerCameraPct,
        },
        poolQueueBaseline: { ...brief(queued), framesInFlight: 8, p95Ratio: four.latency.p95 && queued.latency.p95 ? Math.round((100 * four.latency.p95) / queued.latency.p95) / 100 : null },
        rssMB: four.rssMB,
        detectorWorkers: workers,
        backend: pool.backend,
        measureSeconds: measureS,
        loadAverage1m: Math.round(os.loadavg()[0]! * 10) / 10,
        runs: { sparse2fps: at2.runs.map(brief), sparse2fpsUngated: at2Off.runs.map(brief) },
        fourCameras: brief(four),
        fourCamerasUngated: brief(fourOff),
      },
    };
  });
}
