import type { Alarm } from '../common/alarm.ts';
import { ValidationError } from '../common/errors.ts';
import { createLogger } from '../common/log.ts';
import { createJsonLinesSink } from '../edge/replay/json-lines-sink.ts';
import { runReplay, type ReplaySummary } from '../edge/replay/replay-runner.ts';
import { numberFlag, parseCli } from './args.ts';

/** The replay ran, but on less of the video than the file declares (truncated or damaged): its summary is still printed. */
export const EXIT_INCOMPLETE = 3;

const USAGE = 'usage: vigil replay <video> [--config site.yaml] [--camera ID] [--json] [--realtime] [--dwell S] [--truth truth.json] [--fps N] [--snapshots DIR] [--gate] [--gate-interval S]';

function human(a: Alarm): string {
  const t = a.mediaTime === null ? '' : `${a.mediaTime.toFixed(1).padStart(7)}s `;
  const what = a.crowd
    ? `count ${a.crowd.count} density ${a.crowd.density}/m² LOS ${a.crowd.los} (${a.crowd.method}, conf ${a.crowd.confidence.toFixed(2)})`
    : a.object ? `${a.object.class ?? 'object'} dwell ${a.object.dwellSeconds.toFixed(0)}s` : a.health?.reason ?? '';
  return `${t}${a.state.padEnd(7)} ${a.severity.padEnd(8)} ${a.kind.padEnd(16)} ${a.camera}${a.zone ? `/${a.zone}` : ''}  ${what}${a.snapshot ? `  [${a.snapshot.name}]` : ''}`;
}

function printSummary(s: ReplaySummary): void {
  const out = process.stdout;
  out.write(`\n${s.frames} frames at ${s.detectFps} fps over ${s.durationS.toFixed(1)} s of video in ${s.elapsedS} s (${s.processingFps} fps, ${s.realtimeFactor}× real time), ${s.dropped} dropped\n`);
  out.write(`alarms: ${s.alarms.total}${Object.keys(s.alarms.byKind).length ? ' (' + Object.entries(s.alarms.byKind).map(([k, v]) => `${k} ${v}`).join(', ') + ')' : ''}\n`);
  for (const z of s.zones) out.write(`zone ${z.camera}/${z.zone}: peak ${z.peakCount} persons, ${z.peakDensity} /m² (LOS ${z.peakLos}) over ${z.areaM2} m², method ${z.method}\n`);
  if (s.assumptions) out.write(`note: ${s.assumptions.note}\n`);
  if (s.abandoned) out.write(`abandoned (dwell ${s.abandoned.dwellS} s): TP ${s.abandoned.truePositives}, FP ${s.abandoned.falsePositives}, FN ${s.abandoned.falseNegatives}, mean delay ${s.abandoned.meanDelaySeconds ?? '–'} s\n`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    config: { type: 'string' },
    camera: { type: 'string' },
    json: { type: 'boolean' },
    realtime: { type: 'boolean' },
    dwell: { type: 'string' },
    truth: { type: 'string' },
    fps: { type: 'string' },
    snapshots: { type: 'string' },
    gate: { type: 'boolean' },
    'gate-interval': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(USAGE + '\n'); return 0; }
  if (positionals.length !== 1) throw new ValidationError('video', `expected exactly one video file, got ${positionals.length}\n${USAGE}`);
  const video = positionals[0]!;
  const json = Boolean(values.json);
  const logger = createLogger({ name: 'replay', level: (process.env.VIGIL_LOG_LEVEL as 'debug' | undefined) ?? 'warn' });
  const progress = !json && process.stderr.isTTY;
  let lastProgress = 0;
  const dwellS = numberFlag(values.dwell, '--dwell');
  const fps = numberFlag(values.fps, '--fps');
  const gateInterval = numberFlag(values['gate-interval'], '--gate-interval');
  if (gateInterval !== undefined && !(gateInterval > 0)) throw new ValidationError('--gate-interval', `expected a positive number of seconds, got ${gateInterval}`);
  const gate = values.gate || gateInterval !== undefined ? { ...(gateInterval !== undefined ? { maxIntervalS: gateInterval } : {}) } : undefined;

  const summary = await runReplay({
    video,
    ...(values.config !== undefined ? { configFile: values.config } : {}),
    ...(values.camera !== undefined ? { cameraId: values.camera } : {}),
    ...(fps !== undefined ? { fps } : {}),
    ...(dwellS !== undefined ? { dwellS } : {}),
    ...(values.truth !== undefined ? { truthFile: values.truth } : {}),
    ...(gate ? { gate } : {}),
    realtime: Boolean(values.realtime),
    logger,
    sink: (site) => createJsonLinesSink({
      logger,
      ...(values.snapshots ? { snapshotsDir: values.snapshots } : {}),
      blurPersons: site?.site.blurPersons ?? false,
      ...(json ? {} : { format: human }),
    }),
    ...(progress ? { onProgress: (p: { frames: number; mediaTime: number; durationS: number }) => {
      const now = Date.now();
      if (now - lastProgress < 500) return;
      lastProgress = now;
      const pct = Number.isFinite(p.durationS) && p.durationS > 0 ? ` (${Math.min(100, (100 * p.mediaTime) / p.durationS).toFixed(0)}%)` : '';
      process.stderr.write(`\rreplay: ${p.frames} frames, ${p.mediaTime.toFixed(1)} s${pct}   `);
    } } : {}),
  });
  if (progress) process.stderr.write('\n');
  if (json) process.stdout.write(JSON.stringify({ summary }) + '\n');
  else printSummary(summary);
  // A replay of part of the video must not pass for a replay of all of it.
  for (const w of summary.warnings ?? []) process.stderr.write(`vigil replay: warning: ${w}\n`);
  return summary.warnings?.length ? EXIT_INCOMPLETE : 0;
}
