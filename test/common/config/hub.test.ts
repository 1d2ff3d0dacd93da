import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../common/errors.ts';
import { loadHubConfig, resolveHubSettings } from '../../../common/config/hub.ts';
import { hashPassword, verifyPassword, createPasswordLogin } from '../../../hub/auth/password.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hubcfg-'));
function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const hashOf = (N: number, r = 8, p = 1) => `scrypt$${N}$${r}$${p}$c2FsdHNhbHRzYWx0c2FsdA==$` + Buffer.alloc(32, 1).toString('base64');
const HASH = hashOf(131072);
const BASE = ['nats: { servers: [nats://127.0.0.1:4222] }', 'jwt: { secret: "0123456789abcdef0123456789abcdef" }', 'users:', `  - { name: olga, role: operator, passwordHash: "${HASH}" }`];

describe('hub.yaml', () => {
  it('loads with defaults and resolves paths against the file', () => {
    const f = write('ok.yaml', [...BASE, 'sites: [sites/a.yaml]', 'database: { sqlite: data/hub.db }'].join('\n'));
    const cfg = loadHubConfig(f);
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 8080, bodyLimitBytes: 65536 });
    expect(cfg.correlationWindowS).toBe(120);
    expect(Object.isFrozen(cfg)).toBe(true);
    const s = resolveHubSettings(cfg, f);
    expect(s.database).toEqual({ dialect: 'sqlite', file: path.join(dir, 'data/hub.db') });
    expect(s.siteFiles).toEqual([path.join(dir, 'sites/a.yaml')]);
    expect(s.users[0]).toMatchObject({ name: 'olga', role: 'operator' });
  });

  it('names the file and the path of each mistake', () => {
    const f = write('bad.yaml', [...BASE, '  - { name: team, role: unit, passwordHash: "x" }', '  - { name: olga, role: pilot, passwordHash: "x" }', 'cors: { origins: ["*"] }', 'correlationWindowS: -1'].join('\n'));
    let err: ConfigError | undefined;
    try { loadHubConfig(f); } catch (e) { err = e as ConfigError; }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = err!.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['users.1.unit', 'users.2.role', 'cors.origins.0', 'correlationWindowS']));
    expect(err!.message).toContain(f);
  });

  it('refuses a short JWT secret or a password that is not a scrypt hash', () => {
    const short = write('short.yaml', BASE.map((l) => l.replace('0123456789abcdef0123456789abcdef', 'short')).join('\n'));
    expect(() => resolveHubSettings(loadHubConfig(short), short)).toThrow(/jwt\.secret: must be at least 32 characters/);
    const plain = write('plain.yaml', BASE.map((l) => l.replace(HASH, 'hunter2')).join('\n'));
    expect(() => resolveHubSettings(loadHubConfig(plain), plain)).toThrow(/users\.0\.passwordHash: must be a scrypt hash/);
  });

  it('reads secrets from the environment', () => {
    process.env.VIGIL_TEST_PG_URL = 'postgres://u:p@127.0.0.1/db';
    const f = write('pg.yaml', [...BASE, 'database: { postgres: { url: { env: VIGIL_TEST_PG_URL }, schema: vigil } }'].join('\n'));
    expect(resolveHubSettings(loadHubConfig(f), f).database).toEqual({ dialect: 'postgres', connectionString: 'postgres://u:p@127.0.0.1/db', schema: 'vigil', poolSize: 10 });
  });
});

describe('password hash strength and inline secrets', () => {
  it('refuses weak or ruinously costly scrypt parameters, and warns below current guidance', () => {
    const withHash = (name: string, h: string) => write(name, BASE.map((l) => l.replace(HASH, h)).join('\n'));
    for (const [h, msg] of [
      [hashOf(2), /too weak/], [hashOf(1024), /too weak/], [hashOf(16384, 1), /too weak/], [hashOf(3000), /power of two/],
      [hashOf(2 ** 20), /needs 1024 MiB per login/], ['scrypt$16384$8$1$c2FsdA==$' + Buffer.alloc(32).toString('base64'), /salt is 4 bytes/],
    ] as const) {
      const f = withHash('weak.yaml', h);
      expect(() => resolveHubSettings(loadHubConfig(f), f), h).toThrow(msg);
    }
    const old = withHash('old.yaml', hashOf(16384));
    expect(resolveHubSettings(loadHubConfig(old), old).warnings.filter((w) => /passwordHash/.test(w))).toEqual([expect.stringMatching(/users\.0\.passwordHash: scrypt N=16384, r=8, p=1 is below current guidance \(OWASP: N=2\^17/)]);
    expect(resolveHubSettings(loadHubConfig(write('good.yaml', BASE.join('\n'))), path.join(dir, 'good.yaml')).warnings.filter((w) => /passwordHash/.test(w))).toEqual([]);
  });

  it('keeps the audit longest: a retention shorter for it than for alarms is refused', () => {
    const f = write('ret.yaml', [...BASE, 'retention: { alarmsDays: 400, auditDays: 365 }'].join('\n'));
    expect(() => loadHubConfig(f)).toThrow(/retention\.auditDays: must be at least the longest other retention \(400 days\)/);
    const ok = write('ret-ok.yaml', BASE.join('\n'));
    expect(loadHubConfig(ok).retention).toEqual({ alarmsDays: 90, snapshotsDays: 30, deadLettersDays: 30, auditDays: 730, exportDir: 'audit-export', intervalS: 3600 });
  });

  it('warns about each credential written inline', () => {
    const f = write('inline.yaml', [...BASE, 'database: { postgres: { url: "postgres://vigil:hunter2@db/vigil" } }', 'nats: { servers: [nats://127.0.0.1:4222], auth: { user: hub, password: "pw" } }'].filter((l) => !l.startsWith('nats: { servers: [nats://127.0.0.1:4222] }')).join('\n'));
    const w = resolveHubSettings(loadHubConfig(f), f).warnings;
    expect(w).toEqual(expect.arrayContaining([expect.stringMatching(/^jwt\.secret: an inline secret/), expect.stringMatching(/^database\.postgres\.url: an inline secret/), expect.stringMatching(/^nats\.auth\.password: an inline secret/)]));
    expect(w.join('\n')).not.toMatch(/hunter2|passwordHash/);
  });
});

describe('password hashes', () => {
  it('verifies the right password only', async () => {
    const h = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
    await expect(hashPassword('short')).rejects.toThrow(/at least 8/);
    const login = createPasswordLogin([{ name: 'olga', role: 'operator', passwordHash: h }]);
    expect(await login('olga', 'correct horse')).toEqual({ name: 'olga', role: 'operator' });
    expect(await login('ghost', 'correct horse')).toBeNull();
  });
});
