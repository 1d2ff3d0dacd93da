import { FakeClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubApp } from '../../../hub/api/app.ts';
import type { HubDeps } from '../../../hub/api/deps.ts';
import { createPasswordLogin, hashPassword } from '../../../hub/auth/password.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { openTestDb, type TestDb } from '../store/test-db.ts';

export const PASSWORD = 'correct horse battery';
export const SECRET = 'test-secret-that-is-long-enough-0123456789';
export const ORIGIN = 'https://ops.example';
export const USERS = [
  { name: 'olga', role: 'operator' as const },
  { name: 'cora', role: 'commander' as const },
  { name: 'emil', role: 'engineer' as const },
  { name: 'team-a', role: 'unit' as const, unit: 'team-a' },
  { name: 'ada', role: 'admin' as const },
];

export interface ApiHarness {
  t: TestDb;
  deps: HubDeps;
  app: ReturnType<typeof createHubApp>;
  clock: FakeClock;
  tokens: Record<string, string>;
  req(path: string, init?: RequestInit & { as?: string; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function apiHarness(): Promise<ApiHarness> {
  const t = await openTestDb('sqlite');
  const clock = new FakeClock(Date.now());
  const events = createHubEvents({ now: () => clock.now() });
  const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  const deps: HubDeps = {
    db: t.db, dialect: 'sqlite', events, clock, logger: silentLogger,
    config: { corsOrigins: [ORIGIN], jwtSecret: SECRET, tokenTtlS: 3600, bodyLimitBytes: 4096 },
    sites: [],
    auth: { login: createPasswordLogin(USERS.map((u) => ({ ...u, passwordHash: hash }))) },
    incidents: createIncidentService({ db: t.db, dialect: 'sqlite', clock, events }),
    health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'connected' } }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'vigil_hub_up 1\n' }),
  };
  const app = createHubApp(deps);
  const req: ApiHarness['req'] = (path, init = {}) => {
    const { as, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (as) headers.set('authorization', `Bearer ${tokens[as]}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return Promise.resolve(app.request(path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json), method: rest.method ?? 'POST' } : {}) }));
  };
  const tokens: Record<string, string> = {};
  for (const u of USERS) {
    const r = await req('/api/login', { json: { name: u.name, password: PASSWORD } });
    tokens[u.name] = ((await r.json()) as { token: string }).token;
  }
  return { t, deps, app, clock, tokens, req, close: () => t.cleanup() };
}
