import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/log.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import type { Database } from '../store/schema.ts';
import type { HubEvents } from '../events.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import type { AlarmPolicies } from '../alarms/alarm-policy.ts';
import type { AlarmHandling } from '../alarms/alarm-handling.ts';
import type { SuppressionService } from '../alarms/suppression-service.ts';
import type { UnitService } from '../units/unit-service.ts';
import type { DispatchService } from '../dispatch/dispatch-service.ts';
import type { ReportService } from '../reports/report-service.ts';
import type { OverdueWatcher } from '../reports/overdue.ts';
import type { DrillScheduler } from '../drills/drill-scheduler.ts';
import type { PlanService } from '../plan/plan-service.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { LiveState } from '../live/live-state.ts';
import type { CameraRelay } from '../live/camera-relay.ts';
import type { ReplayService } from '../replay/replay-service.ts';
import type { SessionStore } from '../auth/session-store.ts';
import type { LoginLimiter } from './login-limiter.ts';
import type { Role } from './roles.ts';

/** What the API needs from its host. Node-only things (scrypt, prom-client, sockets) come in here, so hub/api also runs on Deno. */
export interface ApiConfig {
  /** exact origins allowed by CORS; never '*' */
  corsOrigins: readonly string[];
  /** HS256 key for session tokens (at least 32 bytes) */
  jwtSecret: string;
  /** lifetime of one access token; short, since a refresh is cheap; @default 900 in hub.yaml (jwt.accessTtlS) */
  tokenTtlS: number;
  /** lifetime of a login (its refresh token); @default 43200 (12 h) */
  sessionTtlS?: number;
  /** login limits (hub.yaml `auth`); defaults as there */
  logins?: Partial<LoginPolicy>;
  /** request bodies above this are refused with 413; @default 65536 */
  bodyLimitBytes: number;
  /** Prometheus's bearer token for /metrics (hub.yaml metrics.token); absent: only logins read /metrics */
  metricsToken?: string;
}

export interface ApiUser {
  name: string;
  role: Role;
  /** for role `unit`: the unit this login belongs to */
  unit?: string;
  /** the sites this login may see; absent: every site */
  sites?: readonly string[];
  /** the session this request belongs to (set by authentication) */
  sid?: string;
}

export interface LoginPolicy {
  maxConcurrentLogins: number;
  maxAttemptsPerName: number;
  maxAttemptsPerAddress: number;
  windowMs: number;
  lockMs: number;
  addressLockMs: number;
  /** addresses whose X-Forwarded-For is believed */
  trustedProxies: readonly string[];
}

export interface Authenticator {
  /** Checks a name and password against the configured users; null when they do not match. */
  login(name: string, password: string): Promise<ApiUser | null>;
  /**
   * The user as configured now (null: deleted), with a fingerprint of their
   * credentials. Checked on every request: a token outlives no change. Hosts
   * without a directory (some tests) leave it out; the token's claims are used then.
   */
  current?(name: string): (ApiUser & { credential?: string }) | null;
}

export interface HealthReport {
  ok: boolean;
  /** never the store's error text: /health needs no login */
  db: { ok: boolean };
  nats: { ok: boolean; status: string };
  ingest?: { running: boolean; ackWaitMs?: number; processed?: number; deadLettered?: number };
}

/** The hub's operations, built once by hub/ops.ts (createOps) and started before the API serves. */
export interface OpsServices {
  policies: AlarmPolicies;
  units: UnitService;
  dispatch: DispatchService;
  reports: ReportService;
  overdue: OverdueWatcher;
  drills: DrillScheduler;
  plan: PlanService;
  alarms: AlarmHandling;
  suppressions: SuppressionService;
  notifier: Notifier;
}

/**
 * Everything the routes use, built once by the host (hub-node.ts, or a test)
 * before the app is created. Routes never build or replace a service; a part
 * a host leaves out (a bare API under test, a hub without NATS) answers 503.
 */
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
  ops?: OpsServices;
  /** logins, their refresh tokens and stream tickets, in the store (built with the rest: hub/api/sessions.ts withSessionParts) */
  sessions: SessionStore;
  /** login attempts by name and client address, in the store so that replicas share them */
  logins: LoginLimiter;
  /**
   * The client's address for login limits. Runtime-specific (hub-node reads the
   * socket); without it the address comes from the Node server's socket when
   * there is one, else it is unknown and only names are limited.
   */
  clientAddress?: (c: Context) => string | null;
  /** where each site config was loaded from, by site id: plan images are relative to it */
  siteFiles?: Readonly<Record<string, string>>;
  /** the dashboard's live state (camera health, zone densities), fed from NATS */
  live?: LiveState;
  /** the edges' camera live views, relayed */
  cameras?: CameraRelay;
  /** engineers' replay runner */
  replay?: ReplayService;
}
