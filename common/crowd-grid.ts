/**
 * A camera's density map as it travels in the heartbeat: persons per cell on
 * a small grid spanning the frame, quantised to one byte a cell with the
 * scale alongside, base64. 32×32 cells cost about 1.4 kB a heartbeat; the
 * dashboard draws it over the camera's still, zone by zone. Shared by the edge
 * (encode) and the dashboard bundle (decode), so it imports nothing.
 */
export interface CrowdGrid {
  /** cells across and down; the grid spans the whole frame */
  w: number;
  h: number;
  /** persons per cell that byte 255 stands for */
  max: number;
  /** base64 of w×h bytes, row-major */
  data: string;
}

/** Sums a w0×h0 map into w×h cells (w0, h0 multiples of w, h), keeping the total. */
export function poolGrid(values: ArrayLike<number>, w0: number, h0: number, w: number, h: number): Float32Array {
  if (w0 % w !== 0 || h0 % h !== 0) throw new Error(`poolGrid: ${w0}×${h0} does not divide into ${w}×${h}`);
  const fx = w0 / w, fy = h0 / h;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h0; y++) for (let x = 0; x < w0; x++) out[Math.floor(y / fy) * w + Math.floor(x / fx)]! += Math.max(0, values[y * w0 + x]!);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + (i + 1 < bytes.length ? B64[(n >> 6) & 63]! : '=') + (i + 2 < bytes.length ? B64[n & 63]! : '=');
  }
  return s;
}

function fromBase64(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const n = (B64.indexOf(clean[i]!) << 18) | (B64.indexOf(clean[i + 1] ?? 'A') << 12) | (B64.indexOf(clean[i + 2] ?? 'A') << 6) | B64.indexOf(clean[i + 3] ?? 'A');
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function encodeCrowdGrid(values: ArrayLike<number>, w: number, h: number): CrowdGrid {
  let max = 0;
  for (let i = 0; i < w * h; i++) if (values[i]! > max) max = values[i]!;
  const bytes = new Uint8Array(w * h);
  if (max > 0) for (let i = 0; i < w * h; i++) bytes[i] = Math.max(0, Math.min(255, Math.round((values[i]! / max) * 255)));
  return { w, h, max: Math.round(max * 1e4) / 1e4, data: toBase64(bytes) };
}

/** Persons per cell again (to within max/510 a cell); null for anything malformed. */
export function decodeCrowdGrid(g: CrowdGrid): Float32Array | null {
  if (!(Number.isInteger(g.w) && Number.isInteger(g.h) && g.w > 0 && g.h > 0 && g.w * g.h <= 4096 && g.max >= 0)) return null;
  const bytes = fromBase64(g.data);
  if (bytes.length !== g.w * g.h) return null;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i]! / 255) * g.max;
  return out;
}
