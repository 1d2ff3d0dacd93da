import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { verifyPassword } from '../../hub/auth/password.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const vigil = (args: string[], env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/vigil.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60_000 });

describe('vigil hub (command line)', () => {
  it('hashes a password from stdin for hub.yaml', async () => {
    const r = vigil(['hub', '--hash-password'], {}, 'a long enough password\n');
    expect(r.status).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('a long enough password', hash)).toBe(true);
  });
  it('names the missing --config and a bad config file', () => {
    let r = vigil(['hub']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--config: is required/);
    r = vigil(['hub', '--config', '/nonexistent/hub.yaml']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/nonexistent\/hub\.yaml.*cannot read file/s);
  });
});
