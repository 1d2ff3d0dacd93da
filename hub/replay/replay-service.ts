import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/log.ts';
import { ValidationError, VigilError } from '../../common/errors.ts';
import { FIXTURE_DIR, REPO_ROOT, listClips, safeClipName, truthFileFor, type ClipInfo } from './fixtures.ts';

export type RunStatus = 'queued' | 'running' | 'done' | 'failed';

export interface ReplayRun {
  id: string;
  clip: string;
  source: ClipInfo['source'];
  status: RunStatus;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** alarm lines from `vigil replay --json`, in order */
  alarms: Record<string, unknown>[];
  summary: Record<string, unknown> | null;
  /** the truth file's objects, for TP/FP/FN markers */
  truth: { objects: unknown[] } | null;
  error: string | null;
  /** the replay finished on less than the whole clip (truncated): its alarms are shown, with this */
  warnings: string[];
}

export interface ReplayServiceOptions {
  clock: Clock;
  logger: Logger;
  /** where engineers' uploads and run outputs go */
  workDir: string;
  fixturesDir?: string;
  /** the command line to run; `node bin/vigil.js` by default (tests put a stand-in here) */
  command?: readonly string[];
  /** finished runs kept in memory; @default 20 */
  keepRuns?: number;
  /** all uploaded clips together may take this much disk; @default 4 GiB */
  uploadQuotaBytes?: number;
  /** runs waiting behind the one in progress; more are refused; @default 8 */
  maxQueued?: number;
}

/** The run queue is full: an engineer waits for it to drain rather than queueing without end. */
export class ReplayBusyError extends VigilError {
  constructor(readonly queued: number) { super('REPLAY_BUSY', `${queued} replay runs are already waiting; try again when one has finished`); }
}

/**
 * Replays clips through the edge pipeline for engineers, by spawning the
 * `vigil replay --json` CLI: the same code path as the command line, and a
 * crash or a runaway decoder cannot take the hub down. One run at a time (the
 * pipeline is CPU-bound); others wait in a queue.
 */
export function createReplayService(options: ReplayServiceOptions) {
  const fixturesDir = options.fixturesDir ?? FIXTURE_DIR;
  const uploadsDir = path.join(options.workDir, 'uploads');
  const runsDir = path.join(options.workDir, 'runs');
  mkdirSync(uploadsDir, { recursive: true });
  mkdirSync(runsDir, { recursive: true });
  const command = options.command ?? [process.execPath, path.join(REPO_ROOT, 'bin/vigil.js')];
  const keep = options.keepRuns ?? 20;
  const uploadQuota = options.uploadQuotaBytes ?? 4 * 1024 ** 3;
  const maxQueued = options.maxQueued ?? 8;
  const runs = new Map<string, ReplayRun>();
  const queue: string[] = [];
  let current: ChildProcess | null = null;

  // A replay must not outlive the hub that started it.
  const killOnExit = () => { current?.kill('SIGTERM'); };
  process.once('exit', killOnExit);

  const dirOf = (source: ClipInfo['source']) => (source === 'fixture' ? fixturesDir : uploadsDir);

  function prune(): void {
    const done = [...runs.values()].filter((r) => r.status === 'done' || r.status === 'failed').sort((a, b) => a.createdAt - b.createdAt);
    while (done.length > keep) {
      const r = done.shift()!;
      runs.delete(r.id);
      rmSync(path.join(runsDir, r.id), { recursive: true, force: true });
    }
  }

  function next(): void {
    if (current || !queue.length) return;
    const run = runs.get(queue.shift()!);
    if (!run) return next();
    const dir = dirOf(run.source);
    const file = path.join(dir, run.clip);
    const truth = truthFileFor(dir, run.clip);
    const snapshots = path.join(runsDir, run.id, 'snapshots');
    mkdirSync(snapshots, { recursive: true });
    const args = [...command.slice(1), 'replay', file, '--json', '--snapshots', snapshots, ...(truth ? ['--truth', path.join(dir, truth)] : [])];
    if (truth) {
      try { run.truth = JSON.parse(readFileSync(path.join(dir, truth), 'utf8')); } catch { run.truth = null; }
    }
    run.status = 'running';
    run.startedAt = options.clock.now();
    const child = spawn(command[0]!, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' } });
    current = child;
    const stderr: string[] = [];
    child.stderr!.on('data', (b: Buffer) => { stderr.push(...b.toString().split('\n').filter(Boolean)); stderr.splice(0, Math.max(0, stderr.length - 20)); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let v: any;
      try { v = JSON.parse(line); } catch { return; }
      if (v && typeof v === 'object' && 'summary' in v) run.summary = v.summary;
      else if (v && typeof v === 'object' && typeof v.kind === 'string') run.alarms.push(v);
    });
    const finish = (err: string | null) => {
      if (run.endedAt !== null) return;
      run.endedAt = options.clock.now();
      run.status = err ? 'failed' : 'done';
      run.error = err;
      current = null;
      options.logger.info('replay run ended', { id: run.id, clip: run.clip, status: run.status, alarms: run.alarms.length });
      prune();
      next();
    };
    child.once('error', (e) => finish(`cannot start vigil replay: ${e.message}`));
    child.once('close', (code, signal) => {
      // Exit 3: it ran, on part of the clip (truncated); the alarms stand, with the warning beside them.
      if (code === 3 && run.summary) run.warnings = Array.isArray(run.summary.warnings) ? (run.summary.warnings as unknown[]).map(String) : ['the clip looks truncated'];
      finish(code === 0 || (code === 3 && run.summary) ? null : `vigil replay exited with ${code ?? signal}: ${stderr.slice(-3).join(' | ') || 'no message'}`);
    });
  }

  /** Bytes the uploads folder holds now, clips and partial uploads alike. */
  function uploadedBytes(): number {
    let total = 0;
    for (const f of readdirSync(uploadsDir)) {
      try { total += statSync(path.join(uploadsDir, f)).size; } catch { /* gone meanwhile */ }
    }
    return total;
  }

  return {
    uploadsDir,
    uploadQuotaBytes: uploadQuota,
    /** what an upload may still add before the quota is reached */
    uploadRoom(): number { return Math.max(0, uploadQuota - uploadedBytes()); },
    clips(): ClipInfo[] {
      return [...listClips(fixturesDir, 'fixture'), ...listClips(uploadsDir, 'upload')];
    },
    uploadPath(name: string): string {
      const safe = safeClipName(name);
      if (!safe) throw new ValidationError('name', 'must be a plain video file name (letters, digits, ".", "_", "-"; .mp4, .avi, .mkv, .mov or .webm)');
      return path.join(uploadsDir, safe);
    },
    clipPath(source: ClipInfo['source'], name: string): string | null {
      const safe = safeClipName(name);
      return safe ? path.join(dirOf(source), safe) : null;
    },
    start(source: ClipInfo['source'], clip: string): ReplayRun {
      const safe = safeClipName(clip);
      if (!safe || !listClips(dirOf(source), source).some((c) => c.name === safe)) throw new ValidationError('clip', `no ${source} clip named ${clip}`);
      if (queue.length >= maxQueued) throw new ReplayBusyError(queue.length);
      const run: ReplayRun = { id: randomUUID(), clip: safe, source, status: 'queued', createdAt: options.clock.now(), startedAt: null, endedAt: null, alarms: [], summary: null, truth: null, error: null, warnings: [] };
      runs.set(run.id, run);
      queue.push(run.id);
      next();
      return run;
    },
    get(id: string): ReplayRun | null { return runs.get(id) ?? null; },
    list(): ReplayRun[] { return [...runs.values()].sort((a, b) => b.createdAt - a.createdAt); },
    snapshotPath(id: string, name: string): string | null {
      if (!runs.has(id) || !/^[A-Za-z0-9._:-]{1,200}\.(jpg|jpeg|png)$/.test(path.basename(name)) || name.includes('..')) return null;
      return path.join(runsDir, id, 'snapshots', path.basename(name));
    },
    stop(): void { current?.kill('SIGTERM'); queue.length = 0; process.removeListener('exit', killOnExit); },
  };
}

export type ReplayService = ReturnType<typeof createReplayService>;
