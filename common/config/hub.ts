import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { secretSchema } from './secret.ts';
import { natsConfigSchema } from './nats.ts';
import { loadConfigFile, readSecret, resolveFrom } from './load.ts';
import { checkPasswordHash } from './password-hash.ts';
import { findInlineSecrets } from './inline-secrets.ts';

/**
 * hub.yaml. Relative paths (sites, the SQLite file) are relative to this file.
 *
 * ```yaml
 * http: { host: 127.0.0.1, port: 8080 }
 * database: { sqlite: ./vigil-hub.db }
 * # or: database: { postgres: { url: { env: VIGIL_PG_URL }, schema: vigil } }
 * nats: { servers: [nats://127.0.0.1:4222], auth: { user: hub, password: { env: VIGIL_NATS_PASSWORD } } }
 * sites: [sites/metro.yaml]
 * correlationWindowS: 120
 * cors: { origins: [http://localhost:8080] }
 * jwt: { secret: { env: VIGIL_JWT_SECRET }, ttlS: 43200, accessTtlS: 900 }
 * users:
 *   - { name: olga, role: operator, sites: [north], passwordHash: "scrypt$131072$8$1$…" }   # vigil hub --hash-password
 *   - { name: team-a, role: unit, unit: team-a, passwordHash: { env: VIGIL_TEAM_A_HASH } }
 * auth: { maxConcurrentLogins: 2, maxAttemptsPerName: 5, maxAttemptsPerAddress: 20 }
 * retention: { alarmsDays: 90, snapshotsDays: 30, deadLettersDays: 30, auditDays: 730, exportDir: audit-export }
 * ```
 */
export const HUB_ROLES = ['operator', 'commander', 'engineer', 'unit', 'admin'] as const;

export const hubUserSchema = z.object({
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9._@-]+$/, 'must be letters, digits, ".", "_", "@" or "-"'),
  role: z.enum(HUB_ROLES),
  /** the unit a `unit` login belongs to */
  unit: z.string().min(1).max(64).optional(),
  /**
   * The sites this login may see (alarms, incidents, units, live view, the
   * stream). Absent: every site. A unit login sees its unit's site.
   */
  sites: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a site id')).min(1).max(256).optional(),
  /** scrypt hash from `vigil hub --hash-password` (inline, {env} or {file}) */
  passwordHash: secretSchema,
}).strict().refine((u) => u.role !== 'unit' || u.unit !== undefined, { message: 'a unit login needs `unit`', path: ['unit'] });

export const hubDatabaseSchema = z.union([
  z.object({ sqlite: z.string().min(1) }).strict(),
  z.object({
    postgres: z.object({
      /** postgres://user:pass@host/db; a secret because it may carry a password */
      url: secretSchema,
      schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_"').default('public'),
      poolSize: z.number().int().min(1).max(100).default(10),
    }).strict(),
  }).strict(),
]);

export const hubConfigSchema = z.object({
  http: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  }).strict().prefault({}),
  database: hubDatabaseSchema.default({ sqlite: 'vigil-hub.db' }),
  nats: natsConfigSchema,
  sites: z.array(z.string().min(1)).default([]),
  users: z.array(hubUserSchema).min(1, 'at least one user is needed to log in'),
  /** alarms of one site, zone and kind closer than this join one incident */
  correlationWindowS: z.number().positive().max(24 * 3600).default(120),
  cors: z.object({
    origins: z.array(z.string().regex(/^https?:\/\/[^*\s/]+$/, 'must be an exact origin like https://ops.example (no "*", no path)')).default([]),
  }).strict().prefault({}),
  jwt: z.object({
    /** HS256 key, at least 32 characters */
    secret: secretSchema,
    /** how long a login lasts: the refresh token's lifetime */
    ttlS: z.number().int().min(60).max(7 * 24 * 3600).default(12 * 3600),
    /** how long one access token lasts; each request is also checked against the user as configured now */
    accessTtlS: z.number().int().min(30).max(3600).default(900),
  }).strict(),
  /** logins: limits kept in the store, shared by every replica */
  auth: z.object({
    /** scrypt verifications at once on this hub; more are answered 429 at once */
    maxConcurrentLogins: z.number().int().min(1).max(64).default(2),
    /** login attempts per user name in a window before it is locked for lockS */
    maxAttemptsPerName: z.number().int().min(1).max(100).default(5),
    /** login attempts per client address in a window before it is locked for addressLockS */
    maxAttemptsPerAddress: z.number().int().min(1).max(10_000).default(20),
    windowS: z.number().int().min(10).max(24 * 3600).default(900),
    lockS: z.number().int().min(1).max(24 * 3600).default(300),
    addressLockS: z.number().int().min(1).max(24 * 3600).default(900),
    /** proxies whose X-Forwarded-For is believed (exact addresses); none by default */
    trustedProxies: z.array(z.string().min(1)).max(64).default([]),
  }).strict().prefault({}),
  /**
   * How long records are kept. The audit log is kept longest, and written to
   * exportDir (JSON lines with a SHA-256) before any of it is deleted.
   */
  retention: z.object({
    alarmsDays: z.number().positive().max(36_500).default(90),
    snapshotsDays: z.number().positive().max(36_500).default(30),
    deadLettersDays: z.number().positive().max(36_500).default(30),
    auditDays: z.number().positive().max(36_500).default(730),
    /** relative to this file */
    exportDir: z.string().min(1).default('audit-export'),
    intervalS: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
  }).strict().prefault({}).superRefine((r, ctx) => {
    const longest = Math.max(r.alarmsDays, r.snapshotsDays, r.deadLettersDays);
    if (r.auditDays < longest) ctx.addIssue({ code: 'custom', path: ['auditDays'], message: `must be at least the longest other retention (${longest} days): the audit is kept longest` });
  }),
  ingest: z.object({
    durable: z.string().regex(/^[A-Za-z0-9_-]+$/).default('vigil-hub'),
    maxBatch: z.number().int().min(1).max(5000).default(500),
    ackWaitFloorS: z.number().positive().default(30),
    ackWaitK: z.number().positive().default(10),
    maxDeliver: z.number().int().min(2).default(50),
  }).strict().prefault({}),
  /**
   * The NATS cluster the hub's streams live on: how many nodes it has, and how
   * many copies of the alarm stream, its consumer and the snapshot buckets to
   * keep (3 on a 3-node cluster, so one node's loss loses nothing).
   */
  cluster: z.object({
    nodes: z.number().int().min(1).max(32).default(1),
    /** this replica's name (logs, timer leases, event origin); @default a random id per start */
    instance: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    replicas: z.number().int().min(1).max(5).default(1),
    /** how long a replica holds a claimed due timer before another may take it */
    timerLeaseS: z.number().min(1).max(300).default(5),
    /** how often each replica looks for due timers, as well as its own wake-ups */
    timerPollMs: z.number().int().min(50).max(60_000).default(1000),
  }).strict().prefault({}).superRefine((c, ctx) => {
    if (c.replicas > c.nodes) ctx.addIssue({ code: 'custom', path: ['replicas'], message: `${c.replicas} replicas need at least ${c.replicas} NATS nodes; cluster.nodes is ${c.nodes}` });
  }),
  /** hub-ops dispatch policy; checked in full by hub/dispatch/policy.ts at start-up */
  dispatch: z.record(z.string(), z.unknown()).optional(),
  /** hub-ops drill rules; checked in full by hub/drills/planner.ts at start-up */
  drills: z.record(z.string(), z.unknown()).optional(),
  /** outbound webhooks; checked in full by hub/notify/webhook-config.ts at start-up */
  notifications: z.record(z.string(), z.unknown()).optional(),
  /** Prometheus: a bearer token that reads /metrics only (engineers' logins read it too) */
  metrics: z.object({
    /** e.g. { file: /run/secrets/metrics_token }; at least 24 characters */
    token: secretSchema.optional(),
  }).strict().prefault({}),
  /** the cameras' live view, relayed from the edges: the edges' key and where each edge's HTTP server is */
  liveView: z.object({
    /** the same secret as each edge's http.liveToken */
    token: secretSchema.optional(),
    /** edge id → its HTTP base URL; the hub fetches live pictures from these addresses only */
    edges: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.url({ protocol: /^https?$/ })).default({}),
  }).strict().prefault({}),
}).strict().superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.users.forEach((u, i) => {
    if (seen.has(u.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `duplicate user ${u.name}` });
    seen.add(u.name);
  });
});

export type HubConfig = z.infer<typeof hubConfigSchema>;

export function loadHubConfig(file: string): HubConfig {
  return loadConfigFile(hubConfigSchema, file);
}

/** Paths and secrets resolved against the config file; call once at start-up. Never log the result. */
export interface ResolvedHubSettings {
  database: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; connectionString: string; schema: string; poolSize: number };
  siteFiles: string[];
  jwtSecret: string;
  users: ResolvedHubUser[];
  /** things that work but should be fixed: weak hashes, inline secrets */
  warnings: string[];
}

export interface ResolvedHubUser { name: string; role: (typeof HUB_ROLES)[number]; unit?: string; sites?: readonly string[]; passwordHash: string }

export function resolveHubSettings(cfg: HubConfig, file: string): ResolvedHubSettings {
  const jwtSecret = readSecret(cfg.jwt.secret, 'jwt.secret', file) ?? '';
  if (jwtSecret.length < 32) throw new ConfigError(file, [{ path: 'jwt.secret', message: 'must be at least 32 characters' }]);
  const warnings: string[] = [];
  const errors: { path: string; message: string }[] = [];
  const users = cfg.users.map((u, i) => {
    const passwordHash = readSecret(u.passwordHash, `users.${i}.passwordHash`, file) ?? '';
    const check = checkPasswordHash(passwordHash);
    if (check.error) errors.push({ path: `users.${i}.passwordHash`, message: check.error });
    if (check.warning) warnings.push(`users.${i}.passwordHash: ${check.warning}`);
    return { name: u.name, role: u.role, ...(u.unit ? { unit: u.unit } : {}), ...(u.sites ? { sites: u.sites } : {}), passwordHash };
  });
  if (errors.length) throw new ConfigError(file, errors);
  warnings.push(...inlineSecretWarnings(cfg));
  const database = 'sqlite' in cfg.database
    ? { dialect: 'sqlite' as const, file: resolveFrom(file, cfg.database.sqlite) }
    : { dialect: 'postgres' as const, connectionString: readSecret(cfg.database.postgres.url, 'database.postgres.url', file) ?? '', schema: cfg.database.postgres.schema, poolSize: cfg.database.postgres.poolSize };
  return { database, siteFiles: cfg.sites.map((s) => resolveFrom(file, s)), jwtSecret, users, warnings };
}

/** One warning per credential written into a config file instead of `{ env }` or `{ file }`. */
export function inlineSecretWarnings(cfg: unknown): string[] {
  return findInlineSecrets(cfg).map((at) => (at.endsWith(' (a password in the URL)')
    ? `${at.slice(0, -' (a password in the URL)'.length)}: a password written into the URL; give it as password: { env: NAME } or { file: … } instead`
    : `${at}: an inline secret; use { env: NAME } or { file: /run/secrets/… } outside the demo`));
}

/** Every site a user is scoped to must be one the hub serves; a unit login's unit must be on one. */
export function checkUserSites(users: readonly ResolvedHubUser[], sites: readonly { id: string; units: readonly string[] }[], file: string): void {
  const known = new Set(sites.map((s) => s.id));
  const issues: { path: string; message: string }[] = [];
  users.forEach((u, i) => {
    (u.sites ?? []).forEach((s, j) => { if (!known.has(s)) issues.push({ path: `users.${i}.sites.${j}`, message: `site ${s} is not one of this hub's sites (${[...known].join(', ') || 'none'})` }); });
    if (u.role === 'unit' && u.unit && sites.length && !sites.some((s) => s.units.includes(u.unit!))) issues.push({ path: `users.${i}.unit`, message: `unit ${u.unit} is not in any site of this hub` });
  });
  if (issues.length) throw new ConfigError(file, issues);
}
