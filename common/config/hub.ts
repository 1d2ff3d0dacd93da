import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { secretSchema } from './secret.ts';
import { natsConfigSchema } from './nats.ts';
import { loadConfigFile, readSecret, resolveFrom } from './load.ts';

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
 * jwt: { secret: { env: VIGIL_JWT_SECRET }, ttlS: 43200 }
 * users:
 *   - { name: olga, role: operator, passwordHash: "scrypt$16384$8$1$…" }   # vigil hub --hash-password
 *   - { name: team-a, role: unit, unit: team-a, passwordHash: { env: VIGIL_TEAM_A_HASH } }
 * ```
 */
export const HUB_ROLES = ['operator', 'commander', 'engineer', 'unit', 'admin'] as const;

const PASSWORD_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

export const hubUserSchema = z.object({
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9._@-]+$/, 'must be letters, digits, ".", "_", "@" or "-"'),
  role: z.enum(HUB_ROLES),
  /** the unit a `unit` login belongs to */
  unit: z.string().min(1).max(64).optional(),
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
    ttlS: z.number().int().min(60).max(7 * 24 * 3600).default(12 * 3600),
  }).strict(),
  ingest: z.object({
    durable: z.string().regex(/^[A-Za-z0-9_-]+$/).default('vigil-hub'),
    maxBatch: z.number().int().min(1).max(5000).default(500),
    ackWaitFloorS: z.number().positive().default(30),
    ackWaitK: z.number().positive().default(10),
    maxDeliver: z.number().int().min(2).default(50),
  }).strict().prefault({}),
  /** hub-ops dispatch policy; checked in full by hub/dispatch/policy.ts at start-up */
  dispatch: z.record(z.string(), z.unknown()).optional(),
  /** hub-ops drill rules; checked in full by hub/drills/planner.ts at start-up */
  drills: z.record(z.string(), z.unknown()).optional(),
  /** outbound webhooks; checked in full by hub/notify/webhook-config.ts at start-up */
  notifications: z.record(z.string(), z.unknown()).optional(),
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
  users: { name: string; role: (typeof HUB_ROLES)[number]; unit?: string; passwordHash: string }[];
}

export function resolveHubSettings(cfg: HubConfig, file: string): ResolvedHubSettings {
  const jwtSecret = readSecret(cfg.jwt.secret, 'jwt.secret', file) ?? '';
  if (jwtSecret.length < 32) throw new ConfigError(file, [{ path: 'jwt.secret', message: 'must be at least 32 characters' }]);
  const users = cfg.users.map((u, i) => {
    const passwordHash = readSecret(u.passwordHash, `users.${i}.passwordHash`, file) ?? '';
    if (!PASSWORD_HASH.test(passwordHash)) throw new ConfigError(file, [{ path: `users.${i}.passwordHash`, message: 'must be a scrypt hash from `vigil hub --hash-password`' }]);
    return { name: u.name, role: u.role, ...(u.unit ? { unit: u.unit } : {}), passwordHash };
  });
  const database = 'sqlite' in cfg.database
    ? { dialect: 'sqlite' as const, file: resolveFrom(file, cfg.database.sqlite) }
    : { dialect: 'postgres' as const, connectionString: readSecret(cfg.database.postgres.url, 'database.postgres.url', file) ?? '', schema: cfg.database.postgres.schema, poolSize: cfg.database.postgres.poolSize };
  return { database, siteFiles: cfg.sites.map((s) => resolveFrom(file, s)), jwtSecret, users };
}
