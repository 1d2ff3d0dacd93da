import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { cameraSchema, loadSiteConfig, type CameraConfig } from '../common/config/site.ts';
import { silentLogger } from '../common/log.ts';
import { createFrameDecoder } from '../edge/decode/ffmpeg-decoder.ts';
import { createFileSource } from '../edge/decode/sources.ts';
import { createDetectorPool, type DetectorPool } from '../edge/detect/detector-pool.ts';
import { createEdgePipeline, type PipelineMetrics } from '../edge/pipeline/edge-pipeline.ts';
import { renderSnapshot } from '../edge/replay/snapshot.ts';
import { denseClip, quietClip } from './_edge-clips.ts';
import type { AlarmEvidence, AlarmSink } from '../edge/types.ts';
import type { Alarm } from '../common/alarm.ts';
import { createLatencyStats, type LatencyStats } from '../edge/pipeline/latency.ts';

/**
 * Edge throughput on this machine: live-mode pipelines over N copies of
 * vtest.avi played in real time (looped), detected at 2 fps through one
 * shared detector pool, as `vigil edge` runs them.
 *
 * - edge.camerasAt2fps: the most cameras for which every camera sustained
 *   ≥ 1.9 detected fps with < 5 % of decoded frames dropped, measured over a
 *   steady window after a warm-up, N = 1..6 (stops at the first failure).
 * - edge.frameToAlarmP95Ms: frame capture (leaves the decoder) → alarm at the
 *   sink, snapshot JPEG rendered, with as many cameras as sustained 2 fps
 *   (at least 1), whose zones are a grid of 1 m² cells at 0.5 persons/m² and
 *   no minimum duration: every person crossing a cell line raises or clears
 *   an alarm. `edge.fourCameras` repeats it with 4 cameras, loaded or not.
 * - edge.rssMB: resident memory of this process (detector worker threads
 *   included) plus its ffmpeg children, at the end of the 4-camera run.
 * - edge.denseCamerasAt1fps: the same search at 1 fps on dense footage
 *   (a 2×2 mosaic of vtest: four times the people at half the size).
 * - edge.gatedCamerasAt1fps: at 1 fps on typical footage with quiet stretches,
 *   change gate on, every camera ≥ 0.95 fps analysed, < 5 % dropped and
 *   frame→alarm p95 under 1 s; `ungated` is the same search with the gate off.
 * - edge.cpuPerCameraPct: machine CPU (all cores, ffmpeg included) per camera
 *   in the 4-camera run, in percent of one core.
 *
 * Every scenario runs with the change gate as deployed (on) and again with it
 * off, in this process: `baseline` holds the ungated figures.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VTEST = path.join(root, 'fixtures/.cache/vtest.avi');
const FPS = 2;

function childRssMB(): number {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== process.pid) continue;
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // The process ended between listing and reading: it holds no memory any more.
      continue;
    }
  }
  return kb / 1024;
}

/** busy and total jiffies of the whole machine (/proc/stat), for CPU per camera */
function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function gridCamera(id: string, video = VTEST): CameraConfig {
  const zones = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) {
    const x = c * 192, y = 150 + r * 142;
    zones.push({ id: `g${r}${c}`, polygon: [[x, y], [x + 192, y], [x + 192, y + 142], [x, y + 142]], areaM2: 1, crowd: { warningDensity: 0.5, criticalDensity: 3, minDurationS: 0, clearDurationS: 0, hysteresis: 0, smoothingS: 0 } });
  }
  return cameraSchema.parse({ id, source: { file: video }, zones });
}

/**
 * A sink that pays what the real one pays before it hands off: the snapshot
 * JPEG. It times frame capture → snapshot rendered itself, and only inside the
 * measuring window: the pipeline's own figure counts the warm-up too.
 */
function snapshotSink(): AlarmSink & { measuring: boolean; latency: LatencyStats } {
  const latency = createLatencyStats();
  const sink = {
    measuring: false,
    latency,
    async send(_alarm: Alarm, ev?: AlarmEvidence) {
      if (!ev) return;
      await renderSnapshot(ev.frame, ev.draw ? { draw: ev.draw } : {});
      if (sink.measuring) latency.add(Date.now() - ev.frame.capturedAt);
    },
    async close() {},
  };
  return sink;
}

interface RunResult { cameras: number; fpsPerCamera: number[]; minFps: number; droppedPct: number; gatedPct: number; latency: PipelineMetrics['latencyMs']; rssMB: number; alarms: number; inferenceMsMean: number | null; cpuPerCameraPct: number }

interface RunOptions { gate: boolean; fps?: number; video?: string }

async function runLive(pool: DetectorPool, cameras: CameraConfig[], warmupS: number, measureS: number, o: RunOptions): Promise<RunResult> {
  const sink = snapshotSink();
  const fps = o.fps ?? FPS;
  const video = o.video ?? VTEST;
  const pipeline = createEdgePipeline({
    site: 'bench', edgeId: 'bench', mode: 'live', detector: pool, sink, logger: silentLogger,
    // Every camera plays the same footage in step: the quiet stretches and the busy ones coincide, the harder case for the gate.
    cameras: cameras.map((config) => ({ config, decoder: createFrameDecoder(createFileSource(config.id, video, { realtime: true, loop: true }), { fps }) })),
    batcher: { maxBatch: cameras.length, maxWaitMs: 50, maxAgeMs: 1500 },
    gate: o.gate ? {} : false,
  });
  pipeline.start();
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  sink.measuring = true;
  const a = pipeline.metrics();
  const cpuA = cpuTimes();
  await new Promise((r) => setTimeout(r, measureS * 1000));
  const b = pipeline.metrics();
  const cpuB = cpuTimes();
  sink.measuring = false;
  const rssMB = process.memoryUsage().rss / 2 ** 20 + childRssMB();
  await pipeline.stop();
  // A gated frame is analysed (with the last detection) as much as a detected one: both count as served.
  const fpsPerCamera = b.cameras.map((c, i) => (c.detected + c.gated - a.cameras[i]!.detected - a.cameras[i]!.gated) / measureS);
  const framesIn = b.framesIn - a.framesIn;
  // Frames the detector never took (replaced or stale); a frame still in detection at the window's end is not dropped.
  const dropped = b.cameras.reduce((n, c, i) => n + c.dropped - a.cameras[i]!.dropped, 0);
  const pct = (n: number) => (framesIn ? Math.round((1000 * Math.max(0, n)) / framesIn) / 10 : 100);
  return {
    cameras: cameras.length,
    fpsPerCamera: fpsPerCamera.map((f) => Math.round(f * 100) / 100),
    minFps: Math.round(Math.min(...fpsPerCamera) * 100) / 100,
    droppedPct: pct(dropped),
    gatedPct: pct(b.gated - a.gated),
    cpuPerCameraPct: Math.round((100 * os.cpus().length * (cpuB.busy - cpuA.busy)) / Math.max(1, cpuB.total - cpuA.total) / cameras.length),
    latency: { p50: sink.latency.percentile(50), p95: sink.latency.percentile(95), count: sink.latency.count },
    rssMB: Math.round(rssMB),
    alarms: b.alarms,
    inferenceMsMean: b.inferenceMs.mean === null ? null : Math.round(b.inferenceMs.mean),
  };
}

/** The most cameras (1..max) that each sustained `fps` with < 5 % dropped (and, if given, the latency bound); stops at the first failure. */
async function search(ctx: BenchContext, label: string, max: number, run: (n: number) => Promise<RunResult>, fps: number, p95Bound?: number): Promise<{ best: number; runs: RunResult[] }> {
  const runs: RunResult[] = [];
  let best = 0;
  for (let n = 1; n <= max; n++) {
    const r = await run(n);
    runs.push(r);
    const ok = r.minFps >= fps * 0.95 && r.droppedPct < 5 && (p95Bound === undefined || (r.latency.p95 ?? 0) < p95Bound);
    ctx.log(`edge ${label}: ${n} camera(s): min ${r.minFps} fps, ${r.droppedPct} % dropped, ${r.gatedPct} % gated, p95 ${r.latency.p95 === null ? '–' : Math.round(r.latency.p95)} ms, ${r.cpuPerCameraPct} % CPU/camera${ok ? '' : ' (below target)'}`);
    if (!ok) break;
    best = n;
  }
  return { best, runs };
}

const brief = (r: RunResult) => ({ cameras: r.cameras, minFps: r.minFps, droppedPct: r.droppedPct, gatedPct: r.gatedPct, inferenceMsMean: r.inferenceMsMean, frameToAlarmP95Ms: r.latency.p95 === null ? null : Math.round(r.latency.p95), cpuPerCameraPct: r.cpuPerCameraPct });

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const site = loadSiteConfig(path.join(root, 'fixtures/sites/vtest.yaml'));
  const workers = Math.max(1, os.cpus().length);
  const pool = await createDetectorPool({ workers, logger: silentLogger });
  const warmupS = ctx.quick ? 3 : 5;
  const measureS = ctx.quick ? 6 : 20;
  // The quiet clip's cycle is 28 s (8 s of walkers, 20 s still): a window shorter than that measures only one of the two.
  const cycleS = 28;
  const [dense, quiet] = await Promise.all([denseClip(VTEST), quietClip(VTEST)]);
  try {
    const vtestCams = (n: number) => Array.from({ length: n }, (_, i) => ({ ...site.cameras[0]!, id: `cam${i + 1}` }));
    const grid = (n: number, video = VTEST) => Array.from({ length: n }, (_, i) => gridCamera(`grid${i + 1}`, video));
    const at2 = await search(ctx, 'sparse 2 fps, gate on', ctx.quick ? 4 : 6, (n) => runLive(pool, vtestCams(n), warmupS, measureS, { gate: true }), FPS);
    const at2Off = await search(ctx, 'sparse 2 fps, gate off', ctx.quick ? 4 : 6, (n) => runLive(pool, vtestCams(n), warmupS, measureS, { gate: false }), FPS);
    const four = await runLive(pool, grid(4), warmupS, measureS, { gate: true });
    const fourOff = await runLive(pool, grid(4), warmupS, measureS, { gate: false });
    ctx.log(`edge: 4 cameras with alarm grids: p95 ${four.latency.p95} ms (gate off ${fourOff.latency.p95} ms), ${four.rssMB} MB, ${four.minFps} fps min, ${four.droppedPct} % dropped`);
    const denseOn = await search(ctx, 'dense 1 fps, gate on', ctx.quick ? 6 : 8, (n) => runLive(pool, grid(n, dense), warmupS, measureS, { gate: true, fps: 1, video: dense }), 1);
    const denseOff = await search(ctx, 'dense 1 fps, gate off', ctx.quick ? 6 : 8, (n) => runLive(pool, grid(n, dense), warmupS, measureS, { gate: false, fps: 1, video: dense }), 1);
    const quietOn = await search(ctx, 'quiet 1 fps, gate on', ctx.quick ? 10 : 12, (n) => runLive(pool, grid(n, quiet), warmupS, cycleS, { gate: true, fps: 1, video: quiet }), 1, 1000);
    const quietOff = await search(ctx, 'quiet 1 fps, gate off', ctx.quick ? 10 : 12, (n) => runLive(pool, grid(n, quiet), warmupS, cycleS, { gate: false, fps: 1, video: quiet }), 1, 1000);
    const ms = (v: number | null) => (v === null ? null : Math.round(v));
    return {
      edge: {
        camerasAt2fps: at2.best,
        frameToAlarmP95Ms: ms(four.latency.p95),
        frameToAlarmP50Ms: ms(four.latency.p50),
        frameToAlarmCameras: 4,
        alarmsMeasured: four.latency.count,
        denseCamerasAt1fps: denseOn.best,
        gatedCamerasAt1fps: quietOn.best,
        cpuPerCameraPct: four.cpuPerCameraPct,
        baseline: {
          note: 'the same runs with the change gate off, in this process',
          camerasAt2fps: at2Off.best,
          frameToAlarmP95Ms: ms(fourOff.latency.p95),
          denseCamerasAt1fps: denseOff.best,
          gatedCamerasAt1fps: quietOff.best,
          cpuPerCameraPct: fourOff.cpuPerCameraPct,
        },
        rssMB: four.rssMB,
        detectorWorkers: workers,
        backend: pool.backend,
        measureSeconds: measureS,
        loadAverage1m: Math.round(os.loadavg()[0]! * 10) / 10,
        runs: {
          sparse2fps: at2.runs.map(brief), sparse2fpsUngated: at2Off.runs.map(brief),
          dense1fps: denseOn.runs.map(brief), dense1fpsUngated: denseOff.runs.map(brief),
          quiet1fps: quietOn.runs.map(brief), quiet1fpsUngated: quietOff.runs.map(brief),
        },
        fourCameras: brief(four),
        fourCamerasUngated: brief(fourOff),
      },
    };
  } finally {
    await pool.close();
  }
}
