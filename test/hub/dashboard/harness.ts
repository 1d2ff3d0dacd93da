import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { anchoredClock, type Clock } from '../../../common/clock.ts';
import { zonedParts, zonedToEpoch } from '../../../hub/units/zoned-time.ts';
import { silentLogger } from '../../../common/log.ts';
import { loadSiteConfig, siteSchema, type SiteConfig } from '../../../common/config/site.ts';
import type { AlarmPolicyInput } from '../../../common/config/alarm-policy.ts';
import { alarmSubject } from '../../../common/subjects.ts';
import { ensureAlarmStream, ensureSnapshotBucket } from '../../../common/transport/alarm-stream.ts';
import type { Alarm } from '../../../common/alarm.ts';
import { createDatabase, migrateToLatest, type HubDatabase } from '../../../hub/store/database.ts';
import { createHubEvents, type HubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { createIngest, type Ingest } from '../../../hub/ingest/ingest.ts';
import { createHubApp } from '../../../hub/api/app.ts';
import { assertDeclaredResponse } from '../api/declared-response.ts';
import { NODE_ROUTE_MODULES } from '../../../hub/node-routes.ts';
import type { ApiUser, HubDeps } from '../../../hub/api/deps.ts';
import { createOps, type OpsRuntime } from '../../../hub/ops.ts';
import { incidentPortFrom } from '../../../hub/dispatch/incident-port.ts';
import { createLiveState } from '../../../hub/live/live-state.ts';
import { startLiveFeed } from '../../../hub/live/live-feed.ts';
import { withSessionParts } from '../../../hub/api/sessions.ts';

export const DEMO_SITE_FILE = path.resolve(import.meta.dirname, '../../../fixtures/sites/demo.yaml');
export const PASSWORD = 'test-password-1';
export const USERS: Record<string, ApiUser> = {
  operator: { name: 'operator', role: 'operator' },
  commander: { name: 'commander', role: 'commander' },
  engineer: { name: 'engineer', role: 'engineer' },
  admin: { name: 'admin', role: 'admin' },
  'unit-foxtrot': { name: 'unit-foxtrot', role: 'unit', unit: 'u-foxtrot' },
};

export interface TestHub {
  url: string;
  /** the hub's clock: real-speed, anchored in the site's day shift unless the test chose another instant */
  clock: Clock;
  nc: NatsConnection;
  nats: NatsServer;
  store: HubDatabase;
  events: HubEvents;
  deps: HubDeps;
  site: SiteConfig;
  publish(alarm: Alarm): Promise<void>;
  close(): Promise<void>;
}

/**
 * The latest `hour`:00 in the site's time zone at or before `now`: every demo
 * unit has its full day roster then. Never later than now: tests stamp
 * alarms and heartbeats with the wall clock, and the live view keeps the last
 * hour by the hub's clock, so the hub must not run ahead of them (before
 * 10:00 in Shanghai, "today at 10:00" was hours ahead and the live tests
 * failed from 16:00 to 01:00 UTC).
 */
export function dayShiftInstant(timeZone: string, hour = 10, now = Date.now()): number {
  const p = zonedParts(now, timeZone);
  const today = zonedToEpoch(p.year, p.month, p.day, hour, 0, timeZone);
  if (today <= now) return today;
  const y = zonedParts(now - 24 * 3600_000, timeZone);
  return zonedToEpoch(y.year, y.month, y.day, hour, 0, timeZone);
}

/**
 * The real hub, assembled in-process as hub-node does: a real nats-server with
 * JetStream, SQLite in a temp folder, ingest, the API with the dashboard, on a
 * free loopback port. Logins are test users with one password. Rosters are
 * read at `at` (default: the site's day shift), never at the wall clock's hour.
 */
export async function startTestHub(options: { at?: number; policy?: AlarmPolicyInput; overdueIntervalMs?: number } = {}): Promise<TestHub> {
  process.env.VIGIL_DEMO_SENSOR_TOKEN ??= 'demo-sensor-token-for-tests';
  const loaded = loadSiteConfig(DEMO_SITE_FILE);
  const site = options.policy ? siteSchema.parse({ ...loaded, policy: options.policy }) : loaded;
  const clock = anchoredClock(options.at ?? dayShiftInstant(site.site.timezone));
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url });
  await ensureAlarmStream(await jetstreamManager(nc), { duplicateWindowMs: 60_000 });
  await ensureSnapshotBucket(nc);
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-dash-'));
  const store = createDatabase({ dialect: 'sqlite', file: path.join(dir, 'hub.db') });
  await migrateToLatest(store.db);
  const events = createHubEvents({ now: () => clock.now() });
  const incidents = createIncidentService({ db: store.db, dialect: 'sqlite', clock, events });
  // Dispatch waits for an operator in these tests (no automatic sends), and no drills start by themselves.
  const ops: OpsRuntime = createOps({ db: store.db, dialect: 'sqlite', clock, events, sites: [site], incidents: incidentPortFrom(incidents), nc, logger: silentLogger, policy: { rules: [{ kind: '*', units: 0 }] }, drills: { enabled: false }, ...(options.overdueIntervalMs ? { overdueIntervalMs: options.overdueIntervalMs } : {}) });
  await ops.start();
  const live = createLiveState({ sites: [site], clock });
  const feed = startLiveFeed(nc, live, silentLogger);
  const deps: HubDeps = withSessionParts({
    live,
    db: store.db, dialect: 'sqlite', events, clock, logger: silentLogger,
    config: { corsOrigins: [], jwtSecret: 'x'.repeat(48), tokenTtlS: 3600, bodyLimitBytes: 65536 },
    sites: [site], siteFiles: { [site.site.id]: DEMO_SITE_FILE },
    auth: { login: async (name, password) => (password === PASSWORD ? USERS[name] ?? null : null), current: (name) => (USERS[name] ? { ...USERS[name]!, credential: '' } : null) },
    incidents,
    health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'connected' } }),
    nc,
    ops,
  });
  const ingest: Ingest = createIngest({ nc, db: store.db, dialect: 'sqlite', events, clock, logger: silentLogger, correlationWindowMs: 120_000, tuneEveryMs: 3_600_000, policies: ops.policies });
  await ingest.start();
  const app = createHubApp(deps, { extraRoutes: NODE_ROUTE_MODULES });
  // Every JSON answer is checked against its route's declared responses; what does not fit fails close().
  const undeclared: string[] = [];
  const checked = async (req: Request) => {
    const res = await app.fetch(req);
    if (res.headers.get('content-type')?.startsWith('application/json')) {
      try { assertDeclaredResponse(app, req.method, req.url, res.status, await res.clone().json()); } catch (err) { undeclared.push((err as Error).message); }
    }
    return res;
  };
  const server: ServerType = await new Promise((resolve) => { const s = serve({ fetch: checked, hostname: '127.0.0.1', port: 0 }, () => resolve(s)); });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, clock, nc, nats, store, events, deps, site,
    async publish(alarm) {
      await jetstream(nc).publish(alarmSubject(alarm.site, alarm.camera, alarm.kind), JSON.stringify(alarm), { msgID: alarm.id });
    },
    async close() {
      await ingest.stop();
      feed.stop();
      await ops.stop();
      // Open SSE streams would hold close() forever.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      deps.replay?.stop();
      await nc.close();
      await nats.dispose();
      await store.destroy();
      rmSync(dir, { recursive: true, force: true });
      if (undeclared.length) throw new Error(`answers their routes do not declare:\n${undeclared.join('\n')}`);
    },
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A request to the test hub as one of the test users (logs in first). */
export async function apiAs(hub: TestHub, user: string, method: string, path: string, body?: unknown, lang = 'en'): Promise<{ status: number; body: any }> {
  const login = await fetch(hub.url + '/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: user, password: PASSWORD }) });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(hub.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': lang }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
