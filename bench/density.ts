import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../cli/bench.ts';
import { createDetectorPool, type DetectorPool } from '../edge/detect/detector-pool.ts';
import { listAnnotatedImages, splitHeldOut } from '../edge/density/point-annotations.ts';
import { evaluateCounts } from '../edge/density/train/evaluate-counts.ts';
import type { Frame } from '../edge/types.ts';
import { measureVtestCounts, VTEST, zoneErrors } from '../fixtures/annotations/evaluate-vtest-counts.ts';

/**
 * density.*: the learned crowd-density head.
 *  - msPerFrame: the same frames through one worker with and without the
 *    density head, in this run; `headShare` is the extra cost over detection
 *    alone (the issue's bound: at most 0.25);
 *  - val*: count errors on the held-out split of ../shared/data (the last
 *    20 % of ShanghaiTech part_A and part_B by number, never trained on),
 *    through the deployed path (`vigil count`'s code), for the fused count
 *    and, as baselines in the same run, density alone and detection alone;
 *  - sparseZoneMae: per-zone error on the hand-annotated vtest frames.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHANGHAITECH = path.resolve(ROOT, '../shared/data/crowd/shanghaitech-train');
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

function frames(n: number): Frame[] {
  return Array.from({ length: n }, (_, i) => {
    const t = 3 + (i * 70) / n;
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-ss', t.toFixed(2), '-i', VTEST, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 24 });
    return { camera: 'bench', seq: i, width: 768, height: 576, data: new Uint8Array(raw), capturedAt: Date.now(), mediaTime: t, sourceWidth: 768, sourceHeight: 576 };
  });
}

async function timed(pool: DetectorPool, fs: Frame[], density: boolean): Promise<{ ms: number; headMs: number }> {
  await pool.detect([{ ...fs[0]!, data: fs[0]!.data.slice() }], { density });
  let total = 0, head = 0;
  for (const f of fs) {
    const [r] = await pool.detect([{ ...f, data: f.data.slice() }], { density });
    total += r!.inferenceMs;
    head += r!.densityMs ?? 0;
  }
  return { ms: total / fs.length, headMs: head / fs.length };
}

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const pool = await createDetectorPool({ workers: 1 });
  const out: Record<string, unknown> = { model: pool.hasDensity ? 'models/density.manifest.json' : 'absent' };
  try {
    if (!pool.hasDensity) return { density: { ...out, unavailable: 'no density model in models/: run vigil train density' } };
    const fs = frames(ctx.quick ? 4 : 12);
    // Alternate, best of each: other load on the machine only ever slows a run down.
    let off = Infinity, on = Infinity, head = Infinity;
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      ctx.log(`density: timing round ${i + 1}`);
      off = Math.min(off, (await timed(pool, fs, false)).ms);
      const t = await timed(pool, fs, true);
      on = Math.min(on, t.ms);
      head = Math.min(head, t.headMs);
    }
    out.msPerFrame = { detector: round(off), detectorWithDensity: round(on), head: round(head), headShare: round(head / off, 3), extraShare: round((on - off) / off, 3) };

    ctx.log('density: vtest hand annotation (sparse)');
    const vt = zoneErrors(await measureVtestCounts(pool));
    out.sparseZoneMae = round(vt.mae, 2);

    if (existsSync(SHANGHAITECH)) {
      const { val } = splitHeldOut(listAnnotatedImages(SHANGHAITECH));
      const sample = ctx.quick ? val.filter((_, i) => i % 7 === 0) : val;
      ctx.log(`density: held-out split, ${sample.length} images`);
      const ev = await evaluateCounts(pool, sample);
      const a = ev.summary.part_A, b = ev.summary.part_B;
      if (a) Object.assign(out, { valMaeA: a.fused.mae, valRelA: a.fused.rel });
      if (b) Object.assign(out, { valMaeB: b.fused.mae, valRelB: b.fused.rel });
      out.valImages = sample.length;
      out.valBaselines = Object.fromEntries(Object.entries(ev.summary).map(([ds, s]) => [ds, { densityOnly: s.density, detectionsOnly: s.detections }]));
    } else {
      out.val = `unavailable: ${SHANGHAITECH} not found`;
    }
  } finally {
    await pool.close();
  }
  return { density: out };
}
