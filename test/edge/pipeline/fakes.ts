import type { BBox } from '../../../common/geometry.ts';
import type { DecoderStatus, DetectionResult, Detector, DetectRequestOptions, Frame, FrameDecoder } from '../../../edge/types.ts';

/** A decoder that yields `n` synthetic frames at `fps` media time, as fast as they are pulled. */
export function fakeDecoder(camera: string, n: number, opts: { fps?: number; width?: number; height?: number; gapMs?: number } = {}): FrameDecoder & { stopped: boolean } {
  const fps = opts.fps ?? 2, width = opts.width ?? 160, height = opts.height ?? 120;
  const state = { stopped: false };
  return {
    get stopped() { return state.stopped; },
    start() {},
    async stop() { state.stopped = true; },
    async *frames(): AsyncIterable<Frame> {
      for (let seq = 0; seq < n && !state.stopped; seq++) {
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        else await Promise.resolve();
        yield { camera, seq, width, height, data: new Uint8Array(width * height * 3), capturedAt: Date.now(), mediaTime: seq / fps, sourceWidth: width * 4, sourceHeight: height * 4 };
      }
    },
    async *status(): AsyncIterable<DecoderStatus> { yield { type: 'started', camera, attempt: 1 }; },
  };
}

/** A detector that returns `persons(frame)` boxes (frame pixels), optionally slowly; records the options it was given. */
export function fakeDetector(persons: (f: Frame) => BBox[], delayMs: number | ((f: Frame) => number) = 0): Detector & { calls: { camera: string; seq: number; options?: DetectRequestOptions }[] } {
  const calls: { camera: string; seq: number; options?: DetectRequestOptions }[] = [];
  return {
    name: 'fake', backend: 'none', calls,
    async detect(frames, options) {
      const ms = typeof delayMs === 'number' ? delayMs : Math.max(...frames.map(delayMs));
      if (ms) await new Promise((r) => setTimeout(r, ms));
      return frames.map((frame): DetectionResult => {
        calls.push({ camera: frame.camera, seq: frame.seq, ...(options ? { options } : {}) });
        return { frame, detections: persons(frame).map((bbox) => ({ bbox, score: 0.9, classId: 0, label: 'person' })), inferenceMs: ms };
      });
    },
    async close() {},
  };
}

/** `n` person boxes standing in a row at the bottom half of a 160×120 frame. */
export function row(n: number): BBox[] {
  return Array.from({ length: n }, (_, i) => [2 + (i % 50) * 3, 60, 5 + (i % 50) * 3, 100] as BBox);
}
