import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseCli } from './args.ts';
import { MediaError } from '../common/errors.ts';
import { buildFixtures, FIXTURES_DIR } from '../fixtures/compose/build.ts';

/**
 * `vigil fixtures [--only a,b]`: fetches vtest.avi (fixtures/fetch-vtest.sh)
 * and builds the composed clips with their truth files into fixtures/.cache/.
 * Idempotent: clips whose inputs did not change are kept.
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { only: { type: 'string' } }, false);
  const script = path.join(FIXTURES_DIR, 'fetch-vtest.sh');
  const code = await new Promise<number>((resolve, reject) => {
    const p = spawn('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', (err) => reject(new MediaError(script, 'cannot run', { cause: err })));
    p.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new MediaError(script, `exited with code ${code}`);
  const clips = await buildFixtures({
    only: values.only?.split(',').map((s) => s.trim()).filter(Boolean),
    log: (m) => process.stderr.write(`fixtures: ${m}\n`),
  });
  for (const c of clips) process.stdout.write(`${path.relative(process.cwd(), c.video)}${c.truth ? `\t${path.relative(process.cwd(), c.truth)}` : ''}\n`);
  return 0;
}
