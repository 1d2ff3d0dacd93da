import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadSiteConfig } from '../../../common/config/site.ts';
import { createFrameDecoder } from '../../../edge/decode/ffmpeg-decoder.ts';
import { createFileSource } from '../../../edge/decode/sources.ts';
import { createDetectorPool, type DetectorPool } from '../../../edge/detect/detector-pool.ts';
import { createEdgePipeline } from '../../../edge/pipeline/edge-pipeline.ts';
import { createMemorySink } from '../../../edge/pipeline/memory-sink.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VTEST = path.join(root, 'fixtures/.cache/vtest.avi');

describe('edge pipeline with the real decoder and detector (vtest cut)', () => {
  let dir: string;
  let clip: string;
  let pool: DetectorPool;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-pipeline-'));
    clip = path.join(dir, 'cut.avi');
    const ff = spawn('ffmpeg', ['-loglevel', 'error', '-y', '-t', '3', '-i', VTEST, '-c', 'copy', clip]);
    await new Promise<void>((res, rej) => ff.on('close', (c) => (c === 0 ? res() : rej(new Error(`ffmpeg exited ${c}`)))));
    pool = await createDetectorPool({ workers: 1 });
  }, 120_000);
  afterAll(async () => {
    await pool?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('replay detects and analyses every frame at detect fps, counting walkers in the vtest zones', async () => {
    const site = loadSiteConfig(path.join(root, 'fixtures/sites/vtest.yaml'));
    const camera = site.cameras[0]!;
    const seen: { seq: number; t: number; east: number; persons: number }[] = [];
    const p = createEdgePipeline({
      site: site.site.id, edgeId: 'test', mode: 'replay', detector: pool, sink: createMemorySink(),
      cameras: [{ config: camera, decoder: createFrameDecoder(createFileSource(camera.id, clip), { fps: 2, lossless: true }) }],
      onResult: (_c, r, crowd) => seen.push({ seq: r.frame.seq, t: r.frame.mediaTime, east: crowd.find((z) => z.zone === 'walkway-east')!.rawCount, persons: r.detections.filter((d) => d.classId === 0).length }),
    });
    p.start();
    const m = await p.done;
    expect(m.framesIn).toBe(6);
    expect(m.detected).toBe(6);
    expect(seen.map((s) => s.t)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    // The hand annotation has 2–4 people in the east zone over these seconds.
    for (const s of seen) {
      expect(s.persons).toBeGreaterThanOrEqual(2);
      expect(s.east).toBeGreaterThanOrEqual(1);
      expect(s.east).toBeLessThanOrEqual(5);
    }
    const stats = p.crowdStats()[camera.id]!;
    expect(stats.map((z) => z.zone)).toEqual(['walkway-west', 'walkway-east']);
    expect(stats.every((z) => z.frames === 6 && z.peakLos === 'A')).toBe(true);
  }, 120_000);
});
