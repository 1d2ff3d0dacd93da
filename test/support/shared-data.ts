import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The development data in ../shared/data (real crowd images with head points,
 * a real left-bag clip). It is never copied into the repository, so tests
 * that need it read it in place; on a machine without it they are skipped,
 * and say so.
 */
export const SHARED_DATA = path.resolve(import.meta.dirname, '../../../shared/data');
export const SHANGHAITECH = path.join(SHARED_DATA, 'crowd/shanghaitech-train');

export function sharedDataMissing(): boolean {
  const missing = !existsSync(SHANGHAITECH);
  if (missing) console.warn(`skipping: real crowd data not found at ${SHANGHAITECH}`);
  return missing;
}
