import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { MediaError, ValidationError } from '../../common/errors.ts';
import { systemClock, type Clock } from '../../common/clock.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { maskCredentials } from '../../common/mask.ts';
import type { CameraSource, DecoderStatus, Frame, FrameDecoder } from '../types.ts';
import { probeMedia } from './probe.ts';
import { createWatchdog, type Watchdog, type WatchedProcess } from './watchdog.ts';

export interface FrameDecoderOptions {
  /** detect width; default the source width capped at MAX_DETECT_WIDTH, keeping the aspect */
  width?: number;
  /** detect height; default from the width and the source aspect */
  height?: number;
  /** detect frame rate (ffmpeg fps filter) */
  fps: number;
  /** live sources only; defaults: stallMs 10 000, startupMs 2 × stallMs, graceMs 3 000, backoff 1 000 → 30 000 */
  watchdog?: { stallMs: number; startupMs?: number; graceMs: number; backoff: { initialMs: number; maxMs: number } };
  clock?: Clock;
  logger?: Logger;
  /**
   * true (replay): never drop a frame; ffmpeg is paused while the consumer is
   * behind. false (live, default): newest wins; a small buffer, and frames the
   * consumer had no time for are dropped and counted.
   */
  lossless?: boolean;
}

export interface FfmpegFrameDecoder extends FrameDecoder {
  /** frames discarded because the consumer was behind (never in lossless mode) */
  readonly droppedFrames: number;
  readonly decodedFrames: number;
  /** the last ~20 lines of ffmpeg's log, credentials masked */
  readonly lastLog: readonly string[];
}

/** Wider frames are scaled down: the detector sees 512² anyway, and 768 keeps tiles and snapshots useful. */
export const MAX_DETECT_WIDTH = 768;
const LIVE_BUFFER = 2;
const LOSSLESS_BUFFER = 4;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The detect size: the source size, capped to MAX_DETECT_WIDTH, both sides even (yuv420 scalers want that). */
export function detectSize(srcW: number, srcH: number, width?: number, height?: number): { width: number; height: number } {
  if (width && height) return { width, height };
  const w = width ?? Math.min(srcW, MAX_DETECT_WIDTH);
  return { width: even(w), height: height ?? even((srcH * w) / srcW) };
}

/** A tiny single-consumer async queue. */
function channel<T>() {
  const items: T[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let error: Error | null = null;
  return {
    items,
    push(v: T) { items.push(v); wake?.(); },
    end(err?: Error) { done = true; if (err) error = err; wake?.(); },
    get done() { return done; },
    async *iterate(onTake?: () => void): AsyncGenerator<T> {
      for (;;) {
        if (items.length) { const v = items.shift()!; onTake?.(); yield v; continue; }
        if (done) { if (error) throw error; return; }
        await new Promise<void>((r) => { wake = r; });
        wake = null;
      }
    },
  };
}

const SIZE_RE = /Stream #\d+:\d+.*?: Video: .*?(\d{2,5})x(\d{2,5})/;

/**
 * ffmpeg → raw rgb24 frames at the detect size and rate. Files play as fast as
 * they decode (or paced with -re); RTSP goes over TCP with a socket timeout
 * and runs under the watchdog, so a camera that dies mid-stream is restarted,
 * not fatal.
 */
export function createFrameDecoder(source: CameraSource, options: FrameDecoderOptions): FfmpegFrameDecoder {
  if (!(Number.isFinite(options.fps) && options.fps > 0 && options.fps <= 60)) throw new ValidationError('fps', `expected a frame rate in (0, 60], got ${options.fps}`);
  for (const k of ['width', 'height'] as const) {
    const v = options[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 16 && v <= 4096 && v % 2 === 0)) throw new ValidationError(k, `expected an even integer 16–4096, got ${v}`);
  }
  const opts = Object.freeze({ ...options });
  const clock = opts.clock ?? systemClock;
  const log = (opts.logger ?? silentLogger).child({ camera: source.id });
  const frames = channel<Frame>();
  const statuses = channel<DecoderStatus>();
  const cap = opts.lossless ? LOSSLESS_BUFFER : LIVE_BUFFER;
  let seq = 0;
  let dropped = 0;
  let started = false;
  let stopped = false;
  let watchdog: Watchdog | null = null;
  let liveStartedAt = 0;
  let current: Readable | null = null;

  function status(s: DecoderStatus): void {
    if (s.type === 'failed') log.error('decoder failed', { error: s.error });
    else if (s.type === 'stalled' || s.type === 'exited') log.warn(`decoder ${s.type}`, { ...s, camera: undefined });
    else log.debug(`decoder ${s.type}`, { ...s, camera: undefined });
    statuses.push(s);
    if (statuses.items.length > 100) statuses.items.shift();
    if (s.type === 'ended') { frames.end(); statuses.end(); }
    if (s.type === 'failed') { frames.end(s.error); statuses.end(); }
  }

  function onTake(): void {
    if (opts.lossless && frames.items.length < cap && current?.isPaused()) current.resume();
  }

  async function run(): Promise<void> {
    const resolved = await source.resolve();
    let srcW = 0;
    let srcH = 0;
    let fileFps = NaN;
    if (!resolved.isLive) {
      const info = await probeMedia(resolved.input);
      srcW = info.width; srcH = info.height; fileFps = info.fps;
    }
    if (stopped) return;
    const scale = opts.width ? `scale=${opts.width}:${opts.height ?? -2}` : `scale='min(iw,${MAX_DETECT_WIDTH})':-2`;
    log.info('decoder starting', { input: source.display, fps: opts.fps, sourceFps: fileFps, lossless: Boolean(opts.lossless) });
    liveStartedAt = clock.now();

    const spawn = (attempt: number): WatchedProcess => {
      let exitCb: ((code: number | null, signal: NodeJS.Signals | null) => void) | null = null;
      let exitInfo: [number | null, NodeJS.Signals | null] | null = null;
      const reportExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (exitInfo) return;
        exitInfo = [code, signal];
        exitCb?.(code, signal);
      };
      const input: string[] = ['-hide_banner', '-nostdin'];
      if (resolved.isLive && /^rtsps?:/.test(resolved.input)) {
        const stall = opts.watchdog?.stallMs ?? 10_000;
        // -timeout is the socket I/O timeout in µs on ffmpeg 5.1 (it was -stimeout before); the watchdog is the backstop.
        input.push('-rtsp_transport', resolved.rtspTransport ?? 'tcp', '-timeout', String(Math.round(stall * 1000)));
      }
      if (resolved.realtime) input.push('-re');
      if (resolved.loop) input.push('-stream_loop', '-1');
      const cmd = ffmpeg(resolved.input)
        .inputOptions(input)
        .noAudio()
        .videoFilters([`fps=${opts.fps}`, scale])
        .outputOptions(['-pix_fmt', 'rgb24', '-f', 'rawvideo']);
      let section: 'input' | 'output' | null = null;
      let outW = 0;
      let outH = 0;
      let frameBytes = 0;
      let pendingChunks: Buffer[] = [];
      let buf: Uint8Array | null = null;
      let filled = 0;
      const emit = (data: Uint8Array) => {
        watchdog?.frame();
        const now = clock.now();
        const frame: Frame = {
          camera: source.id, seq, width: outW, height: outH, data, capturedAt: now,
          mediaTime: resolved.isLive ? (now - liveStartedAt) / 1000 : seq / opts.fps,
          sourceWidth: srcW || outW, sourceHeight: srcH || outH,
        };
        seq++;
        if (!opts.lossless && frames.items.length >= cap) { frames.items.shift(); dropped++; }
        frames.push(frame);
        if (opts.lossless && frames.items.length >= cap) current?.pause();
      };
      const consume = (chunk: Buffer) => {
        let off = 0;
        while (off < chunk.length) {
          // Each frame gets its own ArrayBuffer so that the detector pool can transfer it to a worker.
          if (!buf) { buf = new Uint8Array(frameBytes); filled = 0; }
          const n = Math.min(frameBytes - filled, chunk.length - off);
          buf.set(chunk.subarray(off, off + n), filled);
          filled += n; off += n;
          if (filled === frameBytes) { const f = buf; buf = null; emit(f); }
        }
      };
      cmd.on('stderr', (line: string) => {
        watchdog?.log(line);
        if (/^Input #/.test(line)) section = 'input';
        else if (/^Output #/.test(line)) section = 'output';
        const m = SIZE_RE.exec(line);
        if (!m) return;
        if (section === 'input' && !srcW) { srcW = Number(m[1]); srcH = Number(m[2]); }
        if (section === 'output' && !frameBytes) {
          outW = Number(m[1]); outH = Number(m[2]);
          frameBytes = outW * outH * 3;
          for (const c of pendingChunks) consume(c);
          pendingChunks = [];
        }
      });
      cmd.on('start', () => {
        const proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
        proc?.once('close', (code, signal) => reportExit(code, signal));
      });
      // fluent-ffmpeg reports every non-zero exit (and our own kills) as 'error'; the exit itself is handled via 'close'.
      cmd.on('error', (err: Error) => {
        watchdog?.log(`fluent-ffmpeg: ${err.message.split('\n')[0]}`);
        if (!(cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc) reportExit(null, null);
      });
      const stream = cmd.pipe() as Readable;
      current = stream;
      stream.on('data', (chunk: Buffer) => { if (frameBytes) consume(chunk); else pendingChunks.push(chunk); });
      stream.on('error', (err) => watchdog?.log(`output stream: ${err.message}`));
      log.debug('ffmpeg spawned', { attempt });
      return {
        kill: (signal) => {
          // A paused pipe would keep ffmpeg blocked on write and never let it exit.
          if (stream.isPaused()) stream.resume();
          cmd.kill(signal);
        },
        onExit: (cb) => { exitCb = cb; if (exitInfo) cb(...exitInfo); },
      };
    };

    watchdog = createWatchdog({
      camera: source.id,
      clock,
      spawn,
      live: resolved.isLive,
      onStatus: (s) => {
        if (s.type === 'failed') {
          const last = watchdog?.lastLog.filter((l) => !/^\s/.test(l)).slice(-3).join(' | ') ?? '';
          status({ ...s, error: new MediaError(source.display, `ffmpeg failed: ${maskCredentials(last || s.error.message)}`, { cause: s.error, code: 'MEDIA_DECODE' }) });
        } else status(s);
      },
      ...(opts.watchdog ? { stallMs: opts.watchdog.stallMs, graceMs: opts.watchdog.graceMs, backoff: opts.watchdog.backoff, ...(opts.watchdog.startupMs ? { startupMs: opts.watchdog.startupMs } : {}) } : {}),
    });
    watchdog.start();
  }

  return {
    start() {
      if (started) return;
      started = true;
      run().catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        status({ type: 'failed', camera: source.id, error });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      frames.items.length = 0;
      await watchdog?.stop();
      if (!frames.done) { frames.end(); status({ type: 'ended', camera: source.id }); }
    },
    frames() { return frames.iterate(onTake); },
    status() { return statuses.iterate(); },
    get droppedFrames() { return dropped; },
    get decodedFrames() { return seq; },
    get lastLog() { return watchdog?.lastLog ?? []; },
  };
}
