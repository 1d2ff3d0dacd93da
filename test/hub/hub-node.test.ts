import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { hashPassword } from '../../hub/auth/password.ts';
import { createDatabase, type HubDatabase } from '../../hub/store/database.ts';
import { openTestDb, type TestDb } from './store/test-db.ts';
import { crowdAlarm } from './store/fixtures.ts';
import { publishAlarm, startNats, until } from './ingest/harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KEYS = ['z1', 'z2', 'z3', 'z4', 'z5'];
const TOTAL = 1500;

interface Running { proc: ChildProcess; url: string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

function startHubProcess(configFile: string): Promise<Running> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/vigil.js'), 'hub', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' } });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const stderr: string[] = [];
  proc.stderr!.on('data', (b: Buffer) => { stderr.push(b.toString()); if (stderr.length > 50) stderr.shift(); });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try { const m = JSON.parse(line) as { hub?: string }; if (m.hub) resolve({ proc, url: m.hub, exited }); } catch { /* not the start line */ }
    });
    void exited.then((e) => reject(new Error(`hub exited early (${e.code ?? e.signal}): ${stderr.join('')}`)));
  });
}

describe('vigil hub process', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let dir: string;
  let configFile: string;
  let store: HubDatabase;

  beforeAll(async () => {
    nats = await startNats();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-hubnode-'));
    configFile = path.join(dir, 'hub.yaml');
    const hash = await hashPassword('operator-password', { N: 16384, r: 8, p: 1 });
    writeFileSync(configFile, [
      'http: { host: 127.0.0.1, port: 0 }',
      'database: { sqlite: ./hub.db }',
      `nats: { servers: ["${nats.server.url}"] }`,
      'correlationWindowS: 600',
      'jwt: { secret: "a-test-secret-that-is-at-least-32-chars" }',
      'users:',
      `  - { name: olga, role: operator, passwordHash: "${hash}" }`,
      `  - { name: emil, role: engineer, passwordHash: "${hash}" }`,
      'ingest: { maxBatch: 50, ackWaitFloorS: 3 }',
    ].join('\n'));
    store = createDatabase({ dialect: 'sqlite', file: path.join(dir, 'hub.db') });
  });
  afterAll(async () => {
    await store?.destroy();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (h: HubDatabase = store) => Number((await sql<{ n: number }>`select count(*) as n from alarms`.execute(h.db)).rows[0]!.n);

  it('serves the API and stops cleanly on SIGTERM', async () => {
    const hub = await startHubProcess(configFile);
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { db: { ok: boolean } }).db.ok).toBe(true);
    const login = await fetch(`${hub.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'emil', password: 'operator-password' }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const metrics = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('vigil_hub_alarms_stored_total');
    expect(text).toContain('vigil_hub_consumer_ack_wait_seconds 3');
    hub.proc.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
  });

  it('re-reads its users on SIGHUP: a removed user loses access on the next request, a demoted one is re-scoped', async () => {
    const original = readFileSync(configFile, 'utf8');
    const hub = await startHubProcess(configFile);
    try {
      const login = async (name: string) => ((await (await fetch(`${hub.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password: 'operator-password' }) })).json()) as { token: string }).token;
      const emil = await login('emil');
      const olga = await login('olga');
      const get = (token: string, p: string) => fetch(`${hub.url}${p}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await get(emil, '/api/me')).toBe(200);
      expect(await get(olga, '/api/alarms')).toBe(200);
      writeFileSync(configFile, original.replace(/^ {2}- \{ name: emil.*$/m, '').replace('name: olga, role: operator', 'name: olga, role: unit, unit: u9'));
      hub.proc.kill('SIGHUP');
      await until('emil refused', async () => (await get(emil, '/api/me')) === 401, 10_000);
      expect(await get(olga, '/api/alarms')).toBe(403);
      expect(await get(olga, '/api/me')).toBe(200);
    } finally {
      writeFileSync(configFile, original);
      hub.proc.kill('SIGTERM');
      await hub.exited;
    }
  });

  for (const dialect of ['sqlite', 'postgres'] as const) it(`loses no alarm and doubles no incident when killed with SIGKILL mid-ingest (${dialect})`, async () => {
    const site = `kill${dialect}`;
    let pgStore: TestDb | null = null;
    let file = configFile;
    let db = store;
    if (dialect === 'postgres') {
      pgStore = await openTestDb('postgres');
      db = pgStore;
      const o = pgStore.options as { connectionString: string; schema: string };
      file = path.join(dir, 'hub-pg.yaml');
      writeFileSync(file, readFileSync(configFile, 'utf8').replace('database: { sqlite: ./hub.db }', `database: { postgres: { url: "${o.connectionString}", schema: ${o.schema} } }`));
    }
    try {
      const base = Date.now();
      const alarms = Array.from({ length: TOTAL }, (_, i) => crowdAlarm({ site, zone: KEYS[i % KEYS.length]!, capturedAt: new Date(base + i * 10).toISOString() }));
      let hub = await startHubProcess(file);
      let published = 0;
      const publisher = (async () => {
        for (const a of alarms) {
          await publishAlarm(nats.nc, a);
          // Paced, so that the kill lands while alarms are still arriving.
          if (++published % 100 === 0) await new Promise((r) => setTimeout(r, 50));
        }
      })();
      await until('ingest under way', async () => (await stored(db)) >= 200, 60_000);
      hub.proc.kill('SIGKILL');
      expect((await hub.exited).signal).toBe('SIGKILL');
      const atKill = await stored(db);
      expect(atKill).toBeLessThan(TOTAL);
      await publisher;
      expect(published).toBe(TOTAL);
      hub = await startHubProcess(file);
      await until('every alarm stored', async () => (await stored(db)) === TOTAL, 60_000);
      const h = (await (await fetch(`${hub.url}/health`)).json()) as { ok: boolean; ingest: { ackWaitMs: number } };
      expect(h.ok).toBe(true);
      expect(h.ingest.ackWaitMs).toBe(3000);
      const incidents = await db.db.selectFrom('incidents').selectAll().where('site', '=', site).execute();
      expect(incidents).toHaveLength(KEYS.length);
      expect(incidents.reduce((s, i) => s + i.alarm_count, 0)).toBe(TOTAL);
      const links = Number((await sql<{ n: number }>`select count(*) as n from incident_alarms ia join alarms a on a.id = ia.alarm_id where a.site = ${site}`.execute(db.db)).rows[0]!.n);
      expect(links).toBe(TOTAL);
      const created = await db.db.selectFrom('audit_log').select('entity_id').where('action', '=', 'incident.created').execute();
      expect(new Set(created.map((c) => c.entity_id)).size).toBe(created.length);
      expect(created.filter((c) => incidents.some((i) => i.id === c.entity_id))).toHaveLength(KEYS.length);
      hub.proc.kill('SIGTERM');
      expect((await hub.exited).code).toBe(0);
    } finally {
      await pgStore?.cleanup();
    }
  });
});
