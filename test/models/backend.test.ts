import { afterEach, describe, expect, it } from 'vitest';
import { ModelError, ValidationError } from '../../common/errors.ts';
import { createLogger } from '../../common/log.ts';
import { backendFromEnv, selectBackend, tf } from '../../models/backend.ts';

const saved = process.env.VIGIL_TF_BACKEND;
afterEach(() => { if (saved === undefined) delete process.env.VIGIL_TF_BACKEND; else process.env.VIGIL_TF_BACKEND = saved; });

describe('backend selection', () => {
  it('VIGIL_TF_BACKEND overrides the choice, and the choice is logged', async () => {
    process.env.VIGIL_TF_BACKEND = 'cpu';
    const lines: string[] = [];
    const name = await selectBackend({ logger: createLogger({ name: 't', write: (l) => lines.push(l) }) });
    expect(name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'tensorflow backend selected', backend: 'cpu', forced: true });
  });

  it('without an override picks the fastest that loads (tfjs-node is optional; wasm otherwise)', async () => {
    delete process.env.VIGIL_TF_BACKEND;
    const name = await selectBackend();
    expect(['node', 'wasm']).toContain(name);
    expect(tf.getBackend()).toBe(name === 'node' ? 'tensorflow' : 'wasm');
  });

  it('a bad override names the variable; a forced backend that cannot load is a ModelError', async () => {
    expect(() => backendFromEnv('gpu')).toThrow(ValidationError);
    expect(() => backendFromEnv('gpu')).toThrow(/VIGIL_TF_BACKEND/);
    let nodeInstalled = true;
    try { await import('@tensorflow/tfjs-node' as string); } catch { nodeInstalled = false; }
    if (!nodeInstalled) await expect(selectBackend({ prefer: 'node' })).rejects.toThrow(ModelError);
  });
});
