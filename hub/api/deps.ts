import type { Kysely } from 'kysely';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/log.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import type { Database } from '../store/schema.ts';
import type { HubEvents } from '../events.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import type { Role } from './roles.ts';

/** What the API needs from its host. Node-only things (scrypt, prom-client, sockets) come in here, so hub/api also runs on Deno. */
export interface ApiConfig {
  /** exact origins allowed by CORS; never '*' */
  corsOrigins: readonly string[];
  /** HS256 key for session tokens (at least 32 bytes) */
  jwtSecret: string;
  /** @default 43200 (12 h) */
  tokenTtlS: number;
  /** request bodies above this are refused with 413; @default 65536 */
  bodyLimitBytes: number;
}

export interface ApiUser {
  name: string;
  role: Role;
  /** for role `unit`: the unit this login belongs to */
  unit?: string;
}

export interface Authenticator {
  /** Checks a name and password against the configured users; null when they do not match. */
  login(name: string, password: string): Promise<ApiUser | null>;
}

export interface HealthReport {
  ok: boolean;
  /** never the store's error text: /health needs no login */
  db: { ok: boolean };
  nats: { ok: boolean; status: string };
  ingest?: { running: boolean; ackWaitMs?: number; processed?: number; deadLettered?: number };
}

/**
 * Services added by hub-ops (units, dispatch, reports, drills). They extend this
 * interface by declaration merging: `declare module '../api/deps.ts' { interface OpsServices { units: … } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OpsServices {}

export interface HubDeps {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  events: HubEvents;
  clock: Clock;
  logger: Logger;
  config: ApiConfig;
  sites: readonly SiteConfig[];
  auth: Authenticator;
  incidents: IncidentService;
  health(): Promise<HealthReport>;
  /** Prometheus exposition text; absent where no registry is wired (e.g. some tests) */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  nc?: NatsConnection;
  ops?: Partial<OpsServices>;
}
