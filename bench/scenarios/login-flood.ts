import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { systemClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/log.ts';
import { createHubApp } from '../../hub/api/app.ts';
import type { HubDeps, LoginPolicy } from '../../hub/api/deps.ts';
import { hashPassword, SCRYPT_DEFAULTS } from '../../hub/auth/password.ts';
import { createUserDirectory } from '../../hub/auth/user-directory.ts';
import { createHubEvents } from '../../hub/events.ts';
import { createIncidentService } from '../../hub/incidents/incident-service.ts';
import { createDatabase, migrateToLatest } from '../../hub/store/database.ts';
import { withSessionParts } from '../../hub/api/sessions.ts';

/**
 * The login path under attack, on a real hub API over loopback HTTP with real
 * scrypt (N=2^17) and a real SQLite store:
 * - `guesses`: parallel wrong passwords for one name; how many reached scrypt;
 * - `flood`: parallel logins from as many client addresses (127.0.x.y), while
 *   an authenticated `GET /api/me` is timed; its p95 against the same request
 *   on the idle hub (the baseline, same process).
 * Used by `vigil bench` (security.loginFlood) and test/security/login-flood.test.ts.
 */
export interface LoginFloodFigures {
  scryptMs: number;
  guesses: { sent: number; checked: number; unauthorized: number; refused: number };
  flood: { logins: number; addresses: number; checked: number; refusedBusy: number; refusedLimited: number; unauthorized: number; ok: number; durationMs: number };
  me: { baselineP95Ms: number; duringFloodP95Ms: number; ratio: number; samples: number };
}

const PASSWORD = 'bench-password-long-enough';
const USERS = ['olga', 'cora', 'emil', 'ada', 'gus', 'ivan', 'lena', 'mei'];

function request(port: number, o: { method: string; path: string; body?: string; token?: string; localAddress?: string; agent?: http.Agent }): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: o.method, path: o.path, agent: o.agent ?? false, ...(o.localAddress ? { localAddress: o.localAddress } : {}), headers: { ...(o.body ? { 'content-type': 'application/json' } : {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: -1, body: '', ms: performance.now() - t0 }));
    req.end(o.body);
  });
}

const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]! : NaN; };
const round = (x: number) => Math.round(x * 10) / 10;

export async function loginFlood(o: { guesses?: number; flood?: number; logins?: Partial<LoginPolicy>; log?: (m: string) => void } = {}): Promise<LoginFloodFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-login-flood-'));
  const store = createDatabase({ dialect: 'sqlite', file: path.join(dir, 'hub.db') });
  let server: ServerType | null = null;
  try {
    await migrateToLatest(store.db);
    const t0 = performance.now();
    const hash = await hashPassword(PASSWORD, SCRYPT_DEFAULTS);
    const scryptMs = performance.now() - t0;
    const directory = createUserDirectory(USERS.map((name) => ({ name, role: 'operator' as const, passwordHash: hash })), []);
    const checks = { n: 0 };
    const events = createHubEvents();
    const deps: HubDeps = withSessionParts({
      db: store.db, dialect: 'sqlite', events, clock: systemClock, logger: silentLogger,
      config: { corsOrigins: [], jwtSecret: 'bench-secret-that-is-long-enough-0123456789', tokenTtlS: 900, bodyLimitBytes: 65536, ...(o.logins ? { logins: o.logins } : {}) },
      sites: [],
      auth: { login: (n, p) => { checks.n++; return directory.login(n, p); }, current: (n) => directory.current(n) },
      incidents: createIncidentService({ db: store.db, dialect: 'sqlite', clock: systemClock, events }),
      health: async () => ({ ok: true, db: { ok: true }, nats: { ok: true, status: 'none' } }),
    });
    const app = createHubApp(deps);
    server = await new Promise<ServerType>((resolve) => { const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s)); });
    const port = (server.address() as AddressInfo).port;
    const login = (name: string, password: string, localAddress?: string) => request(port, { method: 'POST', path: '/api/login', body: JSON.stringify({ name, password }), ...(localAddress ? { localAddress } : {}) });

    // A session to time GET /api/me with (from its own address, so the flood's limits do not touch it).
    const session = await login('ada', PASSWORD, '127.0.9.9');
    const token = (JSON.parse(session.body) as { token: string }).token;
    const keep = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const me = () => request(port, { method: 'GET', path: '/api/me', token, agent: keep });

    // Baseline: the idle hub.
    for (let i = 0; i < 20; i++) await me();
    const baseline: number[] = [];
    for (let i = 0; i < 200; i++) baseline.push((await me()).ms);

    // 1. Parallel guesses for one name, from one address.
    checks.n = 0;
    const nGuesses = o.guesses ?? 120;
    const guesses = await Promise.all(Array.from({ length: nGuesses }, (_, i) => login('cora', `wrong-${i}`, '127.0.8.8')));
    const guessFigures = { sent: nGuesses, checked: checks.n, unauthorized: guesses.filter((r) => r.status === 401).length, refused: guesses.filter((r) => r.status === 429).length };
    o.log?.(`login flood: ${JSON.stringify(guessFigures)}`);

    // 2. A flood from as many addresses, with GET /api/me timed throughout.
    checks.n = 0;
    const nFlood = o.flood ?? 400;
    const during: number[] = [];
    let flooding = true;
    const timer = (async () => { while (flooding) during.push((await me()).ms); })();
    const f0 = performance.now();
    const flood = await Promise.all(Array.from({ length: nFlood }, (_, i) => login(i % 3 === 0 ? USERS[i % USERS.length]! : `junk-${i}`, i % 7 === 0 ? PASSWORD : `guess-${i}`, `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`)));
    const durationMs = performance.now() - f0;
    flooding = false;
    await timer;
    keep.destroy();
    const kinds = flood.map((r) => (r.status === 429 ? (/checking other logins/.test(r.body) ? 'busy' : 'limited') : String(r.status)));
    const floodFigures = {
      logins: nFlood, addresses: nFlood, checked: checks.n,
      refusedBusy: kinds.filter((k) => k === 'busy').length, refusedLimited: kinds.filter((k) => k === 'limited').length,
      unauthorized: kinds.filter((k) => k === '401').length, ok: kinds.filter((k) => k === '200').length, durationMs: Math.round(durationMs),
    };
    const b = p95(baseline);
    const d = p95(during);
    return { scryptMs: Math.round(scryptMs), guesses: guessFigures, flood: floodFigures, me: { baselineP95Ms: round(b), duringFloodP95Ms: round(d), ratio: round(d / b), samples: during.length } };
  } finally {
    if (server) { (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(); await new Promise<void>((r) => server!.close(() => r())); }
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
