import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { createWatchdog, type WatchedProcess } from '../../../edge/decode/watchdog.ts';
import type { DecoderStatus } from '../../../edge/types.ts';

/** A fake ffmpeg: records signals; exits on SIGKILL, and on SIGTERM only if told to. */
class FakeProc implements WatchedProcess {
  signals: NodeJS.Signals[] = [];
  #cb: ((code: number | null, signal: NodeJS.Signals | null) => void) | null = null;
  constructor(private readonly obeysTerm: boolean) {}
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || this.obeysTerm) this.exit(null, signal);
  }
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void { this.#cb = cb; }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void { const cb = this.#cb; this.#cb = null; cb?.(code, signal); }
}

function setup(opts: { live?: boolean; obeysTerm?: boolean } = {}) {
  const clock = new FakeClock();
  const procs: FakeProc[] = [];
  const events: DecoderStatus[] = [];
  const wd = createWatchdog({
    camera: 'cam', clock, live: opts.live ?? true,
    stallMs: 5_000, graceMs: 2_000, backoff: { initialMs: 1_000, maxMs: 4_000 },
    spawn: () => { const p = new FakeProc(opts.obeysTerm ?? false); procs.push(p); return p; },
    onStatus: (s) => events.push(s),
  });
  return { clock, procs, events, wd, types: () => events.map((e) => e.type) };
}

describe('watchdog', () => {
  it('does nothing while frames keep arriving', () => {
    const { clock, procs, wd, types } = setup();
    wd.start();
    for (let i = 0; i < 100; i++) { clock.advance(1_000); wd.frame(); }
    expect(procs).toHaveLength(1);
    expect(procs[0]!.signals).toEqual([]);
    expect(types()).toEqual(['started']);
  });

  it('allows startupMs (connect + probe) before the first frame of each attempt', () => {
    const { clock, procs, wd, types } = setup();
    clock.advance(0);
    wd.start();
    clock.advance(9_000); // default startupMs = 2 × stallMs = 10 s
    expect(procs[0]!.signals).toEqual([]);
    wd.frame();
    clock.advance(5_000); // once frames flow, stallMs applies
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    expect(types()).toEqual(['started', 'stalled']);
  });

  it('stall → SIGTERM → SIGKILL after the grace period → restart after backoff', () => {
    const { clock, procs, events, wd, types } = setup();
    wd.start();
    wd.frame();
    wd.log('rtsp://admin:hunter2@10.0.0.5/stream: Connection timed out');
    clock.advance(5_000);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    const stalled = events.find((e) => e.type === 'stalled');
    expect(stalled).toMatchObject({ silentMs: 5_000 });
    // ffmpeg's last lines come with the status, credentials masked.
    expect(JSON.stringify(stalled)).not.toContain('hunter2');
    expect(JSON.stringify(stalled)).toContain('Connection timed out');
    clock.advance(1_999);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    clock.advance(1);
    expect(procs[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(events.find((e) => e.type === 'restarting')).toMatchObject({ attempt: 2, delayMs: 1_000 });
    expect(procs).toHaveLength(1);
    clock.advance(1_000);
    expect(procs).toHaveLength(2);
    expect(types()).toEqual(['started', 'stalled', 'exited', 'restarting', 'started']);
  });

  it('backs off exponentially up to maxMs, and a frame resets the backoff', () => {
    const { clock, procs, events, wd } = setup();
    wd.start();
    const delays = () => events.filter((e) => e.type === 'restarting').map((e) => (e as { delayMs: number }).delayMs);
    for (let i = 0; i < 4; i++) { procs.at(-1)!.exit(1); clock.advance(4_000); }
    expect(delays()).toEqual([1_000, 2_000, 4_000, 4_000]);
    wd.frame();
    procs.at(-1)!.exit(1);
    expect(delays().at(-1)).toBe(1_000);
  });

  it('a clean exit of a file source is the end, a failing one is an error; neither restarts', () => {
    const a = setup({ live: false });
    a.wd.start();
    a.clock.advance(60_000); // files are not stall-checked: the consumer may be holding them back
    expect(a.procs[0]!.signals).toEqual([]);
    a.procs[0]!.exit(0);
    a.clock.advance(60_000);
    expect(a.types()).toEqual(['started', 'ended']);

    const b = setup({ live: false });
    b.wd.start();
    b.wd.log('Invalid data found when processing input');
    b.procs[0]!.exit(1);
    expect(b.types()).toEqual(['started', 'failed']);
    expect((b.events[1] as { error: Error }).error.message).toContain('Invalid data');
    expect(b.procs).toHaveLength(1);
  });

  it('stop() terminates, escalates to SIGKILL, resolves on exit and never restarts', async () => {
    const { clock, procs, wd, types } = setup();
    wd.start();
    const stopped = wd.stop();
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    clock.advance(2_000);
    await stopped;
    expect(procs[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
    expect(types()).toEqual(['started']);
  });

  it('keeps only the last 20 log lines', () => {
    const { wd } = setup();
    for (let i = 0; i < 50; i++) wd.log(`line ${i}`);
    expect(wd.lastLog).toHaveLength(20);
    expect(wd.lastLog[0]).toBe('line 30');
  });
});
