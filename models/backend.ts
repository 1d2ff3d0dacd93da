import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ModelError, ValidationError } from '../common/errors.ts';
import { silentLogger, type Logger } from '../common/log.ts';

export type BackendName = 'node' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = Object.freeze(['node', 'wasm', 'cpu']);

export interface BackendOptions {
  /** force one backend; defaults to VIGIL_TF_BACKEND, else the fastest that loads */
  prefer?: BackendName;
  logger?: Logger;
}

export function backendFromEnv(value = process.env.VIGIL_TF_BACKEND): BackendName | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) throw new ValidationError('VIGIL_TF_BACKEND', `expected one of ${BACKENDS.join('|')}, got "${value}"`);
  return value as BackendName;
}

async function tryNode(): Promise<boolean> {
  // Optional dependency: a native binding that is often absent (no prebuilt for the platform); import only inside try.
  const mod = '@tensorflow/tfjs-node';
  await import(/* @vite-ignore */ mod);
  return tf.setBackend('tensorflow');
}

async function tryWasm(): Promise<boolean> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  // The package's main file lives in dist/, next to the .wasm binaries; setWasmPaths wants a trailing slash.
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  // Plain path + emscripten's own fs read: Node's fetch cannot load file paths.
  wasm.setWasmPaths(dist + path.sep);
  return tf.setBackend('wasm');
}

async function tryCpu(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-cpu');
  return tf.setBackend('cpu');
}

const LOADERS: Record<BackendName, () => Promise<boolean>> = { node: tryNode, wasm: tryWasm, cpu: tryCpu };

/**
 * Picks the TF.js backend: tfjs-node (native TensorFlow) when it is installed,
 * else WASM with SIMD, else the pure-JS CPU backend. The choice is logged once
 * so that a slow edge can be explained from its log.
 */
export async function selectBackend(options: BackendOptions = {}): Promise<BackendName> {
  const log = options.logger ?? silentLogger;
  const forced = options.prefer ?? backendFromEnv();
  const order = forced ? [forced] : BACKENDS;
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (await LOADERS[name]()) {
        await tf.ready();
        log.info('tensorflow backend selected', { backend: name, forced: Boolean(forced), skipped: failures });
        return name;
      }
      failures.push(`${name}: setBackend returned false`);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new ModelError('BACKEND_UNAVAILABLE', `no TensorFlow.js backend could start (${failures.join('; ')})`);
}

export { tf };
