import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const VTEST = path.resolve('fixtures/.cache/vtest.avi');

/** Broken inputs a user could hand us: made from vtest so they are realistic. */
export function brokenFiles(dir: string) {
  const garbage = path.join(dir, 'garbage.avi');
  writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
  // vtest's header with its FourCC changed to one no decoder knows.
  const unknown = path.join(dir, 'unknown-codec.avi');
  const bytes = readFileSync(VTEST).subarray(0, 400_000);
  writeFileSync(unknown, Buffer.from(bytes.toString('latin1').replaceAll('div3', 'zq9x').replaceAll('DIV3', 'ZQ9X'), 'latin1'));
  return { garbage, unknown, missing: path.join(dir, 'missing.avi') };
}
