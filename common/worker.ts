import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a TypeScript module. Workers do not inherit tsx's
 * in-process loader, so it is passed again through execArgv.
 */
export function startTsWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const execArgv = [...(options.execArgv ?? process.execArgv.filter((a) => !a.startsWith('--input-type'))), '--import', 'tsx'];
  return new Worker(moduleUrl, { ...options, execArgv });
}
