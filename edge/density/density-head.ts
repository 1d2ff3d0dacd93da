import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../../common/errors.ts';
import { tf } from '../../models/backend.ts';
import { DENSITY_FEATURE_CHANNELS, DENSITY_FEATURE_NODES } from './density-features.ts';
import { GRID } from './density-grid.ts';

/**
 * The learned density head: a few convolutions over the backbone features
 * (edge/density/density-features.ts) that regress persons per stride-8 cell.
 * It is trained by this project (`vigil train density`) and ships in
 * `models/` with a manifest holding each file's sha256, like the detector.
 *
 * Files: `<name>.json` describes the layers and the weights' layout (the same
 * `weightsManifest` shape TF.js uses), `<name>.bin` holds float32 weights.
 */
export interface DensityManifest {
  name: string;
  description: string;
  files: { spec: ManifestFile; weights: ManifestFile };
  input: { nodes: Record<string, string>; channels: number; grid: number; modelInput: number };
  output: { unit: string; grid: number };
  training: Record<string, unknown>;
  validation: Record<string, unknown>;
  licence: string;
}
interface ManifestFile { path: string; sha256: string; bytes: number }

export interface LayerSpec {
  name: string;
  /** square kernel side */
  kernel: number;
  inChannels: number;
  outChannels: number;
  dilation: number;
  activation: 'relu' | 'linear';
}

export interface HeadSpec {
  format: 'vigil-density-head/1';
  layers: LayerSpec[];
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

/** Plain data, so that it can be posted to detector worker threads. */
export interface DensityHeadFiles {
  manifest: DensityManifest;
  spec: HeadSpec;
  weights: ArrayBuffer;
}

const MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');
export const DENSITY_MODEL = 'density';

function verified(dir: string, file: ManifestFile): Buffer {
  const full = path.join(dir, file.path);
  if (!existsSync(full)) throw new ModelError('MODEL_MISSING', `density model file ${full} is missing (expected sha256 ${file.sha256}); restore it from the repository or retrain it with \`vigil train density\``);
  const data = readFileSync(full);
  const sha = createHash('sha256').update(data).digest('hex');
  if (sha !== file.sha256) throw new ModelError('MODEL_CHECKSUM', `density model file ${full} has sha256 ${sha}, expected ${file.sha256}; it is altered or from another training run: restore it, or retrain and re-register it with \`vigil train density\``);
  return data;
}

/** Reads and checks the head's files; `dir` defaults to the repository's models/ (tests pass a copy to corrupt). */
export function loadDensityHeadFiles(options: { dir?: string; name?: string } = {}): DensityHeadFiles {
  const dir = options.dir ?? MODELS_DIR;
  const manifestFile = path.join(dir, `${options.name ?? DENSITY_MODEL}.manifest.json`);
  if (!existsSync(manifestFile)) throw new ModelError('MODEL_UNKNOWN', `no density model manifest at ${manifestFile}; train one with \`vigil train density --data DIR\``);
  let manifest: DensityManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DensityManifest;
  } catch (err) {
    throw new ModelError('MODEL_MANIFEST', `cannot read density manifest ${manifestFile}: ${(err as Error).message}`, { cause: err });
  }
  const specBytes = verified(dir, manifest.files.spec);
  const weights = verified(dir, manifest.files.weights);
  let spec: HeadSpec;
  try {
    spec = JSON.parse(specBytes.toString('utf8')) as HeadSpec;
  } catch (err) {
    throw new ModelError('MODEL_CORRUPT', `density head spec ${path.join(dir, manifest.files.spec.path)} is not JSON`, { cause: err });
  }
  if (spec.format !== 'vigil-density-head/1') throw new ModelError('MODEL_CORRUPT', `density head spec ${manifest.files.spec.path}: unknown format ${String(spec.format)}`);
  if (manifest.input.channels !== DENSITY_FEATURE_CHANNELS || manifest.input.grid !== GRID) {
    throw new ModelError('MODEL_CONTRACT', `density model ${manifest.name} expects ${manifest.input.channels} channels on a ${manifest.input.grid}² grid; this build feeds ${DENSITY_FEATURE_CHANNELS} on ${GRID}²: retrain it`);
  }
  for (const [k, node] of Object.entries(DENSITY_FEATURE_NODES)) {
    if (manifest.input.nodes[k] !== node) throw new ModelError('MODEL_CONTRACT', `density model ${manifest.name} reads ${k} from ${manifest.input.nodes[k]}, this build from ${node}: retrain it`);
  }
  return { manifest, spec, weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer };
}

export interface DensityHead {
  readonly name: string;
  /** features [n, 64, 64, C] → persons per cell [n, 64, 64] */
  apply(features: tf.Tensor4D): tf.Tensor3D;
  dispose(): void;
}

/** Builds the head's tensors on the current backend. */
export function createDensityHead(files: DensityHeadFiles): DensityHead {
  const specs = files.spec.weightsManifest.flatMap((m) => m.weights);
  const named = new Map<string, tf.Tensor>();
  let offset = 0;
  for (const w of specs) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if ((offset + n) * 4 > files.weights.byteLength) throw new ModelError('MODEL_CORRUPT', `density weights end before ${w.name} (${files.weights.byteLength} bytes)`);
    named.set(w.name, tf.tensor(new Float32Array(files.weights, offset * 4, n), w.shape, 'float32'));
    offset += n;
  }
  const layers = files.spec.layers.map((l) => {
    const kernel = named.get(`${l.name}/kernel`) as tf.Tensor4D | undefined;
    const bias = named.get(`${l.name}/bias`) as tf.Tensor1D | undefined;
    if (!kernel || !bias) throw new ModelError('MODEL_CORRUPT', `density head layer ${l.name} has no kernel or bias`);
    const shape = [l.kernel, l.kernel, l.inChannels, l.outChannels];
    if (kernel.shape.join() !== shape.join()) throw new ModelError('MODEL_CORRUPT', `density head layer ${l.name}: kernel ${kernel.shape.join('×')}, expected ${shape.join('×')}`);
    return { ...l, kernelT: kernel, biasT: bias };
  });
  return {
    name: files.manifest.name,
    apply(features) {
      return tf.tidy(() => {
        let x: tf.Tensor4D = features;
        for (const l of layers) {
          x = tf.fused.conv2d({ x, filter: l.kernelT, strides: 1, pad: 'same', dilations: l.dilation, bias: l.biasT, activation: l.activation === 'relu' ? 'relu' : 'linear' });
        }
        return tf.squeeze(x, [3]) as tf.Tensor3D;
      });
    },
    dispose() {
      for (const t of named.values()) t.dispose();
    },
  };
}
