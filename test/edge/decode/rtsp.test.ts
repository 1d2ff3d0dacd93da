import { afterAll, describe, expect, it } from 'vitest';
import { createFrameDecoder } from '../../../edge/decode/ffmpeg-decoder.ts';
import { createRtspSource } from '../../../edge/decode/sources.ts';
import type { DecoderStatus, Frame } from '../../../edge/types.ts';
import { VTEST } from './media-fixtures.ts';
import { RtspTestServer } from './rtsp-server.ts';

let server: RtspTestServer | null = null;
afterAll(async () => { await server?.down(); });

async function until(what: string, cond: () => boolean, timeoutMs: number, extra: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(extra())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('RTSP decoding against a real server', () => {
  it('a server killed mid-stream gives a watchdog restart, and frames resume when it is back', async () => {
    server = await RtspTestServer.start(VTEST);
    const source = createRtspSource('door', server.url().replace('rtsp://', 'rtsp://viewer:pa55word@'), { transport: 'udp' });
    const dec = createFrameDecoder(source, {
      fps: 5,
      watchdog: { stallMs: 3_000, startupMs: 20_000, graceMs: 1_000, backoff: { initialMs: 500, maxMs: 2_000 } },
    });
    const statuses: DecoderStatus[] = [];
    const frames: Omit<Frame, 'data'>[] = [];
    const statusLoop = (async () => { for await (const s of dec.status()) statuses.push(s); })();
    const frameLoop = (async () => { for await (const { data: _data, ...f } of dec.frames()) frames.push(f); })();
    dec.start();
    const diag = () => ({ statuses: statuses.slice(-6), server: server?.log.slice(-25), ffmpeg: dec.lastLog.slice(-5) });

    await until('first frames', () => frames.length >= 5, 40_000, diag);
    expect(frames[0]).toMatchObject({ camera: 'door', width: 384, height: 288, sourceWidth: 384, sourceHeight: 288 });

    await server.down();
    await until('a watchdog restart', () => statuses.some((s) => s.type === 'restarting'), 30_000, diag);
    const before = frames.length;
    const cut = Date.now();

    await server.up();
    await until('frames after the restart', () => frames.filter((f) => f.capturedAt > cut).length >= 5, 45_000, diag);

    await dec.stop();
    await Promise.all([statusLoop, frameLoop]);
    const types = statuses.map((s) => s.type);
    expect(types[0]).toBe('started');
    expect(types.some((t) => t === 'stalled' || t === 'exited')).toBe(true);
    expect(statuses.filter((s) => s.type === 'started').length).toBeGreaterThanOrEqual(2);
    expect(frames.length).toBeGreaterThan(before);
    expect(frames.every((f, i) => i === 0 || f.seq > frames[i - 1]!.seq)).toBe(true);
    // ffmpeg echoes the input URL; nothing the decoder reports may carry the password.
    expect(JSON.stringify(statuses)).not.toContain('pa55word');
    expect(dec.lastLog.join('\n')).not.toContain('pa55word');
  }, 150_000);
});
