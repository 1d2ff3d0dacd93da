import { FakeClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubApp } from '../../../hub/api/app.ts';
import type { HubDeps, LoginPolicy } from '../../../hub/api/deps.ts';
import { hashPassword } from '../../../hub/auth/password.ts';
import { createUserDirectory } from '../../../hub/auth/user-directory.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { openTestDb, type TestDb } from '../store/test-db.ts';
import { withSessionParts } from '../../../hub/api/sessions.ts';
import { assertDeclaredResponse } from './declared-response.ts';

export const PASSWORD = 'correct horse battery';
export const SECRET = 'test-secret-that-is-long-enough-0123456789';
export const ORIGIN = 'https://ops.example';
export const USERS = [
  { name: 'olga', role: 'operator' as const },
  { name: 'cora', role: 'commander' as const },
  { name: 'emil', role: 'engineer' as const },
  { name: 'team-a', role: 'unit' as const, unit: 'team-a' },
  { name: 'ada', role: 'admin' as const },
  // A guard at one site: sees metro only.
  { name: 'gus', role: 'operator' as const, sites: ['metro'] },
];

export interface ApiHarness {
  t: TestDb;
  deps: HubDeps;
  app: ReturnType<typeof createHubApp>;
  clock: FakeClock;
  tokens: Record<string, string>;
  /** `from`: the client address, as the Node server would hand it over */
  req(path: string, init?: RequestInit & { as?: string; json?: unknown; from?: string }): Promise<Response>;
  /** the user directory: tests change users in it as hub.yaml would be edited and reloaded */
  users: ReturnType<typeof createUserDirectory>;
  hash: string;
  close(): Promise<void>;
}

export async function apiHarness(options: { logins?: Partial<LoginPolicy>; db?: TestDb; metricsToken?: string } = {}): Promise<ApiHarness> {
  const t = options.db ?? await openTestDb('sqlite');
  const clock = new FakeClock(Date.now());
  const events = createHubEvents({ now: () => clock.now() });
  const hash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  const users = createUserDirectory(USERS.map((u) => ({ ...u, passwordHash: hash })), []);
  const deps: HubDeps = withSessionParts({
    db: t.db, dialect: 'sqlite', events, clock, logger: silentLogger,
    config: { corsOrigins: [ORIGIN], jwtSecret: SECRET, tokenTtlS: 3600, bodyLimitBytes: 4096, ...(options.logins ? { logins: options.logins } : {}), ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}) },
    sites: [],
    auth: users,
    incidents: createIncidentService({ db: t.db, dialect: 'sqlite', clock, events }),
    health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'connected' } }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'vigil_hub_up 1\n' }),
  });
  const app = createHubApp(deps);
  const req: ApiHarness['req'] = (path, init = {}) => {
    const { as, json, from, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (as) headers.set('authorization', `Bearer ${tokens[as]}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const method = rest.method ?? (json !== undefined ? 'POST' : 'GET');
    return Promise.resolve(app.request(path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json), method } : {}) }, from ? { incoming: { socket: { remoteAddress: from } } } : undefined))
      .then(async (res) => {
        // Every JSON answer a test gets is one its route declares (the OpenAPI document is checked against real traffic).
        if (res.headers.get('content-type')?.startsWith('application/json')) assertDeclaredResponse(app, method, path, res.status, await res.clone().json());
        return res;
      });
  };
  const tokens: Record<string, string> = {};
  for (const u of USERS) {
    const r = await req('/api/login', { json: { name: u.name, password: PASSWORD } });
    tokens[u.name] = ((await r.json()) as { token: string }).token;
  }
  return { t, deps, app, clock, tokens, req, users, hash, close: () => (options.db ? Promise.resolve() : t.cleanup()) };
}
