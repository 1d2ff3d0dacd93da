import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../../common/errors.ts';
import { createFrameDecoder, detectSize } from '../../../edge/decode/ffmpeg-decoder.ts';
import { createFileSource, createRtspSource } from '../../../edge/decode/sources.ts';
import type { DecoderStatus, Frame } from '../../../edge/types.ts';
import { brokenFiles, VTEST } from './media-fixtures.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-dec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('createFrameDecoder on vtest.avi', () => {
  it('decodes every frame at the detect fps, at the source size, with mediaTime = index / fps (lossless)', async () => {
    const dec = createFrameDecoder(createFileSource('vtest', VTEST), { fps: 2, lossless: true });
    const statuses: DecoderStatus[] = [];
    const statusLoop = (async () => { for await (const s of dec.status()) statuses.push(s); })();
    dec.start();
    const frames: Omit<Frame, 'data'>[] = [];
    let bytesOk = true;
    for await (const f of dec.frames()) {
      const { data, ...meta } = f;
      bytesOk &&= data.length === f.width * f.height * 3 && data.byteOffset === 0 && data.buffer.byteLength === data.length;
      frames.push(meta);
      // A slow consumer: lossless mode must wait for it rather than drop.
      if (frames.length % 20 === 0) await new Promise((r) => setTimeout(r, 50));
    }
    await statusLoop;
    // 79.5 s × 2 fps = 159 frames
    expect(Math.abs(frames.length - 159)).toBeLessThanOrEqual(1);
    expect(dec.droppedFrames).toBe(0);
    expect(bytesOk).toBe(true);
    expect(frames[0]).toMatchObject({ camera: 'vtest', seq: 0, width: 768, height: 576, sourceWidth: 768, sourceHeight: 576, mediaTime: 0 });
    expect(frames[10]!.mediaTime).toBeCloseTo(5, 6);
    expect(frames.every((f, i) => f.seq === i)).toBe(true);
    expect(statuses.map((s) => s.type)).toEqual(['started', 'ended']);
  });

  it('scales to a requested detect size and keeps the source size for reporting', async () => {
    const dec = createFrameDecoder(createFileSource('vtest', VTEST), { fps: 1, width: 384, lossless: true });
    dec.start();
    let first: Frame | undefined;
    let n = 0;
    for await (const f of dec.frames()) { first ??= f; n++; if (n === 3) break; }
    await dec.stop();
    expect(first).toMatchObject({ width: 384, height: 288, sourceWidth: 768, sourceHeight: 576 });
    expect(first!.data.length).toBe(384 * 288 * 3);
  });

  it('live mode (not lossless) keeps a bounded buffer and counts the frames it dropped', async () => {
    const dec = createFrameDecoder(createFileSource('vtest', VTEST), { fps: 5 });
    dec.start();
    let n = 0;
    let lastSeq = -1;
    let increasing = true;
    for await (const f of dec.frames()) {
      increasing &&= f.seq > lastSeq;
      lastSeq = f.seq;
      n++;
      await new Promise((r) => setTimeout(r, 100));
      if (n >= 8) break;
    }
    // Give ffmpeg time to decode more than the buffer holds while nobody reads.
    for (let i = 0; i < 100 && dec.decodedFrames < 200; i++) await new Promise((r) => setTimeout(r, 100));
    await dec.stop();
    expect(increasing).toBe(true);
    expect(dec.decodedFrames).toBeGreaterThan(n + 2);
    expect(dec.droppedFrames).toBeGreaterThan(0);
  });

  it('missing, corrupt and unknown-codec files fail the frames iterator with a MediaError naming the file', async () => {
    const files = brokenFiles(tmp);
    for (const file of [files.missing, files.garbage, files.unknown]) {
      const dec = createFrameDecoder(createFileSource('bad', file), { fps: 5 });
      const statuses: DecoderStatus[] = [];
      const statusLoop = (async () => { for await (const s of dec.status()) statuses.push(s); })();
      dec.start();
      const err = await (async () => { for await (const _ of dec.frames()) { /* none expected */ } })().catch((e: unknown) => e);
      await statusLoop;
      expect(err, file).toBeInstanceOf(MediaError);
      expect((err as Error).message).toContain(file);
      expect(statuses.at(-1)?.type).toBe('failed');
    }
  });

  it('checks its options, and an RTSP source never shows its credentials', () => {
    expect(() => createFrameDecoder(createFileSource('v', VTEST), { fps: 0 })).toThrow(/fps/);
    expect(() => createFrameDecoder(createFileSource('v', VTEST), { fps: 5, width: 301 })).toThrow(/width/);
    const src = createRtspSource('door', 'rtsp://10.0.0.5:554/stream1', { user: 'admin', password: 's3cret!' });
    expect(src.display).toBe('rtsp://***:***@10.0.0.5:554/stream1');
    expect(JSON.stringify(src)).not.toContain('s3cret');
    expect(() => createRtspSource('door', 'http://x/')).toThrow(/rtsp/);
    expect(detectSize(1920, 1080)).toEqual({ width: 768, height: 432 });
    expect(detectSize(640, 480)).toEqual({ width: 640, height: 480 });
  });
});
