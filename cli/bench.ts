import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseCli } from './args.ts';

/**
 * `vigil bench [--json] [--only name,name]`: runs every bench/<area>.ts module
 * in this one process and prints one JSON object. Each module exports
 * `bench(ctx)` returning a nested object merged under its own keys; ratios
 * (pool speed-up, etc.) are measured against a baseline run in the same process.
 */
export interface BenchContext {
  /** shorter runs, for a smoke test */
  quick: boolean;
  log(msg: string): void;
}

export type BenchModule = { bench(ctx: BenchContext): Promise<Record<string, unknown>> };

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench');

function merge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)) merge(cur as Record<string, unknown>, v as Record<string, unknown>);
    else into[k] = v;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { json: { type: 'boolean' }, only: { type: 'string' }, quick: { type: 'boolean' } }, false);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const files = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();
  const result: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };
  const ctx: BenchContext = { quick: Boolean(values.quick), log: (m) => process.stderr.write(`bench: ${m}\n`) };
  let failed = 0;
  for (const f of files) {
    const name = f.replace(/\.ts$/, '');
    if (only && !only.has(name)) continue;
    ctx.log(`${name}…`);
    try {
      const mod = (await import(pathToFileURL(path.join(benchDir, f)).href)) as BenchModule;
      merge(result, await mod.bench(ctx));
    } catch (err) {
      failed++;
      merge(result, { errors: { [name]: (err as Error).message } });
      ctx.log(`${name} failed: ${(err as Error).stack}`);
    }
  }
  process.stdout.write(JSON.stringify(result, null, values.json ? 0 : 2) + '\n');
  return failed ? 1 : 0;
}
