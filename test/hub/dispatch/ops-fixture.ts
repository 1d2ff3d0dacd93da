import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, sql } from 'kysely';
import { folderMigrationProvider } from '../../../hub/store/migrate.ts';
import { siteSchema, type SiteConfig, type UnitConfig } from '../../../common/config/site.ts';
import type { Alarm } from '../../../common/alarm.ts';
import { storeAndCorrelate } from '../../../hub/incidents/correlator.ts';
import { createDatabase, migrateToLatest, type HubDatabase } from '../../../hub/store/database.ts';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];
export const PG_URL = process.env.VIGIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A migrated store on a temp SQLite file, or in a fresh PostgreSQL schema. */
export async function openTestDb(dialect: TestDialect): Promise<HubDatabase & { cleanup(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-ops-'));
    const hub = createDatabase({ dialect: 'sqlite', file: path.join(dir, 'hub.db') });
    await migrateToLatest(hub.db);
    return { ...hub, async cleanup() { await hub.destroy(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = `ops_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const hub = createDatabase({ dialect: 'postgres', connectionString: PG_URL, schema, poolSize: 4 });
  // Kysely looks for its migration tables in every schema unless told which one;
  // with parallel test files each in its own schema, it would find another file's.
  const r = await new Migrator({ db: hub.db, provider: folderMigrationProvider(), allowUnorderedMigrations: true, migrationTableSchema: schema }).migrateToLatest();
  if (r.error) throw r.error;
  return {
    ...hub,
    async cleanup() {
      await sql.raw(`drop schema if exists "${schema}" cascade`).execute(hub.db);
      await hub.destroy();
    },
  };
}

export function unitConfig(id: string, x: number, y: number, over: Partial<UnitConfig> = {}): UnitConfig {
  const members = ['a', 'b', 'c', 'd', 'e'].map((m) => ({ id: `${id}-${m}`, name: `${id} ${m}` }));
  return {
    id, name: `Unit ${id}`, members,
    roster: [{ name: 'all-day', start: '00:00', end: '00:00', onDuty: [`${id}-a`, `${id}-b`, `${id}-c`], leader: `${id}-a` }],
    equipment: ['radio'], position: { x, y }, status: 'available',
    ...over,
  };
}

/** Site "metro": camera cam1 whose zone "hall" sits around (10, 10) on the map; a panic button at (200, 0). */
export function testSite(units: UnitConfig[], id = 'metro'): SiteConfig {
  return siteSchema.parse({
    site: { id, name: 'Metro', timezone: 'UTC', map: { widthM: 500, heightM: 500 } },
    cameras: [{
      id: 'cam1', source: { file: 'x.avi' }, position: { x: 0, y: 0, lat: 48.85, lon: 2.35 },
      zones: [{ id: 'hall', polygon: [[0, 0], [100, 0], [100, 100]], areaM2: 50, map: [[0, 0], [20, 0], [20, 20], [0, 20]] }],
    }],
    sensors: [{ id: 'panic1', type: 'input', via: 'webhook', position: { x: 200, y: 0 } }],
    units,
  });
}

let alarmSeq = 0;

/** Writes an incident with one alarm the way hub-core's ingest would. */
export async function insertIncident(h: HubDatabase, o: { site?: string; camera?: string; zone?: string | null; kind?: string; severity?: 'info' | 'warning' | 'critical'; at: number; status?: string }): Promise<string> {
  const id = randomUUID();
  const alarmId = `alarm-${++alarmSeq}-${randomUUID().slice(0, 8)}`;
  const site = o.site ?? 'metro';
  const kind = o.kind ?? 'crowd.density';
  const severity = o.severity ?? 'critical';
  const zone = o.zone === undefined ? 'hall' : o.zone;
  const camera = o.camera ?? 'cam1';
  const payload = {
    v: 1, id: alarmId, kind, state: 'raised', severity, site, camera, zone, episode: alarmId, capturedAt: new Date(o.at).toISOString(), mediaTime: null, edge: 'e1',
    message: 'density above threshold', snapshot: { bucket: 'snaps', name: `${alarmId}.jpg`, width: 640, height: 480, blurred: false },
    crowd: { count: 200, density: 4.5, los: 'F', method: 'detections', confidence: 0.9, trendPerMin: 0.3, etaNextThresholdS: null, level: 'critical', threshold: 4, areaM2: 50 },
  };
  await h.db.insertInto('alarms').values({
    id: alarmId, site, camera, zone, kind, state: 'raised', severity, episode: alarmId, edge: 'e1', captured_at_ms: o.at, media_time: null,
    received_at_ms: o.at, density: 4.5, message: payload.message, payload: JSON.stringify(payload), stream_seq: null,
  }).execute();
  await h.db.insertInto('incidents').values({
    id, site, zone: zone ?? '', kind, status: (o.status ?? 'open') as 'open', severity, title: `${kind} in ${zone}`, correlation_key: null,
    opened_at_ms: o.at, updated_at_ms: o.at, first_alarm_at_ms: o.at, last_alarm_at_ms: o.at, alarm_count: 1, peak_density: 4.5,
    escalation_level: 0, cleared_at_ms: null, closed_at_ms: null, version: 1,
  }).execute();
  await h.db.insertInto('incident_alarms').values({ incident_id: id, alarm_id: alarmId, joined_at_ms: o.at }).execute();
  return id;
}

import { FakeClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { createHubApp } from '../../../hub/api/app.ts';
import { assertDeclaredResponse } from '../api/declared-response.ts';
import { startSession, withSessionParts } from '../../../hub/api/sessions.ts';
import type { ApiUser, HubDeps } from '../../../hub/api/deps.ts';
import { createOps } from '../../../hub/ops.ts';
import { createUnitService } from '../../../hub/units/unit-service.ts';
import { createDispatchService } from '../../../hub/dispatch/dispatch-service.ts';
import { createDispatchPolicy, type DispatchPolicyInput } from '../../../hub/dispatch/policy.ts';
import type { IncidentPort } from '../../../hub/dispatch/incident-port.ts';
import type { OpsPublisher } from '../../../hub/dispatch/publisher.ts';
import type { HubEvents, IncidentSummary } from '../../../hub/events.ts';
import type { Clock } from '../../../common/clock.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../../hub/store/schema.ts';
import { incidentPortFrom } from '../../../hub/dispatch/incident-port.ts';
import { createMemoryOpsPublisher } from '../../../hub/dispatch/publisher.ts';
import type { Webhook } from '../../../hub/notify/webhook-config.ts';

const SECRET = 's'.repeat(48);

/** The hub API with hub-ops wired in, on a FakeClock, for app.request() tests. */
export async function opsApp(siteCfg: SiteConfig, start: number, options: { dialect?: TestDialect; drills?: boolean; webhooks?: readonly Webhook[]; fetch?: typeof fetch; extraSites?: readonly SiteConfig[] } = {}) {
  const sites = [siteCfg, ...(options.extraSites ?? [])];
  const dialect = options.dialect ?? 'sqlite';
  const h = await openTestDb(dialect);
  const clock = new FakeClock(start);
  const events = createHubEvents({ now: () => clock.now() });
  const incidents = createIncidentService({ db: h.db, dialect: h.dialect, clock, events });
  const publisher = createMemoryOpsPublisher();
  const ops = createOps({ db: h.db, dialect: h.dialect, clock, events, sites, incidents: incidentPortFrom(incidents), publisher, logger: silentLogger, drills: { enabled: options.drills ?? false }, ...(options.webhooks ? { webhooks: options.webhooks } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
  await ops.start();
  const deps: HubDeps = withSessionParts({
    db: h.db, dialect: h.dialect, events, clock, logger: silentLogger,
    config: { corsOrigins: [], jwtSecret: SECRET, tokenTtlS: 3600, bodyLimitBytes: 65536 },
    sites, auth: { login: async () => null }, incidents,
    health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'none' } }),
    ops,
  });
  const app = createHubApp(deps);
  // A fresh token at the hub's own time: the fake clock jumps hours ahead in some tests.
  const as = async (user: ApiUser) => (await startSession(deps, user)).token;
  const call = async (user: ApiUser | null, method: string, url: string, body?: unknown, lang?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (user) headers.authorization = `Bearer ${await as(user)}`;
    if (lang) headers['accept-language'] = lang;
    const res = await app.request(url, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const json = (await res.json()) as any;
    assertDeclaredResponse(app, method, url, res.status, json);
    return { status: res.status, body: json };
  };
  const authHeaders = async (user: ApiUser) => ({ authorization: `Bearer ${await as(user)}` });
  return {
    h, clock, events, incidents, publisher, ops, app, call, deps, authHeaders,
    async close() { await ops.stop(); await h.cleanup(); },
  };
}

export const USERS = {
  operator: { name: 'olga', role: 'operator' },
  commander: { name: 'chris', role: 'commander' },
  engineer: { name: 'eve', role: 'engineer' },
  admin: { name: 'ada', role: 'admin' },
  unit1: { name: 'u1-radio', role: 'unit', unit: 'u1' },
  unit3: { name: 'u3-radio', role: 'unit', unit: 'u3' },
} as const satisfies Record<string, ApiUser>;

/** The unit and dispatch services as hub-ops builds them, for tests that drive dispatch alone. */
export function dispatchServices(o: { db: Kysely<Database>; dialect?: "sqlite" | "postgres"; clock: Clock; events: HubEvents; sites: SiteConfig[]; publisher: OpsPublisher; incidents?: IncidentPort; policy?: DispatchPolicyInput }) {
  const policy = createDispatchPolicy(o.policy ?? {});
  const units = createUnitService({ db: o.db, clock: o.clock, events: o.events, sites: o.sites, speedOf: (id, site) => policy.speedOf(id, site) });
  const dispatch = createDispatchService({ db: o.db, ...(o.dialect ? { dialect: o.dialect } : {}), clock: o.clock, events: o.events, sites: o.sites, policy, units, publisher: o.publisher, ...(o.incidents ? { incidents: o.incidents } : {}) });
  return { units, dispatch };
}

/** An incident.created / incident.updated summary, as the correlator would emit it. */
export function summaryOf(over: Partial<IncidentSummary> & { id: string }): IncidentSummary {
  return { site: 'metro', zone: 'hall', kind: 'crowd.density', status: 'open', severity: 'critical', alarmCount: 1, escalationLevel: 0, outcome: 'dispatch', assignedRole: 'operator', planLevel: null, acknowledged: false, ...over };
}

/** What hub ingest does with a batch: store and correlate under the site policies, then emit the events after the commit. */
export async function ingestAlarms(t: { h: HubDatabase; events: HubEvents; ops: { policies: import('../../../hub/alarms/alarm-policy.ts').AlarmPolicies } }, alarms: readonly Alarm[], receivedAtMs: number) {
  const r = await t.h.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((alarm) => ({ alarm, receivedAtMs })), { windowMs: 120_000, dialect: t.h.dialect, policies: t.ops.policies }));
  for (const e of r.events) t.events.emit(e.type, e.data as never, { site: e.site });
  return r;
}

let testAlarmSeq = 0;
/** A valid alarm of the metro test site; override what the test is about. */
export function metroAlarm(over: Partial<Alarm> & { at: number }): Alarm {
  const { at, ...rest } = over;
  const id = `ta-${++testAlarmSeq}-${randomUUID().slice(0, 8)}`;
  const kind = rest.kind ?? 'crowd.density';
  return {
    v: 1, id, kind, state: 'raised', severity: 'warning', site: 'metro', camera: 'cam1', zone: kind === 'crowd.density' ? 'hall' : null, episode: `ep-${id}`,
    capturedAt: new Date(at).toISOString(), mediaTime: null, edge: 'e1',
    ...(kind === 'crowd.density' ? { crowd: { count: 110, density: 2.2, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: 'warning', threshold: 2, areaM2: 50 } } : {}),
    ...(kind.startsWith('sensor.') ? { sensor: { sensorId: rest.camera ?? 'cam1', type: kind.slice(7), source: 'onvif' } } : {}),
    ...(kind.startsWith('camera.') ? { health: { reason: 'no frames' } } : {}),
    ...rest,
  } as Alarm;
}
