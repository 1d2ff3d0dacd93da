import type { BBox } from '../../../common/geometry.ts';
import type { DecoderStatus, DetectionResult, Detector, DetectRequestOptions, Frame, FrameDecoder } from '../../../edge/types.ts';

/**
 * A decoder that yields `n` synthetic frames at `fps` media time, as fast as
 * they are pulled: black, with a white 16-px block that moves every frame
 * (so the change gate sees change) unless `still(seq)` holds it where it was.
 */
export function fakeDecoder(camera: string, n: number, opts: { fps?: number; width?: number; height?: number; gapMs?: number; still?: (seq: number) => boolean } = {}): FrameDecoder & { stopped: boolean } {
  const fps = opts.fps ?? 2, width = opts.width ?? 160, height = opts.height ?? 120;
  const state = { stopped: false };
  return {
    get stopped() { return state.stopped; },
    start() {},
    async stop() { state.stopped = true; },
    async *frames(): AsyncIterable<Frame> {
      let pos = 0;
      for (let seq = 0; seq < n && !state.stopped; seq++) {
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        else await Promise.resolve();
        if (seq > 0 && !opts.still?.(seq)) pos++;
        const data = new Uint8Array(width * height * 3);
        const bx = (pos * 8) % (width - 16), by = Math.floor((pos * 8) / (width - 16)) * 16 % (height - 16);
        for (let y = by; y < by + 16; y++) data.fill(255, (y * width + bx) * 3, (y * width + bx + 16) * 3);
        yield { camera, seq, width, height, data, capturedAt: Date.now(), mediaTime: seq / fps, sourceWidth: width * 4, sourceHeight: height * 4 };
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
