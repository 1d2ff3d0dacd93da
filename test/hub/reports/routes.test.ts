import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertIncident, opsApp, testSite, unitConfig, USERS } from '../dispatch/ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const site = testSite([unitConfig('u1', 20, 10)]);

describe('reports API', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  let id: string;
  beforeAll(async () => {
    t = await opsApp(site, T0);
    id = await insertIncident(t.h, { at: T0, severity: 'warning' });
  });
  afterAll(async () => { await t?.close(); });

  it('starts the deadlines when a commander activates the plan, and shows a pre-filled draft', async () => {
    expect((await t.call(USERS.operator, 'GET', `/api/incidents/${id}/reports`)).body.deadlines).toEqual([]);
    t.clock.advance(5 * 60_000);
    const activatedAt = t.clock.now();
    expect((await t.call(USERS.operator, 'POST', `/api/incidents/${id}/plan`, { level: 'IV' })).status).toBe(403);
    expect(await t.call(USERS.commander, 'POST', `/api/incidents/${id}/plan`, { level: 'V' })).toMatchObject({ status: 400, body: { field: 'level' } });
    const act = await t.call(USERS.commander, 'POST', `/api/incidents/${id}/plan`, { level: 'IV', note: 'crowding at the hall' });
    expect(act).toMatchObject({ status: 200, body: { incident: { plan: { state: 'activated', level: 'IV', activatedBy: 'chris', note: 'crowding at the hall', activatedAt: new Date(activatedAt).toISOString() } } } });
    const d = await t.call(USERS.operator, 'GET', `/api/incidents/${id}/reports`);
    expect(d.status).toBe(200);
    expect(d.body.deadlines.map((x: { kind: string; dueAt: string }) => [x.kind, x.dueAt])).toEqual([
      ['first', new Date(activatedAt + 3_600_000).toISOString()], ['written', new Date(activatedAt + 7_200_000).toISOString()],
    ]);
    const draft = await t.call(USERS.commander, 'GET', `/api/incidents/${id}/reports/first/draft`);
    expect(draft.status).toBe(200);
    expect(draft.body.body.situation).toContain('Metro, zone hall');
    expect(draft.body.facts.densities).toHaveLength(1);
    expect((await t.call(USERS.operator, 'GET', `/api/incidents/${id}/reports/final/draft`))).toMatchObject({ status: 400, body: { field: 'kind' } });
    expect((await t.call(USERS.operator, 'GET', '/api/incidents/nope/reports')).status).toBe(404);
    expect((await t.call(USERS.unit1, 'GET', `/api/incidents/${id}/reports`)).status).toBe(403);
  });

  it('drafts and prints the report in the plan\'s headings, in Chinese or English, times in the site\'s zone', async () => {
    const zh = await t.call(USERS.operator, 'GET', `/api/incidents/${id}/reports/first/draft`, undefined, 'zh-CN');
    expect(zh.body.locale).toBe('zh-CN');
    expect(zh.body.body.situation).toMatch(/Metro，区域 hall.*人群密度.*预案已启动|启动预案/s);
    expect(zh.body.body.whatHappened).toMatch(/人群密度报警（警告）：hall：4.5 人\/平方米/);
    const printed = await t.app.request(`/api/incidents/${id}/reports/first/print?lang=zh-CN`, { headers: await t.authHeaders(USERS.operator) });
    expect(printed.status).toBe(200);
    expect(printed.headers.get('content-type')).toMatch(/text\/html/);
    expect(printed.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await printed.text();
    for (const heading of ['时间和地点', '事件经过', '涉及人员及伤亡情况', '原因', '发展趋势', '已采取的措施及效果', '下一步工作']) expect(html).toContain(heading);
    expect(html).toContain('<html lang="zh-CN">');
    const en = await (await t.app.request(`/api/incidents/${id}/reports/first/print?lang=en`, { headers: await t.authHeaders(USERS.operator) })).text();
    for (const heading of ['Time and place', 'What happened', 'People involved and casualties', 'Cause', 'Trend', 'Measures taken and their effect', 'Next steps']) expect(en).toContain(heading);
    // The site is in UTC here: the activation time printed is the UTC wall time.
    expect(en).toMatch(/Plan activated: Level IV \(general\) · 03\/06\/2026, 10:05:00/);
  });

  it('accepts a report, naming the bad field otherwise, and flags a late one', async () => {
    const bad = await t.call(USERS.commander, 'PUT', `/api/incidents/${id}/reports/first`, { situation: 'x', whatHappened: 'y', people: { casualties: -1 } });
    expect(bad).toMatchObject({ status: 400, body: { field: 'people.casualties' } });
    expect((await t.call(USERS.commander, 'GET', `/api/incidents/${id}/reports/first`)).status).toBe(404);
    t.clock.advance(3_700_000);
    const overdue = await t.call(USERS.operator, 'GET', '/api/overdue');
    expect(overdue.body.overdue.map((o: { kind: string }) => o.kind)).toContain('report.first');
    const ok = await t.call(USERS.commander, 'PUT', `/api/incidents/${id}/reports/first`, { situation: 'Hall, 10:00, crowding', whatHappened: 'two trains', people: { involved: 200, casualties: 0 } });
    expect(ok).toMatchObject({ status: 200, body: { deadline: { kind: 'first', late: true, submittedBy: 'chris' } } });
    const got = await t.call(USERS.operator, 'GET', `/api/incidents/${id}/reports/first`);
    expect(got.body.body.people).toMatchObject({ involved: 200, casualties: 0 });
    const written = await t.call(USERS.commander, 'PUT', `/api/incidents/${id}/reports/written`, { situation: 's', whatHappened: 'w' });
    expect(written).toMatchObject({ status: 400, body: { field: 'cause' } });
  });
});
