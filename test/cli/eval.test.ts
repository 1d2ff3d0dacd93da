import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalClips } from '../../fixtures/compose/eval-set.ts';
import { evaluate } from '../../fixtures/compose/eval-run.ts';
import type { DetectionResult, Detector } from '../../edge/types.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const vigil = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vigil.js'), 'eval', ...args], { encoding: 'utf8', cwd: ROOT });

describe('vigil eval abandoned', () => {
  it('prints the per-clip table and totals, and the same as JSON', () => {
    const table = vigil('abandoned', '--recorded', '--only', 'negative-brief,abandoned-binbag-path');
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/clip\s+truth\s+TP\s+FP\s+FN\s+delay s/);
    expect(table.stdout).toMatch(/negative-brief\s+0\s+0\s+0\s+0\s+–\s+30\s+100\/100/);
    expect(table.stdout).toMatch(/abandoned-binbag-path\s+1\s+1\s+0\s+0\s+\d+\.\d\s+30\s+100\/100/);
    expect(table.stdout).toMatch(/total\s+1\s+1\s+0\s+0\s/);
    const json = vigil('abandoned', '--recorded', '--json', '--only', 'negative-brief');
    expect(json.status, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as { clips: { clip: string; frames: number; expectedFrames: number; falsePositives: number }[]; totals: { clips: number; frames: number } };
    expect(r.clips.map((c) => [c.clip, c.frames, c.expectedFrames, c.falsePositives])).toEqual([['negative-brief', 100, 100, 0]]);
    expect(r.totals).toMatchObject({ clips: 1, frames: 100 });
  }, 300_000);

  it('names what it cannot evaluate', () => {
    const r = vigil('crowds');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/what: expected "abandoned"/);
    const none = vigil('abandoned', '--recorded', '--only', 'no-such-clip');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/--only: no evaluation clip named no-such-clip/);
  }, 120_000);

  it('keeps what the pipeline logged as errors, so that a clip whose analyzers failed does not score clean', async () => {
    // Detections that are not a list make every analyzer throw on every frame: no alarm, so 0 FP, unless errors count.
    const broken: Detector = {
      name: 'broken', backend: 'none',
      async detect(frames) { return frames.map((frame) => ({ frame, detections: null, inferenceMs: 0 }) as unknown as DetectionResult); },
      async close() {},
    };
    const r = await evaluate(await evalClips(['negative-brief']), { detector: 'model', model: broken });
    expect(r.clips[0]!.falsePositives).toBe(0);
    expect(r.clips[0]!.errors.length).toBeGreaterThan(0);
    expect(r.clips[0]!.errors[0]).toMatch(/analyzer failed on a frame/);
    const ok = await evaluate(await evalClips(['negative-brief']), { detector: 'recorded' });
    expect(ok.clips[0]!.errors).toEqual([]);
  }, 120_000);
});
