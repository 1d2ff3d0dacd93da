import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../common/errors.ts';
import { COCO, COCO_LABELS } from '../../models/coco-labels.ts';
import { loadModelFiles, readManifest, resolvePackageDir } from '../../models/loader.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the installed package's model files, to corrupt. */
function copyPackage(name: string): string {
  const src = resolvePackageDir('@vladmandic/human')!;
  const dir = path.join(tmp, name);
  cpSync(path.join(src, 'models', 'centernet.json'), path.join(dir, 'models', 'centernet.json'));
  cpSync(path.join(src, 'models', 'centernet.bin'), path.join(dir, 'models', 'centernet.bin'));
  writeFileSync(path.join(dir, 'package.json'), '{}');
  return dir;
}

describe('model loader', () => {
  it('reads the installed package and checks both files', async () => {
    const files = await loadModelFiles('centernet');
    expect(files.manifest.registry.package).toBe('@vladmandic/human');
    expect(files.manifest.licence).toBe('MIT');
    expect(files.manifest.input.size).toBe(512);
    expect(files.weightData.byteLength).toBe(files.manifest.files.weights.bytes);
    expect(files.weightSpecs.length).toBeGreaterThan(10);
  });

  it('the manifest classes and the exported labels are the same COCO-80 list', () => {
    const m = readManifest('centernet');
    expect(m.classes).toEqual([...COCO_LABELS]);
    expect(COCO_LABELS).toHaveLength(80);
    expect([COCO_LABELS[COCO.person], COCO_LABELS[COCO.backpack], COCO_LABELS[COCO.handbag], COCO_LABELS[COCO.suitcase]]).toEqual(['person', 'backpack', 'handbag', 'suitcase']);
  });

  it('names the file whose checksum is wrong', async () => {
    const dir = copyPackage('corrupt');
    const bin = path.join(dir, 'models', 'centernet.bin');
    const bytes = readFileSync(bin);
    bytes[1000] = bytes[1000]! ^ 0xff;
    writeFileSync(bin, bytes);
    const err = await loadModelFiles('centernet', { packageDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('MODEL_CHECKSUM');
    expect((err as Error).message).toContain(bin);
    expect((err as Error).message).toContain('npm install @vladmandic/human');
  });

  it('names a missing file', async () => {
    const dir = copyPackage('partial');
    rmSync(path.join(dir, 'models', 'centernet.json'));
    await expect(loadModelFiles('centernet', { packageDir: dir })).rejects.toThrow(/centernet\.json is missing.*npm install @vladmandic\/human/);
  });

  it('tells which package to install when it is absent', async () => {
    const err = await loadModelFiles('centernet', { packageDir: path.join(tmp, 'nope') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('MODEL_PACKAGE_MISSING');
    expect((err as Error).message).toContain('npm install @vladmandic/human');
    expect(resolvePackageDir('@vigil/definitely-not-installed')).toBeNull();
  });

  it('rejects an unknown model name', () => {
    expect(() => readManifest('yolo-nope')).toThrow(ModelError);
  });
});
