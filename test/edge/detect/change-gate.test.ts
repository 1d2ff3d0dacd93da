import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createChangeGate, type GateDecision } from '../../../edge/detect/change-gate.ts';
import type { Frame } from '../../../edge/types.ts';
import { decodeFrames } from '../../../fixtures/compose/decode-frames.ts';
import { SHARED_DATA } from '../../support/shared-data.ts';

const ABODA = path.join(SHARED_DATA, 'abandoned/aboda-video4.avi');
const VTEST = path.resolve(import.meta.dirname, '../../../fixtures/.cache/vtest.avi');

async function decisions(file: string, gate = createChangeGate()): Promise<{ t: number; d: GateDecision }[]> {
  const out: { t: number; d: GateDecision }[] = [];
  for await (const f of decodeFrames(file, { fps: 2, width: 768 })) out.push({ t: f.mediaTime, d: gate.decide(f) });
  return out;
}

describe('change gate on real footage', { timeout: 120_000 }, () => {
  it('detects every frame of a busy walkway (vtest: people always moving)', async () => {
    const ds = await decisions(VTEST);
    expect(ds.length).toBeGreaterThan(150);
    expect(ds.filter((x) => x.d.detect).length / ds.length).toBeGreaterThan(0.97);
  });

  it.skipIf(!existsSync(ABODA))('skips the quiet stretches of a street, detects when someone walks in, and refreshes a still scene every maxIntervalS', async () => {
    const ds = await decisions(ABODA, createChangeGate({ maxIntervalS: 3 }));
    const at = (t: number) => ds.find((x) => Math.abs(x.t - t) < 0.01)!.d;
    // 4–6.5 s and 23.5–27.5 s: nobody moves (the man has left, the bag lies still).
    expect(at(5).detect).toBe(false);
    expect(ds.filter((x) => x.t >= 23.5 && x.t <= 27.5 && x.d.reason === 'refresh').length).toBeGreaterThanOrEqual(1);
    expect(ds.filter((x) => x.t >= 23.5 && x.t <= 27.5 && x.d.reason === 'still').length).toBeGreaterThanOrEqual(5);
    // The man carrying the bag in (11–13 s) and walking away (19–22 s) is change.
    for (const t of [11, 12, 20, 21]) expect(at(t)).toMatchObject({ detect: true, reason: 'change' });
    // Never more than maxIntervalS of media time without a detection.
    let last = 0;
    for (const x of ds) { if (x.d.detect) { expect(x.t - last).toBeLessThanOrEqual(3.01); last = x.t; } }
  });

  it('ignores a global brightness change (auto-exposure), but not a person-sized change', () => {
    const W = 320, H = 240;
    const frame = (t: number, f: (x: number, y: number) => number): Frame => {
      const data = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(f(x, y), (y * W + x) * 3, (y * W + x) * 3 + 3);
      return { camera: 'c', seq: t, width: W, height: H, data, capturedAt: t * 1000, mediaTime: t, sourceWidth: W, sourceHeight: H };
    };
    const gate = createChangeGate();
    const base = (x: number, y: number) => 60 + ((x * 7 + y * 13) % 90);
    expect(gate.decide(frame(0, base)).reason).toBe('first');
    expect(gate.decide(frame(0.5, (x, y) => base(x, y) + 40)).detect).toBe(false);
    const person = (x: number, y: number) => (x > 100 && x < 120 && y > 80 && y < 140 ? 250 : base(x, y));
    expect(gate.decide(frame(1, person))).toMatchObject({ detect: true, reason: 'change' });
    expect(gate.counts()).toEqual({ detected: 2, gated: 1 });
  });

  it('refuses bad options by name', () => {
    expect(() => createChangeGate({ maxIntervalS: 0 })).toThrow(/gate\.maxIntervalS/);
    expect(() => createChangeGate({ cellDelta: 300 })).toThrow(/gate\.cellDelta/);
  });
});
