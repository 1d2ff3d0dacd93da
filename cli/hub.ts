import { createInterface } from 'node:readline';
import { parseCli, numberFlag } from './args.ts';
import { ValidationError } from '../common/errors.ts';

/**
 * `vigil hub --config hub.yaml [--port N]`: the hub process (JSON logs on stderr).
 * `vigil hub --hash-password`: reads a password from stdin (or VIGIL_PASSWORD)
 * and prints the scrypt hash to paste into hub.yaml `users[].passwordHash`.
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { config: { type: 'string', short: 'c' }, port: { type: 'string' }, 'hash-password': { type: 'boolean' } }, false);
  if (values['hash-password']) {
    const { hashPassword } = await import('../hub/auth/password.ts');
    const password = process.env.VIGIL_PASSWORD ?? (await readLine());
    if (!password) throw new ValidationError('password', 'empty; give it on stdin or in VIGIL_PASSWORD');
    process.stdout.write(`${await hashPassword(password)}\n`);
    return 0;
  }
  if (!values.config) throw new ValidationError('--config', 'is required: vigil hub --config hub.yaml');
  const port = numberFlag(values.port, '--port');
  const { startHubFromFile } = await import('../hub/hub-node.ts');
  const { createLogger } = await import('../common/log.ts');
  const logger = createLogger({ name: 'vigil-hub' });
  const hub = await startHubFromFile(values.config, { logger, ...(port !== undefined ? { port } : {}) });
  process.stdout.write(`${JSON.stringify({ hub: hub.url })}\n`);
  // SIGHUP re-reads the users: a removed or demoted user loses access on their next request.
  const onHup = () => { try { hub.reloadUsers(); } catch (err) { logger.error('users not reloaded; the previous ones stay', { err: (err as Error).message }); } };
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info('signal received; shutting down', { signal: sig });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.off('SIGHUP', onHup);
  await hub.stop();
  return 0;
}

function readLine(): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let got = '';
    rl.once('line', (l) => { got = l; rl.close(); });
    rl.once('close', () => resolve(got.trim()));
  });
}
