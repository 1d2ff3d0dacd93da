/**
 * Runs the hub API (createHubApp) on whatever runtime executes this file and
 * prints one JSON line of checks. test/hub/api/deno.test.ts runs it under Deno;
 * the API itself uses no Node-only module. The store is Deno's built-in
 * SQLite (node:sqlite, which Node 20 lacks) behind Kysely's SQLite dialect,
 * migrated as the hub does: sessions, login limits and queries are real.
 */
import { DatabaseSync } from 'node:sqlite';
import { Kysely, SqliteDialect } from 'kysely';
import { systemClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubApp } from '../../../hub/api/app.ts';
import type { HubDeps } from '../../../hub/api/deps.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { migrateToLatest } from '../../../hub/store/migrate.ts';
import type { Database } from '../../../hub/store/schema.ts';
import { withSessionParts } from '../../../hub/api/sessions.ts';

const sqlite = new DatabaseSync(':memory:');
/** node:sqlite's statements, shaped as Kysely's SQLite driver expects better-sqlite3's. */
const database = {
  prepare(text: string) {
    const stmt = sqlite.prepare(text);
    const args = (p: readonly unknown[]) => p.map((v) => (typeof v === 'boolean' ? Number(v) : v)) as never[];
    return {
      reader: stmt.columns().length > 0,
      all: (p: readonly unknown[]) => stmt.all(...args(p)),
      run: (p: readonly unknown[]) => { const r = stmt.run(...args(p)); return { changes: r.changes, lastInsertRowid: r.lastInsertRowid }; },
      iterate: (p: readonly unknown[]) => stmt.iterate(...args(p)),
    };
  },
  close: () => sqlite.close(),
};
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: database as never }) });
await migrateToLatest(db);
const events = createHubEvents();
const deps: HubDeps = withSessionParts({
  db, dialect: 'sqlite', events, clock: systemClock, logger: silentLogger,
  config: { corsOrigins: ['https://ops.example'], jwtSecret: 'deno-smoke-secret-that-is-long-enough-0123', tokenTtlS: 600, bodyLimitBytes: 4096 },
  sites: [],
  auth: { login: async (name, password) => (name === 'ada' && password === 'pw' ? { name: 'ada', role: 'admin' as const } : null) },
  incidents: createIncidentService({ db, dialect: 'sqlite', clock: systemClock, events }),
  health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'connected' } }),
});
const app = createHubApp(deps);
const checks: Record<string, unknown> = {};

checks.health = (await app.request('/health')).status;
checks.noToken = (await app.request('/api/alarms')).status;
const login = await app.request('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ada', password: 'pw' }) });
checks.login = login.status;
const { token } = (await login.json()) as { token: string };
const auth = { authorization: `Bearer ${token}` };
const alarms = await app.request('/api/alarms', { headers: auth });
checks.alarms = alarms.status;
checks.alarmsBody = await alarms.json();
const bad = await app.request('/api/incidents/x/transition', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ to: 'flying' }) });
checks.badBody = bad.status;
checks.badBodyField = ((await bad.json()) as { field?: string }).field ?? null;
const openapi = await app.request('/api/openapi.json', { headers: auth });
checks.openapi = openapi.status;
checks.openapiPaths = Object.keys(((await openapi.json()) as { paths: object }).paths).length;
const cors = await app.request('/api/alarms', { headers: { ...auth, origin: 'https://evil.example' } });
checks.corsEchoed = cors.headers.get('access-control-allow-origin');
checks.secureHeaders = cors.headers.get('x-content-type-options');
const me = await app.request('/api/me', { headers: auth });
checks.me = me.status;
const logout = await app.request('/api/logout', { method: 'POST', headers: auth });
checks.logout = logout.status;
checks.afterLogout = (await app.request('/api/me', { headers: auth })).status;
checks.runtime = typeof (globalThis as { Deno?: { version: { deno: string } } }).Deno !== 'undefined' ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : `node ${process.version}`;
console.log(JSON.stringify(checks));
