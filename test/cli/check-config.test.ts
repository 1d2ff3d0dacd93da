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

  it('resolves hub secrets unless --schema-only, and reports a missing one by path', () => {
    const r = vigil('deploy/hub/hub.yaml');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('jwt.secret: cannot read secret file');
  });
});
