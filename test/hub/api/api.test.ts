import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from 'hono/jwt';
import { storeAndCorrelate } from '../../../hub/incidents/correlator.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { apiHarness, ORIGIN, PASSWORD, SECRET, USERS, type ApiHarness } from './api-harness.ts';

let h: ApiHarness;
let incidentId: string;

beforeAll(async () => {
  h = await apiHarness();
  const now = h.clock.now();
  const alarms = [
    crowdAlarm({ site: 'metro', capturedAt: new Date(now).toISOString() }),
    crowdAlarm({ site: 'metro', capturedAt: new Date(now + 5000).toISOString(), density: 4.2, severity: 'critical' }),
    crowdAlarm({ site: 'museum', zone: 'hall', capturedAt: new Date(now).toISOString() }),
  ];
  await h.t.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((alarm) => ({ alarm, receivedAtMs: now })), { windowMs: 120_000, dialect: 'sqlite' }));
  incidentId = (await h.t.db.selectFrom('incidents').select('id').where('site', '=', 'metro').executeTakeFirstOrThrow()).id;
});
afterAll(async () => { await h?.close(); });

const body = async (r: Response) => (await r.json()) as Record<string, any>;

/** A dispatch row as hub-ops writes one: the harness has no dispatcher. */
async function dispatchUnit(incident: string, unit: string, state: 'ordered' | 'cancelled' = 'ordered'): Promise<void> {
  const now = h.clock.now();
  await h.t.db.insertInto('units').values({ id: unit, site: 'metro', name: unit, members: '[]', roster: '[]', config_roster: '[]', equipment: '[]', x: 0, y: 0, lat: null, lon: null, speed: null, status: 'dispatched', status_at_ms: now, created_at_ms: now, updated_at_ms: now })
    .onConflict((oc) => oc.column('id').doNothing()).execute();
  await h.t.db.insertInto('dispatches').values({
    id: `d-${incident}-${unit}-${state}`, incident_id: incident, site: 'metro', unit_id: unit, kind: 'crowd.density', severity: 'critical', drill: 0, drill_id: null, state,
    ordered_by: 'olga', distance: null, eta_s: null, order_json: '{}', ordered_at_ms: now, ack_by_ms: now + 60_000, acked_at_ms: null, en_route_at_ms: null,
    on_scene_at_ms: null, on_scene_by_ms: now + 1_800_000, closed_at_ms: null, replaced_by: null,
  }).execute();
}

describe('login', () => {
  it('gives a token for the right password and names the user and role', async () => {
    const r = await h.req('/api/login', { json: { name: 'olga', password: PASSWORD } });
    expect(r.status).toBe(200);
    const b = await body(r);
    expect(b.user).toEqual({ name: 'olga', role: 'operator' });
    expect(b.token.split('.')).toHaveLength(3);
    const me = await h.req('/api/me', { headers: { authorization: `Bearer ${b.token}` } });
    expect((await body(me)).user.name).toBe('olga');
  });
  it('refuses a wrong password or an unknown user alike', async () => {
    for (const json of [{ name: 'olga', password: 'nope-nope' }, { name: 'ghost', password: PASSWORD }]) {
      const r = await h.req('/api/login', { json });
      expect(r.status).toBe(401);
      expect((await body(r)).error).toBe('unauthorized');
    }
  });
  it('locks a name for a while after repeated wrong passwords', async () => {
    for (let i = 0; i < 5; i++) expect((await h.req('/api/login', { json: { name: 'cora', password: `guess-${i}` } })).status).toBe(401);
    const locked = await h.req('/api/login', { json: { name: 'cora', password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await h.req('/api/login', { json: { name: 'olga', password: PASSWORD } })).status).toBe(200);
    h.clock.advance(5 * 60_000 + 1);
    expect((await h.req('/api/login', { json: { name: 'cora', password: PASSWORD } })).status).toBe(200);
  });
  it('answers a bad body with 400 naming the field', async () => {
    let r = await h.req('/api/login', { json: { name: 'olga' } });
    expect(r.status).toBe(400);
    expect((await body(r)).field).toBe('password');
    r = await h.req('/api/login', { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect((await body(r)).field).toBe('body');
    r = await h.req('/api/login', { json: { name: 'olga', password: PASSWORD, admin: true } });
    expect(r.status).toBe(400);
  });
});

describe('authentication', () => {
  it('lets health through without a login', async () => {
    expect((await h.req('/health')).status).toBe(200);
    expect((await h.req('/api/health')).status).toBe(200);
  });
  it('refuses every API route without a valid token', async () => {
    for (const path of ['/api/alarms', '/api/incidents', `/api/incidents/${incidentId}`, '/api/stream', '/api/openapi.json', '/metrics', '/api/me', '/api/dead-letters', '/api/sites']) {
      expect((await h.req(path)).status, path).toBe(401);
      expect((await h.req(path, { headers: { authorization: 'Bearer not.a.token' } })).status, path).toBe(401);
    }
    const post = await h.req(`/api/incidents/${incidentId}/transition`, { json: { to: 'acknowledged' } });
    expect(post.status).toBe(401);
  });
  it('refuses a token signed with another key, another alg, expired, without exp or session, or from the future', async () => {
    const now = Math.floor(h.clock.now() / 1000);
    // A real session of ada's, so that only the property under test is wrong in each token.
    const sid = JSON.parse(atob(h.tokens.ada!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sid as string;
    const other = await sign({ sub: 'ada', sid, role: 'admin', exp: now + 600 }, 'another-secret-that-is-long-enough-xyz', 'HS256');
    const hs512 = await sign({ sub: 'ada', sid, role: 'admin', exp: now + 600 }, SECRET, 'HS512');
    const expired = await sign({ sub: 'ada', sid, role: 'admin', exp: now - 10 }, SECRET, 'HS256');
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '')}.${btoa(JSON.stringify({ sub: 'ada', sid, role: 'admin', exp: now + 600 })).replace(/=+$/, '')}.`;
    const noExp = await sign({ sub: 'ada', sid, role: 'admin', iat: now }, SECRET, 'HS256');
    const noSession = await sign({ sub: 'ada', role: 'admin', iat: now, exp: now + 600 }, SECRET, 'HS256');
    const otherUser = await sign({ sub: 'olga', sid, role: 'admin', iat: now, exp: now + 600 }, SECRET, 'HS256');
    const future = await sign({ sub: 'ada', sid, role: 'admin', iat: now + 3600, exp: now + 7200 }, SECRET, 'HS256');
    const fine = await sign({ sub: 'ada', sid, role: 'admin', iat: now, exp: now + 600 }, SECRET, 'HS256');
    expect((await h.req('/api/alarms', { headers: { authorization: `Bearer ${fine}` } })).status).toBe(200);
    for (const tok of [other, hs512, expired, none, noExp, noSession, otherUser, future]) {
      expect((await h.req('/api/alarms', { headers: { authorization: `Bearer ${tok}` } })).status).toBe(401);
    }
    // Expiry is judged by the hub's clock, not the wall clock.
    h.clock.advance(601_000);
    expect((await h.req('/api/alarms', { headers: { authorization: `Bearer ${fine}` } })).status).toBe(401);
  });
});

describe('role matrix', () => {
  const cases: [string, string, Record<string, number>][] = [
    ['GET', '/api/alarms', { olga: 200, cora: 200, emil: 200, 'team-a': 403, ada: 200, gus: 200 }],
    // Engineers read the engineers' board only (the list is filtered, see below).
    ['GET', '/api/incidents', { olga: 200, cora: 200, emil: 200, 'team-a': 200, ada: 200, gus: 200 }],
    ['GET', '/api/dead-letters', { olga: 403, cora: 403, emil: 200, 'team-a': 403, ada: 200, gus: 403 }],
    ['GET', '/metrics', { olga: 403, cora: 403, emil: 200, 'team-a': 403, ada: 200, gus: 403 }],
    ['GET', '/api/openapi.json', { olga: 200, cora: 200, emil: 200, 'team-a': 200, ada: 200, gus: 200 }],
  ];
  for (const [method, path, expected] of cases) {
    it(`${method} ${path}`, async () => {
      for (const u of USERS) expect((await h.req(path, { method, as: u.name })).status, `${u.name} ${path}`).toBe(expected[u.name]);
    });
  }
  it('GET /api/incidents/:id', async () => {
    // An incident on the operators' board does not exist for an engineer.
    for (const u of USERS) expect((await h.req(`/api/incidents/${incidentId}`, { as: u.name })).status, u.name).toBe(u.role === 'engineer' ? 404 : 200);
    expect((await body(await h.req('/api/incidents', { as: 'emil' }))).incidents).toEqual([]);
  });
});

describe('alarms', () => {
  it('lists and filters, newest first, with the incident of each', async () => {
    const r = await h.req('/api/alarms?site=metro', { as: 'olga' });
    const b = await body(r);
    expect(b.alarms).toHaveLength(2);
    expect(b.alarms[0].capturedAt > b.alarms[1].capturedAt).toBe(true);
    expect(b.alarms.every((a: { incidentId: string }) => a.incidentId === incidentId)).toBe(true);
    expect((await body(await h.req('/api/alarms?severity=critical', { as: 'olga' }))).alarms).toHaveLength(1);
    const one = await body(await h.req(`/api/alarms/${b.alarms[0].id}`, { as: 'olga' }));
    expect(one.alarm.id).toBe(b.alarms[0].id);
    expect((await h.req('/api/alarms/no-such-alarm', { as: 'olga' })).status).toBe(404);
  });
  it('names a bad query parameter', async () => {
    for (const [q, field] of [['limit=abc', 'limit'], ['severity=extreme', 'severity'], ['since=yesterday', 'since'], ['colour=red', 'query']] as const) {
      const r = await h.req(`/api/alarms?${q}`, { as: 'olga' });
      expect(r.status, q).toBe(400);
      const b = await body(r);
      if (field === 'query') expect(b.message).toMatch(/colour/);
      else expect(b.field).toBe(field);
    }
  });
});

describe('incidents', () => {
  it('lists with filters and shows detail with timeline and audit', async () => {
    const list = await body(await h.req('/api/incidents?status=open&site=metro', { as: 'olga' }));
    expect(list.incidents.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    expect(list.incidents[0].severity).toBe('critical');
    const bad = await h.req('/api/incidents?status=open,flying', { as: 'olga' });
    expect(bad.status).toBe(400);
    expect((await body(bad)).field).toBe('status');
    const d = await body(await h.req(`/api/incidents/${incidentId}`, { as: 'olga' }));
    expect(d.alarms).toHaveLength(2);
    expect(d.audit.map((a: { action: string }) => a.action)).toEqual(['incident.created', 'incident.escalated']);
    expect(d.timeline).toHaveLength(4);
    expect((await h.req('/api/incidents/nope', { as: 'olga' })).status).toBe(404);
  });

  it('checks the role per target status, the lifecycle, and the body', async () => {
    const move = (as: string, json: unknown, id = incidentId) => h.req(`/api/incidents/${id}/transition`, { as, json });
    expect((await move('team-a', { to: 'acknowledged' })).status).toBe(403);
    expect((await move('emil', { to: 'acknowledged' })).status).toBe(404);
    let r = await move('olga', { to: 'flying' });
    expect(r.status).toBe(400);
    expect((await body(r)).field).toBe('to');
    r = await move('olga', { to: 'acknowledged', note: 'x'.repeat(2100) });
    expect(r.status).toBe(400);
    expect((await body(r)).field).toBe('note');
    expect((await move('olga', { to: 'acknowledged' }, 'missing')).status).toBe(404);
    r = await move('olga', { to: 'acknowledged', version: 99 });
    expect(r.status).toBe(409);
    expect((await body(r)).message).toMatch(/changed since it was read/);
    r = await move('olga', { to: 'acknowledged', note: 'seen on camera' });
    expect(r.status).toBe(200);
    expect((await body(r)).incident.status).toBe('acknowledged');
    r = await move('cora', { to: 'closed' });
    expect(r.status).toBe(409);
    expect((await body(r)).message).toMatch(/cannot go from acknowledged to closed/);
    expect((await move('olga', { to: 'dispatched' })).status).toBe(200);
    // A unit acts only on incidents it was dispatched to.
    expect((await move('team-a', { to: 'on_scene' })).status).toBe(403);
    expect((await h.req(`/api/incidents/${incidentId}/notes`, { as: 'team-a', json: { note: 'not mine' } })).status).toBe(403);
    await dispatchUnit(incidentId, 'team-a');
    expect((await move('team-a', { to: 'on_scene' })).status).toBe(200);
    expect((await move('team-a', { to: 'resolved' })).status).toBe(200);
    expect((await move('olga', { to: 'closed' })).status).toBe(403);
    expect((await move('cora', { to: 'closed', note: 'done' })).status).toBe(200);
    expect((await h.req(`/api/incidents/${incidentId}/notes`, { as: 'team-a', json: { note: 'left the site' } })).status).toBe(201);
    expect((await h.req(`/api/incidents/${incidentId}/notes`, { as: 'team-a', json: { note: '' } })).status).toBe(400);
    const d = await body(await h.req(`/api/incidents/${incidentId}`, { as: 'cora' }));
    const trail = d.audit.filter((a: { action: string }) => a.action !== 'incident.created' && a.action !== 'incident.escalated').map((a: { actor: string; action: string; note: string | null }) => [a.actor, a.action, a.note]);
    expect(trail).toEqual([
      ['olga', 'incident.transition', 'seen on camera'], ['olga', 'incident.transition', null], ['team-a', 'incident.transition', null],
      ['team-a', 'incident.transition', null], ['cora', 'incident.transition', 'done'], ['team-a', 'incident.note', 'left the site'],
    ]);
  });
});

describe('secure defaults', () => {
  it('sets secure headers', async () => {
    const r = await h.req('/health');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
  it('allows only listed CORS origins, never *', async () => {
    const ok = await h.req('/api/login', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const no = await h.req('/api/login', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
    const get = await h.req('/health', { headers: { origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
  it('refuses a body over the limit with 413', async () => {
    const r = await h.req('/api/login', { json: { name: 'olga', password: 'x'.repeat(10_000) } });
    expect(r.status).toBe(413);
  });
  it('answers unknown routes with 404 JSON', async () => {
    const r = await h.req('/api/nothing-here', { as: 'ada' });
    expect(r.status).toBe(404);
    expect((await body(r)).error).toBe('not_found');
  });
  it('answers errors in the request\'s language, with the same codes and fields', async () => {
    const zh = { 'accept-language': 'zh-CN,zh;q=0.9' };
    const nf = await body(await h.req('/api/incidents/nope', { as: 'olga', headers: zh }));
    expect(nf).toEqual({ error: 'not_found', message: '找不到事件 nope' });
    const bad = await body(await h.req('/api/alarms?limit=abc', { as: 'olga', headers: zh }));
    expect(bad.field).toBe('limit');
    expect(bad.message).toMatch(/^limit：.*[\u4e00-\u9fff]/);
    const forbidden = await body(await h.req('/api/dead-letters', { as: 'olga', headers: zh }));
    expect(forbidden).toEqual({ error: 'forbidden', message: '角色 值班员 无权执行此操作' });
    expect((await body(await h.req('/api/alarms', { headers: zh }))).message).toBe('需要登录');
    expect((await body(await h.req('/api/nothing-here?lang=zh-CN', { as: 'ada' }))).message).toBe('没有 GET /api/nothing-here 这个接口');
    // English when the request asks for nothing else: the messages tools and logs know.
    expect((await body(await h.req('/api/incidents/nope', { as: 'olga' }))).message).toBe('incident nope not found');
  });
  it('serves an OpenAPI document and Prometheus metrics', async () => {
    const doc = await body(await h.req('/api/openapi.json', { as: 'olga' }));
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/login', '/api/alarms', '/api/incidents/{id}/transition', '/api/stream']));
    // Every mounted route is listed (the document is built from the route specs; openapi.test.ts checks it fully).
    for (const r of h.app.routes.filter((x) => x.path.startsWith('/api/') && x.method !== 'ALL')) {
      const p = r.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
      expect(doc.paths[p]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
    }
    const m = await h.req('/metrics', { as: 'emil' });
    expect(await m.text()).toContain('vigil_hub_up 1');
  });
});

describe('live stream', () => {
  async function collect(as: string, emit: () => void, until: (text: string) => boolean): Promise<string> {
    const ctl = new AbortController();
    const ticket = (await body(await h.req('/api/stream/ticket', { as, method: 'POST' }))).ticket as string;
    const r = await h.app.request(`/api/stream?ticket=${encodeURIComponent(ticket)}`, { signal: ctl.signal });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    while (!text.includes('event: hello')) text += dec.decode((await reader.read()).value);
    emit();
    while (!until(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    ctl.abort();
    await reader.cancel().catch(() => undefined);
    return text;
  }
  const emitAll = () => {
    const e = h.deps.events;
    e.emit('incident.created', { incident: { id: 'i1', site: 's', zone: 'z', kind: 'crowd.density', status: 'open', severity: 'warning', alarmCount: 1, escalationLevel: 0, outcome: 'incident', assignedRole: 'operator', planLevel: null, acknowledged: false }, alarmId: 'a1' }, { site: 's' });
    (e.emit as (t: string, d: unknown, r?: object) => void)('dispatch.sent', { unit: 'team-b' }, { unit: 'team-b' });
    (e.emit as (t: string, d: unknown, r?: object) => void)('dispatch.sent', { unit: 'team-a' }, { unit: 'team-a' });
    e.emit('alarm.ingested', { id: 'a2', site: 's', camera: 'c', zone: null, kind: 'camera.offline', state: 'raised', severity: 'warning', capturedAtMs: 0, incidentId: null, outcome: 'incident', suppressed: null }, { site: 's' });
  };
  it('filters events by role', async () => {
    const op = await collect('olga', emitAll, (t) => t.includes('event: alarm.ingested'));
    expect(op).toContain('event: incident.created');
    expect(op.match(/event: dispatch\.sent/g)).toHaveLength(2);
    const eng = await collect('emil', emitAll, (t) => t.includes('event: alarm.ingested'));
    expect(eng).not.toContain('incident.created');
    expect(eng).not.toContain('dispatch.sent');
    // Read up to a marker sent after everything else, so that "not seen" means filtered out, not yet unread.
    const unit = await collect('team-a', () => {
      emitAll();
      (h.deps.events.emit as (t: string, d: unknown, r?: object) => void)('dispatch.updated', { unit: 'team-a', last: true }, { unit: 'team-a' });
    }, (t) => t.includes('"last":true'));
    expect(unit).toContain('"unit":"team-a"');
    expect(unit).toContain('event: incident.created');
    expect(unit).not.toContain('team-b');
    expect(unit).not.toContain('alarm.ingested');
  });
  it('takes no token in a URL, and a stream ticket only on the stream', async () => {
    expect((await h.req(`/api/alarms?token=${h.tokens.olga}`)).status).toBe(401);
    expect((await h.req(`/api/stream?token=${h.tokens.olga}`)).status).toBe(401);
    const ticket = (await body(await h.req('/api/stream/ticket', { as: 'olga', method: 'POST' }))).ticket as string;
    expect((await h.req(`/api/alarms?ticket=${ticket}`)).status).toBe(401);
  });
});
