import type { Detection, DetectionResult, Detector, Frame } from '../types.ts';

/**
 * A Detector that replays detections recorded earlier from the real model
 * (fixtures/compose/record-detections.ts), so that evaluations and tests run
 * the whole pipeline (decoder, analyzers, scoring) in seconds instead of
 * minutes. `lookup` gets the frame's media time and returns boxes in pixels of
 * a frame `width` wide; they are scaled to the frame actually decoded.
 */
export function createRecordedDetector(lookup: (mediaTime: number) => readonly Detection[], recordedWidth: number): Detector {
  return {
    name: 'recorded',
    backend: 'none',
    async detect(frames: readonly Frame[]): Promise<DetectionResult[]> {
      return frames.map((frame) => {
        const k = frame.width / recordedWidth;
        const detections = lookup(frame.mediaTime).map((d) => ({ ...d, bbox: [d.bbox[0] * k, d.bbox[1] * k, d.bbox[2] * k, d.bbox[3] * k] as const }));
        return { frame, detections, inferenceMs: 0 };
      });
    },
    async close() {},
  };
}
