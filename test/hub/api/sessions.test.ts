import { afterEach, describe, expect, it } from 'vitest';
import { storeAndCorrelate } from '../../../hub/incidents/correlator.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { apiHarness, PASSWORD, USERS, type ApiHarness } from './api-harness.ts';

const body = async (r: Response) => (await r.json()) as Record<string, any>;
const harnesses: ApiHarness[] = [];
afterEach(async () => { for (const x of harnesses.splice(0)) await x.close(); });
async function harness(o: Parameters<typeof apiHarness>[0] = {}) { const x = await apiHarness(o); harnesses.push(x); return x; }

/** Counts password checks (scrypt runs) and the most that ran at once. */
function countChecks(x: ApiHarness, delayMs = 0) {
  const inner = x.deps.auth.login.bind(x.deps.auth);
  const stats = { checked: 0, running: 0, maxRunning: 0 };
  x.deps.auth.login = async (name, password) => {
    stats.checked++;
    stats.maxRunning = Math.max(stats.maxRunning, ++stats.running);
    try {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return await inner(name, password);
    } finally { stats.running--; }
  };
  return stats;
}

const login = (x: ApiHarness, name: string, password: string, from?: string) => x.req('/api/login', { json: { name, password }, ...(from ? { from } : {}) });

describe('logins', () => {
  it('counts each attempt before the password is checked: 120 parallel guesses get 5 checks', async () => {
    const x = await harness({ logins: { maxConcurrentLogins: 64 } });
    const stats = countChecks(x, 5);
    const codes = await Promise.all(Array.from({ length: 120 }, (_, i) => login(x, 'olga', `guess-${i}`).then((r) => r.status)));
    expect(stats.checked).toBe(5);
    expect(codes.filter((c) => c === 401)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(115);
    // The right password is refused too while the name is locked.
    expect((await login(x, 'olga', PASSWORD)).status).toBe(429);
  });

  it('caps logins in flight and answers the rest 429 at once, with Retry-After', async () => {
    const x = await harness({ logins: { maxConcurrentLogins: 2, maxAttemptsPerName: 100 } });
    const stats = countChecks(x, 200);
    const t0 = Date.now();
    const res = await Promise.all(Array.from({ length: 12 }, (_, i) => login(x, USERS[i % USERS.length]!.name, PASSWORD)));
    expect(stats.maxRunning).toBe(2);
    const busy = res.filter((r) => r.status === 429);
    expect(busy.length).toBe(10);
    expect(busy[0]!.headers.get('retry-after')).toBe('1');
    expect((await body(busy[0]!)).message).toMatch(/checking other logins/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('limits a client address as well as a name, and believes X-Forwarded-For only from a trusted proxy', async () => {
    const x = await harness({ logins: { maxConcurrentLogins: 64, maxAttemptsPerAddress: 10, trustedProxies: ['10.0.0.1'] } });
    for (let i = 0; i < 10; i++) expect((await login(x, `nobody-${i}`, 'x', '192.0.2.7')).status).toBe(401);
    const r = await login(x, 'olga', PASSWORD, '192.0.2.7');
    expect(r.status).toBe(429);
    expect((await login(x, 'olga', PASSWORD, '192.0.2.8')).status).toBe(200);
    // Through the trusted proxy, the address it names is the one limited…
    expect((await x.req('/api/login', { json: { name: 'olga', password: PASSWORD }, from: '10.0.0.1', headers: { 'x-forwarded-for': '192.0.2.7' } })).status).toBe(429);
    // …and from anyone else the header is ignored (it would let a client pick its address).
    expect((await x.req('/api/login', { json: { name: 'olga', password: PASSWORD }, from: '192.0.2.9', headers: { 'x-forwarded-for': '192.0.2.7' } })).status).toBe(200);
    // An IPv6 client is one /64.
    for (let i = 0; i < 10; i++) await login(x, `six-${i}`, 'x', `2001:db8:1:2::${i + 1}`);
    expect((await login(x, 'olga', PASSWORD, '2001:db8:1:2:ffff::9')).status).toBe(429);
  });

  it('keeps the limits in the store: a second replica and a restarted hub see the lock', async () => {
    const a = await harness();
    for (let i = 0; i < 5; i++) await login(a, 'cora', `wrong-${i}`);
    expect((await login(a, 'cora', PASSWORD)).status).toBe(429);
    const b = await harness({ db: a.t });
    expect((await login(b, 'cora', PASSWORD)).status).toBe(429);
    a.clock.advance(5 * 60_000 + 1);
    b.clock.advance(5 * 60_000 + 1);
    expect((await login(b, 'cora', PASSWORD)).status).toBe(200);
  });

  it('cannot be flushed by junk names: a real lock stays, and the table stays bounded', async () => {
    const x = await harness({ logins: { maxConcurrentLogins: 64 } });
    for (let i = 0; i < 5; i++) await login(x, 'cora', `wrong-${i}`);
    for (let i = 0; i < 600; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => login(x, `junk-${i + k}`, 'x')));
    expect((await login(x, 'cora', PASSWORD)).status).toBe(429);
    // Names that are not users share 4,096 buckets: whatever junk arrives, the table holds at most that many more rows.
    const keys = (await x.t.db.selectFrom('login_limits').select('key').execute()).map((r) => r.key);
    expect(keys.filter((k) => k.startsWith('name:'))).toEqual(['name:cora']);
    expect(keys.filter((k) => !k.startsWith('name:')).every((k) => /^name\?\d{1,4}$/.test(k) && Number(k.slice(5)) < 4096)).toBe(true);
  });
});

describe('sessions and tokens', () => {
  const as = (x: ApiHarness, token: string, path = '/api/me', init: RequestInit = {}) => x.req(path, { ...init, headers: { authorization: `Bearer ${token}` } });

  it('gives a short-lived access token and a refresh token that rotates; a copied refresh token ends the session', async () => {
    const x = await harness();
    const first = await body(await login(x, 'olga', PASSWORD));
    expect(Date.parse(first.expiresAt) - x.clock.now()).toBeLessThanOrEqual(3600_000);
    expect(first.refreshToken).toEqual(expect.any(String));
    const r1 = await x.req('/api/token/refresh', { json: { refreshToken: first.refreshToken } });
    expect(r1.status).toBe(200);
    const second = await body(r1);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await as(x, second.token)).status).toBe(200);
    // The spent token again: someone else has it. The whole session ends, for both holders.
    expect((await x.req('/api/token/refresh', { json: { refreshToken: first.refreshToken } })).status).toBe(401);
    expect((await as(x, second.token)).status).toBe(401);
    expect((await x.req('/api/token/refresh', { json: { refreshToken: second.refreshToken } })).status).toBe(401);
  });

  it('lets an access token expire while the session lives on through a refresh', async () => {
    const x = await harness();
    const s = await body(await login(x, 'olga', PASSWORD));
    x.clock.advance(3600_000 + 1000);
    expect((await as(x, s.token)).status).toBe(401);
    const r = await body(await x.req('/api/token/refresh', { json: { refreshToken: s.refreshToken } }));
    expect((await as(x, r.token)).status).toBe(200);
    x.clock.advance(13 * 3600_000);
    expect((await x.req('/api/token/refresh', { json: { refreshToken: r.refreshToken } })).status).toBe(401);
  });

  it('logout revokes at once', async () => {
    const x = await harness();
    const s = await body(await login(x, 'olga', PASSWORD));
    const other = await body(await login(x, 'olga', PASSWORD));
    expect((await as(x, s.token, '/api/logout', { method: 'POST' })).status).toBe(200);
    expect((await as(x, s.token)).status).toBe(401);
    expect((await x.req('/api/token/refresh', { json: { refreshToken: s.refreshToken } })).status).toBe(401);
    // Another session of the same user is untouched, unless all are ended.
    expect((await as(x, other.token)).status).toBe(200);
    await x.req('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ all: true }) });
    expect((await as(x, other.token)).status).toBe(401);
  });

  it('checks every request against the user as configured now: deleted, demoted, re-scoped, new password', async () => {
    const x = await harness();
    const base = USERS.map((u) => ({ ...u, passwordHash: x.hash }));
    const olga = (await body(await login(x, 'olga', PASSWORD))).token as string;
    const emil = (await body(await login(x, 'emil', PASSWORD))).token as string;
    const ada = (await body(await login(x, 'ada', PASSWORD))).token as string;
    expect((await as(x, olga, '/api/alarms')).status).toBe(200);
    // hub.yaml edited and reloaded: olga demoted to unit, emil deleted, ada limited to one site.
    x.users.replace(base.filter((u) => u.name !== 'emil').map((u) => (u.name === 'olga' ? { ...u, role: 'unit' as const, unit: 'team-z' } : u.name === 'ada' ? { ...u, sites: ['museum'] } : u)));
    expect((await as(x, olga, '/api/alarms')).status).toBe(403);
    expect((await as(x, emil)).status).toBe(401);
    expect((await body(await as(x, ada))).user).toMatchObject({ name: 'ada', role: 'admin', sites: ['museum'] });
    // A new password ends the sessions begun under the old one.
    x.users.replace(base.map((u) => (u.name === 'ada' ? { ...u, passwordHash: `${x.hash.slice(0, -4)}AAA=` } : u)));
    expect((await as(x, ada)).status).toBe(401);
  });

  it('opens the stream with a one-use ticket good for 60 s, never a token in the URL', async () => {
    const x = await harness();
    const s = await body(await login(x, 'olga', PASSWORD));
    const ticket = async () => (await body(await as(x, s.token, '/api/stream/ticket', { method: 'POST' }))).ticket as string;
    const t1 = await ticket();
    const ctl = new AbortController();
    const open = await x.app.request(`/api/stream?ticket=${encodeURIComponent(t1)}`, { signal: ctl.signal });
    expect(open.status).toBe(200);
    ctl.abort();
    await open.body?.cancel().catch(() => undefined);
    expect((await x.req(`/api/stream?ticket=${encodeURIComponent(t1)}`)).status).toBe(401);
    const t2 = await ticket();
    x.clock.advance(61_000);
    expect((await x.req(`/api/stream?ticket=${encodeURIComponent(t2)}`)).status).toBe(401);
    expect((await x.req(`/api/stream?token=${encodeURIComponent(s.token)}`)).status).toBe(401);
  });

  it('closes an open stream when its session ends', async () => {
    const x = await harness();
    const s = await body(await login(x, 'olga', PASSWORD));
    const t = (await body(await as(x, s.token, '/api/stream/ticket', { method: 'POST' }))).ticket as string;
    const res = await x.app.request(`/api/stream?ticket=${encodeURIComponent(t)}`);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    while (!text.includes('event: hello')) text += dec.decode((await reader.read()).value);
    await as(x, s.token, '/api/logout', { method: 'POST' });
    x.clock.advance(15_000);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    expect(text).not.toContain('event: heartbeat');
  });
});

describe('refusals in the user\'s language', () => {
  const ZH = { 'accept-language': 'zh-CN,zh;q=0.9' };
  /** The same request in zh-CN and in English: the status and code agree, the message is each language's own. */
  async function both(x: ApiHarness, send: (headers: Record<string, string>) => Promise<Response>) {
    const zh = await send(ZH);
    const en = await send({});
    const [zb, eb] = [await body(zh), await body(en)];
    expect(zh.status).toBe(en.status);
    expect(zb.error).toBe(eb.error);
    return { status: zh.status, zh: zb.message as string, en: eb.message as string, retryAfter: zh.headers.get('retry-after') };
  }
  const post = (x: ApiHarness, path: string, json: unknown, headers: Record<string, string>) => x.req(path, { json, headers });

  it('refuses logins, locks and busy hubs in zh-CN and in English', async () => {
    const x = await harness({ logins: { maxConcurrentLogins: 1, maxAttemptsPerName: 4 } });
    expect(await both(x, (h) => post(x, '/api/login', { name: 'olga', password: 'wrong' }, h)))
      .toMatchObject({ status: 401, zh: '用户名或密码错误', en: 'wrong name or password' });
    for (let i = 0; i < 2; i++) await login(x, 'olga', `wrong-${i}`);
    const locked = await both(x, (h) => post(x, '/api/login', { name: 'olga', password: PASSWORD }, h));
    expect(locked.status).toBe(429);
    expect(locked.retryAfter).toMatch(/^\d+$/);
    expect(locked.zh).toMatch(/^登录尝试次数过多，请 \d+ 秒后再试$/);
    expect(locked.en).toMatch(/^too many login attempts; try again in \d+ s$/);
    // One login being checked (slowly) fills the hub's one slot: the next is answered at once.
    countChecks(x, 300);
    const slow = login(x, 'cora', PASSWORD);
    await new Promise((r) => setTimeout(r, 50));
    const busy = await x.req('/api/login', { json: { name: 'emil', password: PASSWORD }, headers: ZH });
    expect(busy.status).toBe(429);
    expect((await body(busy)).message).toBe('本中心正在核验其他登录，请 1 秒后再试');
    expect((await slow).status).toBe(200);
  });

  it('refuses tokens, ended sessions and stream tickets in zh-CN and in English', async () => {
    const x = await harness();
    const s = await body(await login(x, 'olga', PASSWORD));
    const bearer = (token: string) => (h: Record<string, string>) => x.req('/api/me', { headers: { ...h, authorization: `Bearer ${token}` } });
    expect(await both(x, (h) => x.req('/api/me', { headers: h }))).toMatchObject({ status: 401, zh: '需要登录', en: 'login required' });
    expect(await both(x, (h) => x.req('/api/me', { headers: { ...h, authorization: 'Basic b2xnYTp4' } })))
      .toMatchObject({ status: 401, zh: 'Authorization 请求头须为“Bearer <令牌>”', en: 'Authorization header must be "Bearer <token>"' });
    expect(await both(x, bearer('not.a.token'))).toMatchObject({ status: 401, zh: '令牌无效或已过期', en: 'invalid or expired token' });
    expect(await both(x, (h) => x.req('/api/stream?ticket=nope', { headers: h })))
      .toMatchObject({ status: 401, zh: '事件流票据无效、已使用或已过期，请重新申请（POST /api/stream/ticket）' });
    expect(await both(x, (h) => post(x, '/api/token/refresh', { refreshToken: 'x'.repeat(32) }, h)))
      .toMatchObject({ status: 401, zh: '会话已结束，请重新登录', en: 'the session has ended; log in again' });
    // A new password ends the session; then a deleted user; then logout.
    const ada = (await body(await login(x, 'ada', PASSWORD))).token as string;
    const emil = (await body(await login(x, 'emil', PASSWORD))).token as string;
    x.users.replace(USERS.filter((u) => u.name !== 'emil').map((u) => ({ ...u, passwordHash: u.name === 'ada' ? `${x.hash.slice(0, -4)}AAA=` : x.hash })));
    expect(await both(x, bearer(ada))).toMatchObject({ status: 401, zh: '密码已更改，请重新登录', en: 'the password has changed; log in again' });
    expect(await both(x, bearer(emil))).toMatchObject({ status: 401, zh: '该用户已不存在', en: 'this user no longer exists' });
    await x.req('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } });
    expect(await both(x, bearer(s.token))).toMatchObject({ status: 401, zh: '会话已结束，请重新登录' });
    const later = await body(await login(x, 'olga', PASSWORD));
    x.clock.advance(3600_000 + 1000);
    expect(await both(x, bearer(later.token))).toMatchObject({ status: 401, zh: '令牌无效或已过期' });
  });
});

describe('authorisation by site', () => {
  it('scopes every list and record to the user\'s sites: alarms, incidents, dead letters, the stream', async () => {
    const x = await harness();
    const now = x.clock.now();
    const alarms = [crowdAlarm({ site: 'metro', capturedAt: new Date(now).toISOString() }), crowdAlarm({ site: 'museum', zone: 'hall', capturedAt: new Date(now).toISOString() })];
    await x.t.db.transaction().execute((trx) => storeAndCorrelate(trx, alarms.map((alarm) => ({ alarm, receivedAtMs: now })), { windowMs: 120_000, dialect: 'sqlite' }));
    await x.t.db.insertInto('dead_letters').values([
      { at_ms: now, subject: 'vigil.alarm.metro.cam1.crowd.density', stream_seq: 1, msg_id: null, reason: 'x', payload: '{}' },
      { at_ms: now, subject: 'vigil.alarm.museum.cam1.crowd.density', stream_seq: 2, msg_id: null, reason: 'x', payload: '{}' },
      { at_ms: now, subject: 'vigil.alarm.metroX.cam1.crowd.density', stream_seq: 3, msg_id: null, reason: 'x', payload: '{}' },
    ]).execute();
    const museumIncident = (await x.t.db.selectFrom('incidents').select('id').where('site', '=', 'museum').executeTakeFirstOrThrow()).id;
    const get = async (path: string, as = 'gus') => x.req(path, { as });
    expect((await body(await get('/api/alarms'))).alarms.map((a: { site: string }) => a.site)).toEqual(['metro']);
    expect((await body(await get('/api/alarms?site=museum'))).alarms).toEqual([]);
    expect((await get(`/api/alarms/${alarms[1]!.id}`)).status).toBe(404);
    expect((await body(await get('/api/incidents'))).incidents.map((i: { site: string }) => i.site)).toEqual(['metro']);
    expect((await get(`/api/incidents/${museumIncident}`)).status).toBe(404);
    expect((await x.req(`/api/incidents/${museumIncident}/transition`, { as: 'gus', json: { to: 'acknowledged' } })).status).toBe(404);
    expect((await body(await get('/api/alarms', 'olga'))).alarms).toHaveLength(2);
    // Dead letters by the site their subject names (site ids are not prefixes of each other here).
    x.users.replace(USERS.map((u) => ({ ...u, passwordHash: x.hash, ...(u.name === 'emil' ? { sites: ['metro'] } : {}) })));
    expect((await body(await get('/api/dead-letters', 'emil'))).deadLetters.map((d: { streamSeq: number }) => d.streamSeq)).toEqual([1]);
  });

  it('filters the SSE stream by site', async () => {
    const { eventVisibleTo } = await import('../../../hub/api/stream-filter.ts');
    const gus = { name: 'gus', role: 'operator' as const, sites: ['metro'] };
    const ev = (site?: string, unit?: string) => ({ type: 'incident.created', at: 0, seq: 1, data: {}, ...(site ? { site } : {}), ...(unit ? { unit } : {}) }) as never;
    expect(eventVisibleTo(ev('metro'), gus)).toBe(true);
    expect(eventVisibleTo(ev('museum'), gus)).toBe(false);
    expect(eventVisibleTo(ev(), gus)).toBe(false);
    expect(eventVisibleTo(ev('museum'), { name: 'olga', role: 'operator' })).toBe(true);
    expect(eventVisibleTo(ev(undefined, 'u1'), { name: 'u', role: 'unit', unit: 'u1', sites: ['metro'] })).toBe(true);
  });
});
