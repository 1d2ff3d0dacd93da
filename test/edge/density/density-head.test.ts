import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../../common/errors.ts';
import { createDetectorPool } from '../../../edge/detect/detector-pool.ts';
import { DENSITY_FEATURE_CHANNELS, DENSITY_FEATURE_NODES } from '../../../edge/density/density-features.ts';
import { loadDensityHeadFiles, type DensityManifest } from '../../../edge/density/density-head.ts';

const MODELS = path.resolve(import.meta.dirname, '../../../models');
const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-density-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copyModels(name: string): string {
  const dir = path.join(tmp, name);
  for (const f of ['density.manifest.json', 'density-head.json', 'density-head.bin']) cpSync(path.join(MODELS, f), path.join(dir, f));
  return dir;
}

describe('the shipped density head', () => {
  it('has a manifest with sha256, input contract, provenance and validation figures', () => {
    const files = loadDensityHeadFiles();
    const m: DensityManifest = files.manifest;
    expect(m.input).toMatchObject({ channels: DENSITY_FEATURE_CHANNELS, grid: 64, modelInput: 512, nodes: DENSITY_FEATURE_NODES });
    expect(m.files.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.files.weights.bytes).toBe(files.weights.byteLength);
    expect(m.training).toMatchObject({ command: expect.stringContaining('vigil train density'), commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(m.validation).toHaveProperty('part_B');
    expect(m.validation).toHaveProperty('part_A');
  });

  it('an altered weight file is refused, naming the file and the expected sha256', () => {
    const dir = copyModels('altered');
    const bin = path.join(dir, 'density-head.bin');
    const bytes = readFileSync(bin);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(bin, bytes);
    const expected = (JSON.parse(readFileSync(path.join(dir, 'density.manifest.json'), 'utf8')) as DensityManifest).files.weights.sha256;
    let err: unknown;
    try { loadDensityHeadFiles({ dir }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('MODEL_CHECKSUM');
    expect((err as Error).message).toContain(bin);
    expect((err as Error).message).toContain(`expected ${expected}`);
  });

  it('a missing weight file is refused, naming it and its sha256', () => {
    const dir = copyModels('missing');
    rmSync(path.join(dir, 'density-head.bin'));
    expect(() => loadDensityHeadFiles({ dir })).toThrow(/density-head\.bin is missing \(expected sha256 [0-9a-f]{64}\)/);
  });

  it('a head trained on other backbone nodes is refused', () => {
    const dir = copyModels('contract');
    const mf = path.join(dir, 'density.manifest.json');
    const m = JSON.parse(readFileSync(mf, 'utf8')) as DensityManifest;
    m.input.nodes.stride8 = 'tower_0/CenternetHead/Relu';
    writeFileSync(mf, JSON.stringify(m));
    expect(() => loadDensityHeadFiles({ dir })).toThrow(/reads stride8 from tower_0\/CenternetHead\/Relu/);
  });

  it('a detector pool fails to start on altered weights rather than silently dropping density', async () => {
    const dir = copyModels('pool');
    writeFileSync(path.join(dir, 'density-head.bin'), Buffer.alloc(16));
    await expect(createDetectorPool({ workers: 1, density: { dir } })).rejects.toThrow(/sha256/);
  }, 60_000);
});
