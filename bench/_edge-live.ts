import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { cameraSchema, type CameraConfig } from '../common/config/site.ts';
import { silentLogger } from '../common/log.ts';
import { createFrameDecoder } from '../edge/decode/ffmpeg-decoder.ts';
import { createFileSource } from '../edge/decode/sources.ts';
import { createDetectorPool, type DetectorPool } from '../edge/detect/detector-pool.ts';
import { createEdgePipeline, type PipelineMetrics } from '../edge/pipeline/edge-pipeline.ts';
import { renderSnapshot } from '../edge/replay/snapshot.ts';
import type { AlarmEvidence, AlarmSink } from '../edge/types.ts';
import type { Alarm } from '../common/alarm.ts';
import { createLatencyStats, type LatencyStats } from '../edge/pipeline/latency.ts';

/**
 * Live-mode edge runs for the edge benches (edge.ts, edge-dense.ts,
 * edge-gated.ts): pipelines over looped clips played in real time, detected
 * through one shared detector pool, as `vigil edge` runs them; a steady
 * window after a warm-up measures each camera's analysed rate, the frames
 * dropped, CPU, memory and frame capture → snapshot rendered.
 */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VTEST = path.join(root, 'fixtures/.cache/vtest.avi');

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

export function gridCamera(id: string, video = VTEST): CameraConfig {
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

export interface RunResult { cameras: number; fpsPerCamera: number[]; minFps: number; droppedPct: number; gatedPct: number; latency: PipelineMetrics['latencyMs']; rssMB: number; alarms: number; inferenceMsMean: number | null; cpuPerCameraPct: number }

export interface RunOptions { gate: boolean; /** frames in detection at once; default: the pool's workers */ maxFramesInFlight?: number; fps?: number; video?: string; /** per camera, in turn (overrides video) */ videos?: readonly string[] }

export async function runLive(pool: DetectorPool, cameras: CameraConfig[], warmupS: number, measureS: number, o: RunOptions): Promise<RunResult> {
  const sink = snapshotSink();
  const fps = o.fps ?? 2;
  const video = o.video ?? VTEST;
  const pipeline = createEdgePipeline({
    site: 'bench', edgeId: 'bench', mode: 'live', detector: pool, sink, logger: silentLogger,
    // Every camera plays the same footage in step: the quiet stretches and the busy ones coincide, the harder case for the gate.
    cameras: cameras.map((config, i) => ({ config, decoder: createFrameDecoder(createFileSource(config.id, o.videos?.[i % o.videos.length] ?? video, { realtime: true, loop: true }), { fps }) })),
    batcher: { maxBatch: cameras.length, maxWaitMs: 50, maxAgeMs: 1500 },
    gate: o.gate ? {} : false,
    ...(o.maxFramesInFlight ? { maxFramesInFlight: o.maxFramesInFlight } : {}),
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
export async function search(ctx: BenchContext, label: string, max: number, run: (n: number) => Promise<RunResult>, fps: number, p95Bound?: number): Promise<{ best: number; runs: RunResult[] }> {
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

export const brief = (r: RunResult) => ({ cameras: r.cameras, minFps: r.minFps, droppedPct: r.droppedPct, gatedPct: r.gatedPct, inferenceMsMean: r.inferenceMsMean, frameToAlarmP95Ms: r.latency.p95 === null ? null : Math.round(r.latency.p95), cpuPerCameraPct: r.cpuPerCameraPct });


/** A detector pool with one worker per core, as `vigil edge` starts it, closed after `f`. */
export async function withPool<T>(f: (pool: DetectorPool, workers: number) => Promise<T>): Promise<T> {
  const workers = Math.max(1, os.cpus().length);
  const pool = await createDetectorPool({ workers, logger: silentLogger });
  try {
    return await f(pool, workers);
  } finally {
    await pool.close();
  }
}

export const ms = (v: number | null) => (v === null ? null : Math.round(v));
