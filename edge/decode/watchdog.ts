import { ValidationError } from '../../common/errors.ts';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import { maskCredentials } from '../../common/mask.ts';
import type { DecoderStatus } from '../types.ts';

/** The part of a child process the watchdog needs; ffmpeg in production, a fake in tests. */
export interface WatchedProcess {
  kill(signal: NodeJS.Signals): void;
  /** registers the single exit callback */
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

export interface WatchdogOptions {
  camera: string;
  clock: Clock;
  /** starts the process for an attempt (1-based) */
  spawn(attempt: number): WatchedProcess;
  /** no frame for this long: the process is stalled; default 10 000 ms */
  stallMs?: number;
  /**
   * silence allowed before the first frame of an attempt, which includes connecting and
   * probing the stream (seconds on a loaded edge or a slow camera); default 2 × stallMs
   */
  startupMs?: number;
  /** after SIGTERM, wait this long before SIGKILL; default 3 000 ms */
  graceMs?: number;
  /** restart delay: initialMs, doubling per failed attempt up to maxMs; defaults 1 000 / 30 000 ms */
  backoff?: { initialMs: number; maxMs: number };
  /** watch for stalls and restart on exit (live sources); files end or fail instead */
  live: boolean;
  onStatus(status: DecoderStatus): void;
  /** how many ffmpeg log lines to keep for status events; default 20 */
  keepLines?: number;
}

export interface Watchdog {
  start(): void;
  /** tells the watchdog a frame arrived */
  frame(): void;
  /** a line of the process's log (stderr); kept masked */
  log(line: string): void;
  readonly lastLog: readonly string[];
  readonly attempt: number;
  /** stops the process (SIGTERM, then SIGKILL after the grace period) and does not restart it */
  stop(): Promise<void>;
}

/**
 * Frigate's ffmpeg watchdog, Clock-driven: no frame for stallMs → SIGTERM →
 * SIGKILL after graceMs → restart with exponential backoff. A frame resets the
 * backoff, so a camera that recovers is retried quickly the next time it drops.
 */
export function createWatchdog(options: WatchdogOptions): Watchdog {
  const stallMs = options.stallMs ?? 10_000;
  const startupMs = options.startupMs ?? 2 * stallMs;
  const graceMs = options.graceMs ?? 3_000;
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
  const keep = options.keepLines ?? 20;
  for (const [k, v] of [['watchdog.stallMs', stallMs], ['watchdog.startupMs', startupMs], ['watchdog.graceMs', graceMs], ['watchdog.backoff.initialMs', backoff.initialMs], ['watchdog.backoff.maxMs', backoff.maxMs]] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw new ValidationError(k, `expected a positive number of ms, got ${v}`);
  }
  const { clock, camera } = options;
  let proc: WatchedProcess | null = null;
  let attempt = 0;
  let failures = 0;
  let lastFrameAt = 0;
  let framesThisAttempt = 0;
  let stopping = false;
  let killing = false;
  let stallTimer: TimerHandle | null = null;
  let graceTimer: TimerHandle | null = null;
  let restartTimer: TimerHandle | null = null;
  let lines: string[] = [];
  const exitWaiters: (() => void)[] = [];

  function terminate(): void {
    if (!proc || killing) return;
    killing = true;
    proc.kill('SIGTERM');
    const p = proc;
    graceTimer = clock.setTimeout(() => { graceTimer = null; if (proc === p) p.kill('SIGKILL'); }, graceMs);
  }

  function checkStall(): void {
    if (!proc || killing) return;
    const silent = clock.now() - lastFrameAt;
    if (silent < (framesThisAttempt > 0 ? stallMs : startupMs)) return;
    options.onStatus({ type: 'stalled', camera, silentMs: silent, lastLog: [...lines] });
    terminate();
  }

  function launch(): void {
    attempt++;
    killing = false;
    lastFrameAt = clock.now();
    framesThisAttempt = 0;
    const p = options.spawn(attempt);
    proc = p;
    p.onExit((code, signal) => exited(p, code, signal));
    options.onStatus({ type: 'started', camera, attempt });
    if (options.live && !stallTimer) stallTimer = clock.setInterval(checkStall, Math.max(50, Math.min(1_000, stallMs / 4)));
  }

  function exited(p: WatchedProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc !== p) return;
    proc = null;
    graceTimer?.cancel();
    graceTimer = null;
    if (stopping) {
      stallTimer?.cancel();
      stallTimer = null;
      for (const w of exitWaiters.splice(0)) w();
      return;
    }
    if (!options.live) {
      stallTimer?.cancel();
      stallTimer = null;
      if (code === 0) options.onStatus({ type: 'ended', camera });
      else {
        const last = lines.at(-1) ?? `exit ${code ?? signal}`;
        options.onStatus({ type: 'failed', camera, error: new Error(`ffmpeg exited with ${code ?? signal}: ${last}`) });
      }
      return;
    }
    options.onStatus({ type: 'exited', camera, code, lastLog: [...lines] });
    failures++;
    const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1));
    options.onStatus({ type: 'restarting', camera, attempt: attempt + 1, delayMs });
    restartTimer = clock.setTimeout(() => { restartTimer = null; if (!stopping) launch(); }, delayMs);
  }

  return {
    start() {
      if (proc || stopping) return;
      launch();
    },
    frame() {
      lastFrameAt = clock.now();
      framesThisAttempt++;
      failures = 0;
    },
    log(line) {
      lines.push(maskCredentials(line));
      if (lines.length > keep) lines = lines.slice(-keep);
    },
    get lastLog() { return lines; },
    get attempt() { return attempt; },
    stop() {
      stopping = true;
      restartTimer?.cancel();
      restartTimer = null;
      if (!proc) {
        stallTimer?.cancel();
        stallTimer = null;
        return Promise.resolve();
      }
      const done = new Promise<void>((resolve) => exitWaiters.push(resolve));
      killing = false;
      terminate();
      return done;
    },
  };
}
