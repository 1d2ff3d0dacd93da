import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { NatsConnection } from '@nats-io/nats-core';
import { systemClock, type Clock } from '../common/clock.ts';
import { ConfigError, errorMessage } from '../common/errors.ts';
import { createLogger, type Logger } from '../common/log.ts';
import { checkUserSites, loadHubConfig, resolveHubSettings, type HubConfig } from '../common/config/hub.ts';
import { redactSecrets } from '../common/config/inline-secrets.ts';
import { natsConnectOptions } from '../common/config/nats.ts';
import { loadSiteConfig, type SiteConfig } from '../common/config/site.ts';
import { connectNats } from '../common/transport/nats-connect.ts';
import { createHubApp } from './api/app.ts';
import type { HubDeps } from './api/deps.ts';
import type { RouteModule } from './api/routes/index.ts';
import { createUserDirectory } from './auth/user-directory.ts';
import { createHubEvents } from './events.ts';
import { startEventFanout } from './live/event-fanout.ts';
import { storedAlarms } from './live/stored-alarms.ts';
import { createIncidentService } from './incidents/incident-service.ts';
import { createIngest, type Ingest } from './ingest/ingest.ts';
import { createHubMetrics } from './metrics.ts';
import { createDatabase, migrateToLatest, type HubDatabase } from './store/database.ts';
import { createOps } from './ops.ts';
import { incidentPortFrom } from './dispatch/incident-port.ts';
import { createDispatchPolicy } from './dispatch/policy.ts';
import { drillsConfigSchema } from './drills/planner.ts';
import { checkConfig, readSecret, resolveFrom } from '../common/config/load.ts';
import { createAlarmPolicies } from './alarms/alarm-policy.ts';
import { resolveWebhooks } from './notify/webhook-config.ts';
import { createLiveState } from './live/live-state.ts';
import { startLiveFeed } from './live/live-feed.ts';
import { createCameraRelay } from './live/camera-relay.ts';
import { createReplayService } from './replay/replay-service.ts';
import { tmpdir } from 'node:os';
import { ensureSnapshotBucket, setSnapshotMaxAge, snapshotBucketFor } from '../common/transport/alarm-stream.ts';
import { retryJetStreamSetup } from '../common/transport/jetstream-setup.ts';
import { createRetention } from './retention/retention.ts';
import { withSessionParts } from './api/sessions.ts';
import { NODE_ROUTE_MODULES } from './node-routes.ts';
import { hubHealth } from './health-report.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Optional parts that plug into the hub process. A plugin starts after
 * migrations, seeding and hub-ops, before the API; it may add routes and is
 * stopped before the store closes.
 */
export interface HubPlugin {
  name: string;
  start(deps: HubDeps, ctx: { config: HubConfig; configFile: string; siteFiles: readonly string[] }): Promise<{ routes?: readonly RouteModule[]; stop?(): Promise<void> } | void>;
}

export interface HubNodeOptions {
  config: HubConfig;
  /** for resolving relative paths and naming errors */
  configFile: string;
  logger?: Logger;
  clock?: Clock;
  /** override http.port (0 = any free port) */
  port?: number;
  plugins?: readonly HubPlugin[];
}

export interface HubNode {
  readonly url: string;
  readonly deps: HubDeps;
  readonly ingest: Ingest;
  readonly nc: NatsConnection;
  /** Graceful: stop HTTP, stop fetching and finish the batch in hand, stop plugins, drain NATS, close the store. */
  stop(): Promise<void>;
  /**
   * Reads hub.yaml's users again (SIGHUP): a deleted user, or one with another
   * role, sites or password, is refused or re-scoped on their next request.
   */
  reloadUsers(): void;
}

export async function startHub(options: HubNodeOptions): Promise<HubNode> {
  const { config, configFile } = options;
  const logger = options.logger ?? createLogger({ name: 'vigil-hub' });
  const clock = options.clock ?? systemClock;
  const settings = resolveHubSettings(config, configFile);
  const sites: SiteConfig[] = settings.siteFiles.map((f) => loadSiteConfig(f));
  const siteUnits = sites.map((s) => ({ id: s.site.id, units: s.units.map((u) => u.id) }));
  checkUserSites(settings.users, siteUnits, configFile);
  for (const w of settings.warnings) logger.warn(`hub.yaml: ${w}`, { file: configFile });
  // hub.yaml's schema only checks that these are objects; the full checks name the file and field, before anything starts.
  const dispatchPolicy = createDispatchPolicy(config.dispatch ?? {}, `${configFile} (dispatch)`);
  const { enabled: drillsEnabled, ...drillRules } = checkConfig(drillsConfigSchema, config.drills ?? {}, `${configFile} (drills)`);
  const webhooks = resolveWebhooks(config.notifications, configFile);
  const policies = createAlarmPolicies(sites, { webhooks: new Set(webhooks.map((w) => w.id)) });
  const liveToken = readSecret(config.liveView.token, 'liveView.token', configFile) ?? null;
  const metricsToken = readSecret(config.metrics.token, 'metrics.token', configFile);
  if (metricsToken !== undefined && metricsToken.length < 24) throw new ConfigError(configFile, [{ path: 'metrics.token', message: 'must be at least 24 characters' }]);

  // This replica's name, unique per start: its echo on the event subject and its timer claims carry it.
  const instance = `${config.cluster.instance ?? process.env.VIGIL_HUB_INSTANCE ?? 'hub'}-${randomUUID().slice(0, 8)}`;
  const store: HubDatabase = createDatabase(settings.database);
  const cleanups: (() => Promise<void>)[] = [async () => { await store.destroy(); }];
  const unwind = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err) => logger.error('shutdown step failed', { err: errorMessage(err) }));
  };
  try {
    const applied = await migrateToLatest(store.db);
    if (applied.length) logger.info('migrations applied', { migrations: applied });
    await seedSites(store, sites, clock.now());

    const nc = await connectNats(natsConnectOptions(config.nats, configFile, { name: config.nats.name ?? 'vigil-hub', logger: logger.child({ component: 'nats' }) }));
    cleanups.push(async () => { if (!nc.isClosed()) await nc.drain(); });
    const link = { state: 'connected' as 'connected' | 'disconnected' | 'reconnecting' };
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') link.state = 'disconnected';
        else if (s.type === 'reconnecting') link.state = 'reconnecting';
        else if (s.type === 'reconnect') link.state = 'connected';
      }
    })().catch((err) => logger.warn('nats status watch ended', { err: errorMessage(err) }));

    // The hub administers each site's snapshot bucket (that site's edges may only write to it), and its retention.
    const snapshotsMs = config.retention.snapshotsDays * DAY_MS;
    for (const s of sites) {
      const bucket = snapshotBucketFor(s.site.id);
      const jsLog = logger.child({ component: 'jetstream' });
      await retryJetStreamSetup(`bucket ${bucket}`, () => ensureSnapshotBucket(nc, { bucket, maxAgeMs: snapshotsMs, replicas: config.cluster.replicas }), { logger: jsLog });
      if (await retryJetStreamSetup(`retention of ${bucket}`, () => setSnapshotMaxAge(nc, snapshotsMs, bucket), { logger: jsLog })) logger.info('snapshot retention set', { bucket, days: config.retention.snapshotsDays });
    }

    const events = createHubEvents({ now: () => clock.now(), onListenerError: (err, type) => logger.error('event listener failed', { type, err: errorMessage(err) }) });
    const metrics = createHubMetrics(events, () => clock.now());
    // Every replica's dashboards see every replica's events.
    const fanout = startEventFanout({ nc, events, logger: logger.child({ component: 'fanout' }), origin: instance, store: storedAlarms(store, clock) });
    cleanups.push(() => fanout.stop());
    const incidents = createIncidentService({ db: store.db, dialect: store.dialect, clock, events });
    const ingest = createIngest({
      nc, db: store.db, dialect: store.dialect, events, clock, logger,
      correlationWindowMs: config.correlationWindowS * 1000, policies,
      durable: config.ingest.durable, maxBatch: config.ingest.maxBatch, maxDeliver: config.ingest.maxDeliver,
      ackWait: { floorMs: config.ingest.ackWaitFloorS * 1000, k: config.ingest.ackWaitK },
      metrics: metrics.ingest, replicas: config.cluster.replicas,
    });
    const users = createUserDirectory(settings.users, sites);

    // Every service, built once, before the API: routes never build one on first use.
    // hub-ops: units (seeded from the site files), dispatch, plan, alarm handling, reports, overdue warnings, drills, notifications.
    const ops = createOps({
      db: store.db, dialect: store.dialect, clock, events, sites, incidents: incidentPortFrom(incidents), nc, logger: logger.child({ component: 'ops' }),
      policy: dispatchPolicy, policies, webhooks,
      drills: { enabled: drillsEnabled, ...drillRules },
      timers: { owner: instance, leaseMs: config.cluster.timerLeaseS * 1000, pollMs: config.cluster.timerPollMs },
    });
    await ops.start();
    cleanups.push(() => ops.stop());
    const live = createLiveState({ sites, clock });
    const feed = startLiveFeed(nc, live, logger.child({ component: 'live' }));
    cleanups.push(async () => feed.stop());
    const cameras = createCameraRelay({ sites, live, edges: config.liveView.edges, token: liveToken, logger: logger.child({ component: 'live-view' }) });
    const replay = createReplayService({ clock, logger: logger.child({ component: 'replay' }), workDir: path.join(tmpdir(), `vigil-replay-${process.pid}`) });
    cleanups.push(async () => { replay.stop(); });

    // The session store and the login limiter (both in the store) come with the rest: nothing is built on first use.
    const deps: HubDeps = withSessionParts({
      db: store.db,
      dialect: store.dialect,
      events,
      clock,
      logger: logger.child({ component: 'api' }),
      config: Object.freeze({
        corsOrigins: config.cors.origins, jwtSecret: settings.jwtSecret, tokenTtlS: config.jwt.accessTtlS, sessionTtlS: config.jwt.ttlS, bodyLimitBytes: config.http.bodyLimitBytes,
        ...(metricsToken ? { metricsToken } : {}),
        logins: {
          maxConcurrentLogins: config.auth.maxConcurrentLogins, maxAttemptsPerName: config.auth.maxAttemptsPerName, maxAttemptsPerAddress: config.auth.maxAttemptsPerAddress,
          windowMs: config.auth.windowS * 1000, lockMs: config.auth.lockS * 1000, addressLockMs: config.auth.addressLockS * 1000, trustedProxies: config.auth.trustedProxies,
        },
      }),
      sites,
      auth: users,
      incidents,
      nc,
      siteFiles: Object.fromEntries(sites.map((s, i) => [s.site.id, settings.siteFiles[i]!])),
      metrics: () => metrics.render(),
      health: () => hubHealth(store, nc, ingest, link, logger),
      ops, live, cameras, replay,
    });

    const routes: RouteModule[] = [];

    // Retention: old alarms, dead letters and audit (exported first), expired sessions and login limits.
    const r = config.retention;
    const retention = createRetention({
      db: store.db, clock, logger: logger.child({ component: 'retention' }),
      policy: { alarmsMs: r.alarmsDays * DAY_MS, deadLettersMs: r.deadLettersDays * DAY_MS, auditMs: r.auditDays * DAY_MS, exportDir: resolveFrom(configFile, r.exportDir), intervalMs: r.intervalS * 1000 },
      sweep: async () => (await deps.sessions.sweep(clock.now())) + (await deps.logins.sweep()),
    });
    retention.start();
    cleanups.push(() => retention.stop());

    for (const p of options.plugins ?? []) {
      const started = await p.start(deps, { config, configFile, siteFiles: settings.siteFiles });
      if (started?.routes) routes.push(...started.routes);
      if (started?.stop) cleanups.push(started.stop);
      logger.info('plugin started', { plugin: p.name });
    }

    await ingest.start();
    cleanups.push(() => ingest.stop());

    const app = createHubApp(deps, { extraRoutes: [...NODE_ROUTE_MODULES, ...routes] });
    const port = options.port ?? config.http.port;
    const { server, url } = await listen(app.fetch, config.http.host, port);
    cleanups.push(() => new Promise<void>((resolve) => {
      // SSE streams stay open until closed: end them so that close() returns.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    }));
    logger.info('hub listening', { url, dialect: store.dialect, sites: sites.map((s) => s.site.id) });

    let stopped: Promise<void> | null = null;
    return {
      url, deps, ingest, nc,
      stop: () => (stopped ??= (async () => { logger.info('hub stopping'); await unwind(); logger.info('hub stopped'); })()),
      reloadUsers() {
        const next = resolveHubSettings(loadHubConfig(configFile), configFile);
        checkUserSites(next.users, siteUnits, configFile);
        users.replace(next.users);
        logger.info('users reloaded', { users: next.users.length });
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

export async function startHubFromFile(file: string, options: Omit<HubNodeOptions, 'config' | 'configFile'> = {}): Promise<HubNode> {
  return startHub({ ...options, config: loadHubConfig(file), configFile: path.resolve(file) });
}

async function seedSites(store: HubDatabase, sites: readonly SiteConfig[], now: number): Promise<void> {
  for (const s of sites) {
    // Camera passwords and sensor tokens written inline in the site file stay out of the database.
    const row = { id: s.site.id, name: s.site.name, config: JSON.stringify(redactSecrets(s)), updated_at_ms: now };
    await store.db.insertInto('sites').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ name: row.name, config: row.config, updated_at_ms: now })).execute();
  }
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info) => resolve({ server, url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${info.port}` }));
    server.once('error', reject);
  });
}
