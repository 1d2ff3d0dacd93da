import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseCli } from './args.ts';
import { ConfigError, errorMessage } from '../common/errors.ts';
import { loadSiteConfig } from '../common/config/site.ts';
import { loadEdgeConfig } from '../common/config/edge.ts';
import { checkUserSites, inlineSecretWarnings, loadHubConfig, resolveHubSettings, type ResolvedHubUser } from '../common/config/hub.ts';
import { checkPasswordHash } from '../common/config/password-hash.ts';
import { checkConfig, resolveFrom } from '../common/config/load.ts';
import { createDispatchPolicy, type DispatchPolicyInput } from '../hub/dispatch/policy.ts';
import { drillsConfigSchema } from '../hub/drills/planner.ts';
import { notificationsConfigSchema, resolveWebhooks } from '../hub/notify/webhook-config.ts';
import { createAlarmPolicies } from '../hub/alarms/alarm-policy.ts';

/**
 * `vigil check-config <file...> [--kind site|edge|hub] [--json] [--schema-only] [--strict]`: validates any
 * Vigil config and prints every error with its path. The kind is recognised
 * from the file's top-level keys unless given. For a hub config, the secrets
 * it names by {env} or {file} are resolved too (skip with --schema-only where
 * they exist only in the deployment), so a missing one is caught before start-up.
 */
export type ConfigKind = 'site' | 'edge' | 'hub';

export function detectKind(value: unknown): ConfigKind | null {
  if (!value || typeof value !== 'object') return null;
  const keys = new Set(Object.keys(value));
  if (keys.has('edge')) return 'edge';
  if (keys.has('site')) return 'site';
  if (keys.has('users') || keys.has('database') || keys.has('jwt')) return 'hub';
  return null;
}

export function checkConfigFile(file: string, kind?: ConfigKind, schemaOnly = false): { kind: ConfigKind; summary: string; warnings: string[] } {
  let k = kind;
  if (!k) {
    let value: unknown;
    try {
      value = parseYaml(readFileSync(file, 'utf8'));
    } catch {
      // Unreadable or unparsable: let the site loader report it with its usual message.
      value = { site: null };
    }
    k = detectKind(value) ?? undefined;
    if (!k) throw new ConfigError(file, [{ path: '', message: 'cannot tell the kind of config (expected a top-level `site`, `edge` or `users`/`database` key); pass --kind' }]);
  }
  switch (k) {
    case 'site': {
      const s = loadSiteConfig(file);
      return { kind: k, summary: `site ${s.site.id}: ${s.cameras.length} cameras, ${s.cameras.reduce((n, c) => n + c.zones.length, 0)} zones, ${s.sensors.length} sensors, ${s.units.length} units`, warnings: inlineSecretWarnings(s) };
    }
    case 'edge': {
      const e = loadEdgeConfig(file);
      return { kind: k, summary: `edge ${e.config.edge.id} for site ${e.site.site.id} (${e.siteFile})`, warnings: inlineSecretWarnings(e.config) };
    }
    case 'hub': {
      const h = loadHubConfig(file);
      // --schema-only: secrets named by {file} or {env} live only where the hub runs (a container's /run/secrets).
      const siteFiles = h.sites.map((s) => resolveFrom(file, s));
      // The hub-ops blocks have their own schemas, checked here as at start-up.
      createDispatchPolicy((h.dispatch ?? {}) as DispatchPolicyInput, `${file} (dispatch)`);
      checkConfig(drillsConfigSchema, h.drills ?? {}, `${file} (drills)`);
      const warnings: string[] = [];
      let users: ResolvedHubUser[] = h.users.map((u) => ({ ...u, passwordHash: '' }));
      if (!schemaOnly) {
        const resolved = resolveHubSettings(h, file);
        warnings.push(...resolved.warnings);
        users = resolved.users.map((u) => ({ ...u, passwordHash: '' }));
      } else {
        // Without the secrets, the hashes written inline are still checked (a weak one is an error either way).
        const issues = h.users.flatMap((u, i) => {
          const inline = 'value' in u.passwordHash ? u.passwordHash.value : null;
          const c = inline === null ? {} : checkPasswordHash(inline);
          if (c.warning) warnings.push(`users.${i}.passwordHash: ${c.warning}`);
          return c.error ? [{ path: `users.${i}.passwordHash`, message: c.error }] : [];
        });
        if (issues.length) throw new ConfigError(file, issues);
        warnings.push(...inlineSecretWarnings(h));
      }
      const sites = siteFiles.map((siteFile) => loadSiteConfig(siteFile));
      checkUserSites(users, sites.map((s) => ({ id: s.site.id, units: s.units.map((u) => u.id) })), file);
      const hooks = checkConfig(notificationsConfigSchema, h.notifications ?? {}, `${file} (notifications)`).webhooks;
      if (!schemaOnly) resolveWebhooks(h.notifications, file);
      // Each site's alarm policy may only name webhooks this hub defines.
      createAlarmPolicies(sites, { webhooks: new Set(hooks.map((w) => w.id)) });
      return { kind: k, summary: `hub: ${'sqlite' in h.database ? 'sqlite' : 'postgres'}, ${siteFiles.length} sites, ${h.users.length} users`, warnings };
    }
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, { kind: { type: 'string' }, json: { type: 'boolean' }, 'schema-only': { type: 'boolean' }, strict: { type: 'boolean' } });
  if (positionals.length === 0) {
    process.stderr.write('usage: vigil check-config <file...> [--kind site|edge|hub] [--json] [--schema-only] [--strict]\n');
    return 2;
  }
  const kind = values.kind as ConfigKind | undefined;
  if (kind && !['site', 'edge', 'hub'].includes(kind)) {
    process.stderr.write(`vigil check-config: --kind must be site, edge or hub, not "${kind}"\n`);
    return 2;
  }
  let failed = 0;
  for (const file of positionals) {
    try {
      const r = checkConfigFile(file, kind, Boolean(values['schema-only']));
      // --strict: a warning (an inline secret, a hash below guidance) fails the file too.
      if (values.strict && r.warnings.length) failed++;
      if (values.json) process.stdout.write(JSON.stringify({ file, ok: true, kind: r.kind, summary: r.summary, warnings: r.warnings }) + '\n');
      else process.stdout.write(`ok   ${file}: ${r.summary}\n${r.warnings.map((w) => `  warn ${file}: ${w}\n`).join('')}`);
    } catch (err) {
      failed++;
      if (values.json) {
        const errors = err instanceof ConfigError ? err.issues.map((i) => ({ file: err.file, path: i.path, message: i.message })) : [{ file, path: '', message: errorMessage(err) }];
        process.stdout.write(JSON.stringify({ file, ok: false, errors }) + '\n');
      } else if (err instanceof ConfigError) {
        process.stdout.write(`FAIL ${file}\n${err.issues.map((i) => `  ${err.file}: ${i.path || '(root)'}: ${i.message}`).join('\n')}\n`);
      } else {
        process.stdout.write(`FAIL ${file}: ${errorMessage(err)}\n`);
      }
    }
  }
  return failed ? 1 : 0;
}
