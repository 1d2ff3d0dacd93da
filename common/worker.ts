import { Worker, type WorkerOptions } from 'node:worker_threads';

const TSX_API = import.meta.resolve('tsx/esm/api');

/**
 * Starts a worker thread on a TypeScript module. Workers do not inherit tsx's
 * in-process loader, and on Node 20 `--import tsx` in a worker's execArgv does
 * not reach the worker's module loader either, so a tiny bootstrap registers
 * tsx inside the worker before importing the module.
 */
export function startTsWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const boot = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  const execArgv = options.execArgv ?? process.execArgv.filter((a) => !a.startsWith('--input-type'));
  return new Worker(boot, { ...options, execArgv, eval: true });
}
