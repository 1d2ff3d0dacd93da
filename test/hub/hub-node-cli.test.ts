import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashPassword, verifyPassword } from '../../hub/auth/password.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const vigil = (args: string[], env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/vigil.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60_000 });

describe('vigil hub (command line)', () => {
  it('hashes a password from stdin for hub.yaml', async () => {
    const r = vigil(['hub', '--hash-password'], {}, 'a long enough password\n');
    expect(r.status).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
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
  it('checks the drills and dispatch sections in full at start-up, naming the file and field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hubcli-'));
    try {
      const hash = await hashPassword('operator-password', { N: 16384, r: 8, p: 1 });
      const base = [
        'http: { host: 127.0.0.1, port: 0 }',
        'database: { sqlite: ./hub.db }',
        'nats: { servers: ["nats://127.0.0.1:1"] }',
        'jwt: { secret: "a-test-secret-that-is-at-least-32-chars" }',
        'users:',
        `  - { name: olga, role: operator, passwordHash: "${hash}" }`,
      ];
      const file = path.join(dir, 'hub.yaml');
      writeFileSync(file, [...base, 'drills: { enabled: "no", dayStart: "25:00" }'].join('\n'));
      let r = vigil(['hub', '--config', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/hub\.yaml \(drills\).*enabled/s);
      writeFileSync(file, [...base, 'dispatch: { ackTimeoutS: "soon" }'].join('\n'));
      r = vigil(['hub', '--config', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/hub\.yaml \(dispatch\).*ackTimeoutS/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
