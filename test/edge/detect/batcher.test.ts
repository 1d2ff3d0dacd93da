import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { ValidationError } from '../../../common/errors.ts';
import { createBatcher } from '../../../edge/detect/batcher.ts';
import type { Frame } from '../../../edge/types.ts';

function frame(clock: FakeClock, camera: string, seq: number): Frame {
  return { camera, seq, width: 2, height: 2, data: new Uint8Array(12), capturedAt: clock.now(), mediaTime: seq, sourceWidth: 2, sourceHeight: 2 };
}

/** Resolves the pending next() if it settled; undefined if it is still waiting. */
async function settled<T>(p: Promise<T>): Promise<T | undefined> {
  let v: T | undefined;
  p.then((x) => { v = x; });
  await new Promise((r) => setImmediate(r));
  return v;
}

describe('createBatcher', () => {
  it('flushes as soon as maxBatch cameras have a frame', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 3, maxWaitMs: 100, maxAgeMs: 1000, clock });
    const next = b.next();
    b.push(frame(clock, 'a', 0));
    b.push(frame(clock, 'b', 0));
    expect(await settled(next)).toBeUndefined();
    b.push(frame(clock, 'c', 0));
    const batch = await next;
    expect(batch!.map((f) => f.camera)).toEqual(['a', 'b', 'c']);
    expect(b.metrics().lastBatchSize).toBe(3);
  });

  it('flushes maxWaitMs after the first pending frame, with whatever is there', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 8, maxWaitMs: 100, maxAgeMs: 1000, clock });
    const next = b.next();
    b.push(frame(clock, 'a', 0));
    clock.advance(60);
    b.push(frame(clock, 'b', 0));
    clock.advance(39);
    expect(await settled(next)).toBeUndefined();
    clock.advance(1);
    expect((await next)!.map((f) => f.camera)).toEqual(['a', 'b']);
    expect(b.metrics().lastQueueAgeMs).toBe(100);
  });

  it('keeps only the newest frame per camera and counts the replaced ones', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 4, maxWaitMs: 50, maxAgeMs: 1000, clock });
    for (let i = 0; i < 5; i++) b.push(frame(clock, 'a', i));
    b.push(frame(clock, 'b', 0));
    expect(b.metrics().pending).toBe(2);
    clock.advance(50);
    const batch = await b.next();
    expect(batch!.map((f) => `${f.camera}${f.seq}`)).toEqual(['a4', 'b0']);
    expect(b.metrics().droppedReplaced).toBe(4);
  });

  it('holds a due batch while the consumer is busy (backpressure), bounded to one frame per camera', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 2, maxWaitMs: 50, maxAgeMs: 10_000, clock });
    // No next() pending: the detector is busy. Frames keep arriving for a while.
    for (let i = 0; i < 100; i++) { b.push(frame(clock, 'a', i)); b.push(frame(clock, 'b', i)); clock.advance(10); }
    expect(b.metrics().pending).toBe(2);
    const batch = await b.next();
    expect(batch!.map((f) => f.seq)).toEqual([99, 99]);
    expect(b.metrics().droppedReplaced).toBe(198);
  });

  it('drops frames older than maxAgeMs at flush and counts them', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 2, maxWaitMs: 50, maxAgeMs: 200, clock });
    b.push(frame(clock, 'old', 0));
    clock.advance(150);
    b.push(frame(clock, 'new', 0));
    clock.advance(100); // busy consumer: 'old' is now 250 ms old, 'new' 100 ms
    const batch = await b.next();
    expect(batch!.map((f) => f.camera)).toEqual(['new']);
    expect(b.metrics().droppedStale).toBe(1);
  });

  it('hands out leftovers at once when more cameras than maxBatch are pending', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 2, maxWaitMs: 50, maxAgeMs: 1000, clock });
    for (const c of ['a', 'b', 'c', 'd', 'e']) b.push(frame(clock, c, 0));
    const sizes = [];
    for (let i = 0; i < 3; i++) sizes.push((await b.next())!.length);
    expect(sizes).toEqual([2, 2, 1]);
    expect(b.metrics()).toMatchObject({ batches: 3, frames: 5, pending: 0 });
  });

  it('records inference time and ends its iterator on close', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 1, maxWaitMs: 50, maxAgeMs: 1000, clock });
    b.push(frame(clock, 'a', 0));
    const seen: number[] = [];
    const loop = (async () => { for await (const batch of b.batches()) { seen.push(batch.length); b.recordInference(40); } })();
    await new Promise((r) => setImmediate(r));
    b.close();
    await loop;
    expect(seen).toEqual([1]);
    expect(b.metrics().meanInferenceMs).toBe(40);
  });

  it('lossless mode (replay): offer() waits for the camera slot, and nothing is dropped however slow the consumer', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 2, maxWaitMs: 50, maxAgeMs: 100, clock, lossless: true });
    const produced: string[] = [];
    const producer = async (camera: string) => {
      for (let i = 0; i < 5; i++) { await b.offer(frame(clock, camera, i)); produced.push(`${camera}${i}`); }
    };
    const producers = Promise.all([producer('a'), producer('b')]);
    const seen: string[] = [];
    for (let n = 0; n < 5; n++) {
      clock.advance(1_000); // far beyond maxAgeMs: a slow detector
      const batch = await b.next();
      seen.push(...batch!.map((f) => `${f.camera}${f.seq}`));
      await new Promise((r) => setImmediate(r));
    }
    await producers;
    expect(seen).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4']);
    expect(b.metrics()).toMatchObject({ droppedReplaced: 0, droppedStale: 0 });
    expect(produced).toHaveLength(10);
  });

  it('frames let in by offer() wait maxWaitMs for other cameras instead of flushing alone', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 2, maxWaitMs: 50, maxAgeMs: 1000, clock, lossless: true });
    await b.offer(frame(clock, 'a', 0));
    const second = b.offer(frame(clock, 'a', 1));
    clock.advance(50);
    expect((await b.next())!.map((f) => f.seq)).toEqual([0]);
    await second;
    const next = b.next();
    expect(await settled(next)).toBeUndefined();
    b.push(frame(clock, 'b', 0));
    expect((await next)!.map((f) => f.camera)).toEqual(['a', 'b']);
  });

  it('serves the camera that has waited longest first, even when a newer frame replaced its pending one', async () => {
    const clock = new FakeClock();
    // One frame per batch: the detector can take one camera at a time.
    const b = createBatcher({ maxBatch: 1, maxWaitMs: 10, maxAgeMs: 10_000, clock });
    b.push(frame(clock, 'slow', 0));
    clock.advance(5);
    b.push(frame(clock, 'fast', 0));
    // 'slow' keeps sending fresher frames; its place in the queue is still that of its first pending frame.
    clock.advance(5);
    b.push(frame(clock, 'slow', 1));
    const first = await b.next();
    expect(first!.map((f) => `${f.camera}${f.seq}`)).toEqual(['slow1']);
    expect((await b.next())!.map((f) => f.camera)).toEqual(['fast']);
  });

  it('under overload, every camera gets the same share, however fast it sends frames', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 2, maxWaitMs: 20, maxAgeMs: 60_000, clock });
    const rates: Record<string, number> = { c1: 10, c2: 5, c3: 2, c4: 1 }; // frames per second each camera decodes
    const seq: Record<string, number> = { c1: 0, c2: 0, c3: 0, c4: 0 };
    // The detector takes 500 ms a batch of 2: 4 frames/s for 18 offered per second.
    for (let t = 0; t < 60_000; t += 500) {
      for (const [cam, fps] of Object.entries(rates)) {
        const every = 1000 / fps;
        for (let k = 0; k < 500; k += 100) if ((t + k) % every === 0) b.push({ ...frame(clock, cam, seq[cam]!++), capturedAt: clock.now() + k });
      }
      clock.advance(500);
      await b.next();
    }
    const served = b.metrics().servedByCamera;
    const counts = Object.keys(rates).map((c) => served[c] ?? 0);
    // c4 only has a frame once a second: it is served whenever it has one; the rest share the remainder evenly.
    expect(served.c4).toBeGreaterThanOrEqual(55);
    const others = counts.slice(0, 3);
    expect(Math.max(...others) - Math.min(...others)).toBeLessThanOrEqual(2);
    // Latency stays bounded: no frame handed out was older than two detector cycles.
    expect(b.metrics().maxQueueAgeMs).toBeLessThanOrEqual(1000);
  });

  it('orders a batch by capture time', async () => {
    const clock = new FakeClock();
    const b = createBatcher({ maxBatch: 3, maxWaitMs: 50, maxAgeMs: 10_000, clock });
    b.push({ ...frame(clock, 'x', 0), capturedAt: clock.now() + 30 });
    b.push({ ...frame(clock, 'y', 0), capturedAt: clock.now() + 10 });
    b.push({ ...frame(clock, 'z', 0), capturedAt: clock.now() + 20 });
    expect((await b.next())!.map((f) => f.camera)).toEqual(['y', 'z', 'x']);
  });

  it('rejects bad options naming the field', () => {
    expect(() => createBatcher({ maxBatch: 0, maxWaitMs: 1, maxAgeMs: 1, clock: new FakeClock() })).toThrow(ValidationError);
    expect(() => createBatcher({ maxBatch: 1, maxWaitMs: -1, maxAgeMs: 1, clock: new FakeClock() })).toThrow(/maxWaitMs/);
  });
});
