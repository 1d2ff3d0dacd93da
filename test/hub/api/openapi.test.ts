import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createHubApp } from '../../../hub/api/app.ts';
import { toOpenApiPath } from '../../../hub/api/openapi.ts';
import { routeSpecsOf, type RouteSpec } from '../../../hub/api/route-spec.ts';
import { registerLiveRoutes } from '../../../hub/api/routes/live.ts';
import { registerReplayRoutes } from '../../../hub/api/routes/replay.ts';
import { storeAndCorrelate } from '../../../hub/incidents/correlator.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { apiHarness, type ApiHarness } from './api-harness.ts';

type Operation = { parameters?: { name: string; in: string; schema?: object }[]; requestBody?: { content: Record<string, { schema?: object }> }; responses: Record<string, { content?: Record<string, { schema?: object }> }>; security?: unknown[] };

let h: ApiHarness;
// The runtime-neutral API plus the Node-only live and replay routes, as hub-node mounts them.
let app: ReturnType<typeof createHubApp>;
let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };
let incidentId: string;
let alarmId: string;

const get = (path: string, as = 'ada') => app.request(path, { headers: { authorization: `Bearer ${h.tokens[as]}` } });
const specOf = (method: string, path: string): RouteSpec => {
  const s = routeSpecsOf(app).find((x) => x.method === method && x.path === path);
  if (!s) throw new Error(`no spec for ${method} ${path}`);
  return s;
};

beforeAll(async () => {
  h = await apiHarness();
  app = createHubApp(h.deps, { extraRoutes: [registerLiveRoutes, registerReplayRoutes] });
  const now = h.clock.now();
  const alarms = [crowdAlarm({ site: 'metro', capturedAt: new Date(now).toISOString() }), crowdAlarm({ site: 'museum', zone: 'hall', capturedAt: new Date(now).toISOString() })];
  await h.t.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((alarm) => ({ alarm, receivedAtMs: now })), { windowMs: 120_000, dialect: 'sqlite' }));
  incidentId = (await h.t.db.selectFrom('incidents').select('id').where('site', '=', 'metro').executeTakeFirstOrThrow()).id;
  alarmId = (await h.t.db.selectFrom('alarms').select('id').where('site', '=', 'metro').executeTakeFirstOrThrow()).id;
  const r = await get('/api/openapi.json');
  expect(r.status).toBe(200);
  doc = (await r.json()) as typeof doc;
});
afterAll(() => h.close());

describe('OpenAPI document from the route specs', () => {
  it('lists every route mounted in the live app, and nothing that is not mounted', () => {
    const mounted = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path}`);
    // A route may run several handlers (a gate, a body limit): Hono lists each; the spec is one route.
    const unique = [...new Set(mounted)];
    expect(unique.length).toBeGreaterThan(60);
    const specs = routeSpecsOf(app).map((s) => `${s.method} ${s.path}`);
    expect(specs.sort()).toEqual(unique.sort());
    for (const key of unique) {
      const [method, path] = key.split(' ') as [string, string];
      expect(doc.paths[toOpenApiPath(path)]?.[method], key).toBeDefined();
    }
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(unique.map((k) => k.replace(/ (.*)$/, (_m, p: string) => ` ${toOpenApiPath(p)}`)).sort());
  });

  it('gives every operation its request parts and a response schema', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        const ok = Object.entries(op.responses).filter(([s]) => Number(s) < 300);
        expect(ok.length, where).toBeGreaterThan(0);
        for (const [, r] of ok) for (const media of Object.values(r.content ?? {})) expect(media.schema, where).toBeDefined();
        expect(Object.keys(ok[0]![1].content ?? {}).length, where).toBeGreaterThan(0);
        // Every {param} of the path is described.
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name).sort() ?? [], where).toEqual(names.sort());
        if (path.startsWith('/api/') && !['/api/login', '/api/token/refresh', '/api/health'].includes(path)) {
          expect(op.security, where).toEqual([{ bearer: [] }]);
          expect(op.responses['401'], where).toBeDefined();
        }
      }
    }
    // The zod schemas the handlers validate with are the ones documented.
    expect(Object.keys((doc.paths['/api/login']!.post!.requestBody!.content['application/json']!.schema as { properties: object }).properties)).toEqual(['name', 'password']);
    expect(doc.paths['/api/alarms']!.get!.parameters!.map((p) => p.name)).toContain('severity');
    expect(doc.paths['/api/replay/uploads']!.post!.requestBody!.content['application/octet-stream']).toBeDefined();
  });

  it('documents the query each route validates: an unknown parameter is refused exactly where a query schema is declared', async () => {
    const refused: string[] = [];
    const declared: string[] = [];
    for (const spec of routeSpecsOf(app).filter((x) => x.method === 'get' && x.path.startsWith('/api/'))) {
      const url = spec.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, (_m, name: string) => (name === 'kind' ? 'first' : name === 'source' ? 'fixture' : 'x'));
      // Required parameters get a value, so that the unknown one is what the schema refuses.
      const required = Object.entries(spec.query?.shape ?? {}).filter(([, v]) => !(v as z.ZodType).safeParse(undefined).success).map(([k]) => `${k}=x&`);
      const res = await get(`${url}?${required.join('')}not_a_param=1`);
      const json = res.headers.get('content-type')?.startsWith('application/json');
      const body = json ? ((await res.json()) as { message?: string }) : {};
      if (!json) await res.body?.cancel();
      if (res.status === 400 && body.message?.includes('not_a_param')) refused.push(spec.path);
      if (spec.query) declared.push(spec.path);
    }
    // The stream's ticket is read by the login gate, not the handler; replay answers 503 first where no replay service runs (here).
    const unchecked = ['/api/stream', '/api/replay/runs/:id'];
    expect(declared).toEqual(expect.arrayContaining(unchecked));
    expect(declared.length).toBeGreaterThan(15);
    expect(refused.sort()).toEqual(declared.filter((p) => !unchecked.includes(p)).sort());
  });

  it('documents the body each route validates: a body that is not an object is refused exactly where a JSON body is declared', async () => {
    const refused: string[] = [];
    const declared: string[] = [];
    for (const spec of routeSpecsOf(app).filter((x) => x.method !== 'get' && x.path.startsWith('/api/'))) {
      const url = spec.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => (name === 'kind' ? 'first' : 'x'));
      const res = await app.request(url, { method: spec.method.toUpperCase(), headers: { authorization: `Bearer ${h.tokens.ada}`, 'content-type': 'application/json' }, body: '42' });
      const body = (await res.json()) as { field?: string };
      if (res.status === 400 && body.field === 'body') refused.push(`${spec.method} ${spec.path}`);
      if (spec.body) declared.push(`${spec.method} ${spec.path}`);
    }
    // A report's body is checked by the report service against its kind, after the incident is found (none here).
    const unchecked = 'put /api/incidents/:id/reports/:kind';
    expect(declared).toContain(unchecked);
    expect(declared.length).toBeGreaterThan(15);
    expect(refused.sort()).toEqual(declared.filter((p) => p !== unchecked).sort());
  });

  it('names the shared records once, and every reference resolves', () => {
    const schemas = (doc as unknown as { components: { schemas: Record<string, { properties?: object }> } }).components.schemas;
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['Error', 'Alarm', 'Incident', 'Dispatch', 'Unit', 'Drill', 'Suppression']));
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(60);
    for (const ref of new Set(refs)) expect(schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('#/definitions/');
    expect(Object.keys(schemas.Alarm!.properties!)).toContain('capturedAt');
  });

  it('documents the permission each route enforces', async () => {
    // emil (engineer) may not dispatch: the spec's permission is the gate, so the document and the 403 agree.
    expect(specOf('post', '/api/dispatches').access).toEqual({ permission: 'dispatch.send' });
    expect((await app.request('/api/dispatches', { method: 'POST', headers: { authorization: `Bearer ${h.tokens.emil}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    for (const s of routeSpecsOf(app)) if (s.path.startsWith('/api/') && s.access === 'public') expect(['/api/login', '/api/token/refresh', '/api/health']).toContain(s.path);
  });

  it('real responses match their declared schemas', async () => {
    const cases: [string, string, string, string?][] = [
      ['get', '/api/me', '/api/me'],
      ['get', '/api/alarms', '/api/alarms'],
      ['get', '/api/alarms/:id', `/api/alarms/${alarmId}`],
      ['get', '/api/incidents', '/api/incidents'],
      ['get', '/api/incidents/:id', `/api/incidents/${incidentId}`],
      ['get', '/api/sites', '/api/sites'],
      ['get', '/api/dead-letters', '/api/dead-letters'],
      ['get', '/api/health', '/api/health'],
      ['get', '/api/openapi.json', '/api/openapi.json'],
      ['get', '/api/alarms/:id', '/api/alarms/nope'],
      ['get', '/api/live/cameras', '/api/live/cameras'],
    ];
    let checked = 0;
    for (const [method, path, url] of cases) {
      const res = await get(url);
      const declared = specOf(method, path).responses[res.status];
      expect(declared, `${url} answered ${res.status}, which its spec does not declare`).toBeDefined();
      const body = await res.json();
      const r = (declared as z.ZodType).safeParse(body);
      expect(r.success, `${url}: ${r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))}`).toBe(true);
      checked++;
    }
    expect(checked).toBe(cases.length);
    // A schema that does not fit is caught: the check itself can fail.
    expect((specOf('get', '/api/alarms').responses[200] as z.ZodType).safeParse({ alarms: [{ id: 1 }] }).success).toBe(false);
  });
});
