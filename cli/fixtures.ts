import path from 'node:path';
import { parseCli } from './args.ts';
import { buildFixtures, fetchVtest } from '../fixtures/compose/build.ts';

/**
 * `vigil fixtures [--only a,b]`: fetches vtest.avi (fixtures/fetch-vtest.sh)
 * and builds the composed clips with their truth files into fixtures/.cache/.
 * Idempotent: clips whose inputs did not change are kept.
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { only: { type: 'string' } }, false);
  await fetchVtest();
  const clips = await buildFixtures({
    only: values.only?.split(',').map((s) => s.trim()).filter(Boolean),
    log: (m) => process.stderr.write(`fixtures: ${m}\n`),
  });
  for (const c of clips) process.stdout.write(`${path.relative(process.cwd(), c.video)}${c.truth ? `\t${path.relative(process.cwd(), c.truth)}` : ''}\n`);
  return 0;
}
