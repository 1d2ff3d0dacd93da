import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from './api-harness.ts';

/** Prometheus scrapes /metrics with a bearer token from a secret file; that token opens nothing else. */
const TOKEN = 'scrape-token-0123456789abcdef';
let h: ApiHarness;
beforeAll(async () => { h = await apiHarness({ metricsToken: TOKEN }); });
afterAll(async () => { await h.close(); });

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

describe('/metrics scrape token', () => {
  it('lets Prometheus read /metrics with the token', async () => {
    const r = await h.req('/metrics', bearer(TOKEN));
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('vigil_hub_up 1');
  });

  it('refuses a wrong or partial token, and no token', async () => {
    for (const t of [`${TOKEN}x`, TOKEN.slice(0, -1), 'nope']) expect((await h.req('/metrics', bearer(t))).status, t).toBe(401);
    expect((await h.req('/metrics')).status).toBe(401);
  });

  it('opens nothing but /metrics', async () => {
    for (const p of ['/api/alarms', '/api/me', '/api/openapi.json', '/api/dead-letters']) expect((await h.req(p, bearer(TOKEN))).status, p).toBe(401);
  });

  it('still serves engineers and refuses other roles by login', async () => {
    expect((await h.req('/metrics', { as: 'emil' })).status).toBe(200);
    expect((await h.req('/metrics', { as: 'olga' })).status).toBe(403);
  });

  it('is off when no token is configured: only logins read /metrics', async () => {
    const plain = await apiHarness();
    try {
      expect((await plain.req('/metrics', bearer(TOKEN))).status).toBe(401);
      expect((await plain.req('/metrics', { as: 'emil' })).status).toBe(200);
    } finally { await plain.close(); }
  });
});
