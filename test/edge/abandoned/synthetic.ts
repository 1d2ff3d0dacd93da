import type { BBox } from '../../../common/geometry.ts';
import type { Detection, DetectionResult, Frame } from '../../../edge/types.ts';

/**
 * Synthetic footage for the abandoned-object tests: a textured, noisy static
 * scene on which patches (objects, "people") are painted, with an optional
 * global gain and offset to imitate lighting changes.
 */
export interface Patch { box: BBox; rgb: [number, number, number]; textured?: boolean }

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
}

export function createScene(width = 384, height = 288, seed = 7) {
  const base = new Float32Array(width * height * 3);
  const r = rng(seed);
  // Smooth texture: a few sinusoids plus coarse blocks, like grass and paving.
  const blocks = Array.from({ length: 64 }, () => [60 + r() * 120, 60 + r() * 120, 60 + r() * 120]);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const b = blocks[((y >> 5) * 8 + (x >> 5)) % 64]!;
    const w = 12 * Math.sin(x / 7) * Math.cos(y / 11);
    const i = (y * width + x) * 3;
    base[i] = b[0]! + w; base[i + 1] = b[1]! + w; base[i + 2] = b[2]! + w;
  }
  // A table of noise read at a moving offset: cheap, and never the same twice in a row.
  const nr = rng(seed + 1);
  const table = Float32Array.from({ length: 65536 + 1 }, () => (nr() - 0.5) * 6);
  let phase = 0;
  return {
    width, height,
    frame(patches: readonly Patch[] = [], light: { gain?: number; offset?: number } = {}): Uint8Array {
      // Clamped, as a camera clips, rather than wrapped.
      const out = new Uint8ClampedArray(width * height * 3);
      const g = light.gain ?? 1, o = light.offset ?? 0;
      phase = (phase + 7919) & 65535;
      for (let i = 0; i < out.length; i++) out[i] = base[i]! * g + o + table[(i * 31 + phase) & 65535]!;
      for (const p of patches) {
        const [x1, y1, x2, y2] = p.box.map(Math.round) as [number, number, number, number];
        for (let y = Math.max(0, y1); y < Math.min(height, y2); y++) for (let x = Math.max(0, x1); x < Math.min(width, x2); x++) {
          const i = (y * width + x) * 3;
          const t = p.textured === false ? 0 : (((x >> 2) + (y >> 2)) & 1) * 40 - 20;
          for (let c = 0; c < 3; c++) out[i + c] = (p.rgb[c]! + t) * g + o + table[(i * 31 + c + phase) & 65535]!;
        }
      }
      return new Uint8Array(out.buffer);
    },
  };
}

export function frameAt(scene: { width: number; height: number }, data: Uint8Array, seq: number, mediaTime: number, source = { w: scene.width, h: scene.height }): Frame {
  return { camera: 'cam1', seq, width: scene.width, height: scene.height, data, capturedAt: Date.UTC(2026, 0, 1) + mediaTime * 1000, mediaTime, sourceWidth: source.w, sourceHeight: source.h };
}

export function person(box: BBox, score = 0.8): Detection {
  return { bbox: box, score, classId: 0, label: 'person' };
}

export function result(frame: Frame, detections: Detection[] = []): DetectionResult {
  return { frame, detections, inferenceMs: 0 };
}
