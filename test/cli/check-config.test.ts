import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectKind } from '../../cli/check-config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const vigil = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vigil.js'), 'check-config', ...args], { encoding: 'utf8' });
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-check-'));
const write = (name: string, text: string) => { const f = path.join(dir, name); writeFileSync(f, text); return f; };

describe('vigil check-config', () => {
  it('recognises the kind of config from its keys', () => {
    expect(detectKind({ site: {}, cameras: [] })).toBe('site');
    expect(detectKind({ edge: {}, nats: {} })).toBe('edge');
    expect(detectKind({ users: [], jwt: {} })).toBe('hub');
    expect(detectKind({ nothing: 1 })).toBeNull();
  });

  it('passes the shipped site, edge and hub configs', () => {
    const r = vigil('fixtures/sites/demo.yaml', 'deploy/edge/site-a.yaml', 'deploy/sites/site-b.yaml');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok {3}fixtures\/sites\/demo.yaml: site demo: 1 cameras/);
    const hub = vigil('--schema-only', 'deploy/hub/hub.yaml');
    expect(hub.status, hub.stdout).toBe(0);
  });

  it('prints every error with its file and path, and exits 1', () => {
    const bad = write('bad-edge.yaml', 'edge:\n  id: "bad id"\n  site: nowhere.yaml\n  detect: { fps: -1 }\nnats: { servers: ["http://x"] }\n');
    const r = vigil(bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`FAIL ${bad}`);
    expect(r.stdout).toContain('edge.id');
    expect(r.stdout).toContain('edge.detect.fps');
    expect(r.stdout).toContain('nats.servers');
    const json = vigil('--json', bad);
    const line = JSON.parse(json.stdout.trim()) as { ok: boolean; errors: { file: string; path: string }[] };
    expect(line.ok).toBe(false);
    expect(line.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['edge.id', 'edge.detect.fps']));
  });

  it('names a missing site file and an unknown camera', () => {
    const missing = write('edge-missing-site.yaml', 'edge: { id: e1, site: nowhere.yaml }\nnats: { servers: [nats://127.0.0.1:4222] }\n');
    expect(vigil(missing).stdout).toMatch(/nowhere\.yaml.*cannot read file/s);
    const cam = write('edge-unknown-cam.yaml', `edge: { id: e1, site: ${path.join(ROOT, 'fixtures/sites/demo.yaml')}, cameras: [nope] }\nnats: { servers: [nats://127.0.0.1:4222] }\n`);
    expect(vigil(cam).stdout).toContain('edge.cameras.0: camera nope is not in');
  });

  it('checks the hub-ops dispatch and drills blocks too', () => {
    const f = write('hub-bad-ops.yaml', 'nats: {servers: [nats://127.0.0.1:4222]}\nusers: [{name: a, role: admin, passwordHash: x}]\njwt: {secret: x}\ndispatch: {ackTimeoutS: -5}\n');
    const r = vigil('--schema-only', f);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('(dispatch): ackTimeoutS');
  });

  it('refuses more stream replicas than NATS nodes, naming cluster.replicas', () => {
    const f = write('hub-replicas.yaml', 'nats: {servers: [nats://127.0.0.1:4222]}\nusers: [{name: a, role: admin, passwordHash: x}]\njwt: {secret: x}\ncluster: {nodes: 1, replicas: 3}\n');
    const r = vigil('--schema-only', f);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/cluster\.replicas: 3 replicas need at least 3 NATS nodes/);
    const ok = write('hub-replicas-ok.yaml', 'nats: {servers: [nats://127.0.0.1:4222]}\nusers: [{name: a, role: admin, passwordHash: x}]\njwt: {secret: x}\ncluster: {nodes: 3, replicas: 3}\n');
    expect(vigil('--schema-only', ok).stdout).not.toContain('cluster.replicas');
  });

  it('resolves hub secrets unless --schema-only, and reports a missing one by path', () => {
    const r = vigil('deploy/hub/hub.yaml');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('jwt.secret: cannot read secret file');
  });
});

describe('vigil check-config: secrets and hashes', () => {
  it('warns about every inline secret, and --strict fails on a warning', () => {
    const f = write('site-inline.yaml', [
      'site: { id: s1, name: S }',
      'cameras:',
      '  - { id: c1, source: { rtsp: "rtsp://admin:p@ss/w0rd@10.0.0.5/stream" } }',
      '  - { id: c2, source: { onvif: { host: 10.0.0.6, user: admin, password: "secret" } } }',
      'sensors:',
      '  - { id: p1, type: panic, via: webhook, token: "tok" }',
      '  - { id: p2, type: panic, via: webhook, token: { env: VIGIL_P2_TOKEN } }',
    ].join('\n'));
    const r = vigil(f);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('warn');
    expect(r.stdout).toMatch(/cameras\.0\.source\.rtsp: a password written into the URL/);
    expect(r.stdout).toMatch(/cameras\.1\.source\.onvif\.password: an inline secret/);
    expect(r.stdout).toMatch(/sensors\.0\.token: an inline secret/);
    expect(r.stdout).not.toMatch(/sensors\.1|w0rd|secret"|tok"/);
    expect(vigil('--strict', f).status).toBe(1);
    const json = JSON.parse(vigil('--json', f).stdout.trim()) as { ok: boolean; warnings: string[] };
    expect(json).toMatchObject({ ok: true });
    expect(json.warnings).toHaveLength(3);
  });

  it('refuses a weak password hash, with or without the secrets', () => {
    const weak = `scrypt$2$1$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;
    const f = write('hub-weak.yaml', `nats: {servers: [nats://127.0.0.1:4222]}\nusers: [{name: a, role: admin, passwordHash: "${weak}"}]\njwt: {secret: { env: VIGIL_CHECK_JWT }}\n`);
    for (const args of [['--schema-only', f], [f]]) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/vigil.js'), 'check-config', ...args], { encoding: 'utf8', env: { ...process.env, VIGIL_CHECK_JWT: 'x'.repeat(40) } });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toMatch(/users\.0\.passwordHash: scrypt N=2, r=1, p=1 is too weak/);
    }
  });
});
