import { z } from 'zod';
import { secretSchema } from './secret.ts';
import { readSecret, resolveFrom } from './load.ts';
import type { NatsAuth, NatsConnectOptions } from '../transport/nats-connect.ts';

/**
 * The `nats:` block embedded in edge.yaml and hub.yaml. Credentials are
 * secrets (inline for the demo only, `{env}` or `{file}` otherwise) and are
 * read when the connection options are built, never logged.
 *
 * ```yaml
 * nats:
 *   servers: [tls://hub.example:4222]
 *   auth: { user: edge-north-1, password: { env: VIGIL_NATS_PASSWORD } }
 *   # or: auth: { nkeySeed: { file: /run/secrets/edge.nk } }
 *   # or: auth: { creds: { file: /run/secrets/edge.creds } }
 *   tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem }
 * ```
 */
const natsUrl = z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$|^[A-Za-z0-9.-]+:\d+$/, 'must be nats://host:port, tls://host:port or host:port');

export const natsAuthSchema = z.union([
  z.object({ user: z.string().min(1).max(128), password: secretSchema }).strict(),
  z.object({ token: secretSchema }).strict(),
  z.object({ nkeySeed: secretSchema }).strict(),
  z.object({ creds: secretSchema }).strict(),
]);

export const natsTlsSchema = z.object({
  /** CA bundle (PEM file) that signs the server certificate */
  ca: z.string().min(1).optional(),
  /** client certificate and key (PEM files) for mutual TLS */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  handshakeFirst: z.boolean().optional(),
}).strict().refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key must be given together', path: ['key'] });

export const natsConfigSchema = z.object({
  servers: z.union([natsUrl, z.array(natsUrl).min(1)]).transform((s) => (Array.isArray(s) ? s : [s])),
  /** connection name; defaults to the process role and id */
  name: z.string().min(1).max(128).optional(),
  auth: natsAuthSchema.optional(),
  tls: natsTlsSchema.optional(),
  reconnect: z.object({
    initialDelayMs: z.number().int().positive().default(250),
    maxDelayMs: z.number().int().positive().default(10_000),
  }).strict().default({ initialDelayMs: 250, maxDelayMs: 10_000 }),
}).strict();

export type NatsConfig = z.infer<typeof natsConfigSchema>;

/** Reads the secrets and resolves TLS file paths (relative to the config file) into connectNats options. */
export function natsConnectOptions(cfg: NatsConfig, configFile = '(config)', extra: Partial<NatsConnectOptions> = {}): NatsConnectOptions {
  let auth: NatsAuth | undefined;
  const a = cfg.auth;
  if (a && 'user' in a) auth = { type: 'userpass', user: a.user, pass: readSecret(a.password, 'nats.auth.password', configFile) ?? '' };
  else if (a && 'token' in a) auth = { type: 'token', token: readSecret(a.token, 'nats.auth.token', configFile) ?? '' };
  else if (a && 'nkeySeed' in a) auth = { type: 'nkey', seed: readSecret(a.nkeySeed, 'nats.auth.nkeySeed', configFile) ?? '' };
  else if (a && 'creds' in a) auth = { type: 'creds', creds: readSecret(a.creds, 'nats.auth.creds', configFile) ?? '' };
  const tls = cfg.tls && {
    ...(cfg.tls.ca ? { caFile: resolveFrom(configFile, cfg.tls.ca) } : {}),
    ...(cfg.tls.cert ? { certFile: resolveFrom(configFile, cfg.tls.cert) } : {}),
    ...(cfg.tls.key ? { keyFile: resolveFrom(configFile, cfg.tls.key) } : {}),
    ...(cfg.tls.handshakeFirst ? { handshakeFirst: true } : {}),
  };
  return {
    servers: cfg.servers,
    ...(cfg.name ? { name: cfg.name } : {}),
    ...(auth ? { auth } : {}),
    ...(tls ? { tls } : {}),
    initialDelayMs: cfg.reconnect.initialDelayMs,
    maxDelayMs: cfg.reconnect.maxDelayMs,
    ...extra,
  };
}
