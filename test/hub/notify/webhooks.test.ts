import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { siteSchema } from '../../../common/config/site.ts';
import { ConfigError } from '../../../common/errors.ts';
import { signWebhook, verifyWebhook } from '../../../hub/notify/webhook-signature.ts';
import { resolveWebhooks, type Webhook } from '../../../hub/notify/webhook-config.ts';
import { ingestAlarms, metroAlarm, opsApp, testSite, unitConfig, USERS } from '../dispatch/ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const SECRET = 'pa-webhook-secret-0123456789';

interface Received { path: string; headers: IncomingMessage['headers']; body: string; valid: boolean }

/** A receiver on loopback, as a PA system or an SMS gateway would run one: it checks the signature against the hub's clock. */
async function receiver(now: () => number, answer: (n: number, path: string) => number) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      void verifyWebhook(SECRET, req.headers['x-vigil-signature'] as string, body, now()).then((valid) => {
        got.push({ path: req.url ?? '', headers: req.headers, body, valid });
        res.writeHead(answer(got.filter((g) => g.path === req.url).length, req.url ?? '')).end('ok');
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('webhook signatures', () => {
  it('signs the timestamp and body with HMAC-SHA256, and refuses a changed body, another key or a replay', async () => {
    const body = JSON.stringify({ event: 'plan.activated' });
    const sig = await signWebhook(SECRET, body, T0);
    expect(sig).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhook(SECRET, sig, body, T0 + 1000)).toBe(true);
    expect(await verifyWebhook(SECRET, sig, body.replace('plan', 'pla'), T0)).toBe(false);
    expect(await verifyWebhook('another-secret-0123456789', sig, body, T0)).toBe(false);
    expect(await verifyWebhook(SECRET, sig, body, T0 + 10 * 60_000)).toBe(false);
    expect(await verifyWebhook(SECRET, undefined, body, T0)).toBe(false);
  });

  it('checks the webhook config, naming the field', () => {
    expect(() => resolveWebhooks({ webhooks: [{ id: 'pa', url: 'ftp://x', secret: SECRET }] }, 'hub.yaml')).toThrow(/webhooks\.0\.url/);
    expect(() => resolveWebhooks({ webhooks: [{ id: 'pa', url: 'http://127.0.0.1/', secret: 'short' }] }, 'hub.yaml')).toThrow(ConfigError);
    expect(resolveWebhooks({ webhooks: [{ id: 'pa', url: 'http://127.0.0.1/', secret: SECRET }] }, 'hub.yaml')[0]).toMatchObject({ id: 'pa', maxAttempts: 6, backoffMs: 2000 });
  });
});

describe('webhook notifications by policy, against a local receiver', () => {
  let t: Awaited<ReturnType<typeof opsApp>>;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let failing = 2;
  beforeAll(async () => {
    rx = await receiver(() => t.clock.now(), (n, path) => (path === '/dead' ? 503 : n <= failing ? 500 : 204));
    const webhooks: Webhook[] = [
      { id: 'pa', url: `${rx.url}/pa`, secret: SECRET, maxAttempts: 5, backoffMs: 2000, maxBackoffMs: 60_000, timeoutMs: 5000 },
      { id: 'sms', url: `${rx.url}/dead`, secret: SECRET, maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60_000, timeoutMs: 5000 },
    ];
    const site = siteSchema.parse({
      ...testSite([unitConfig('u1', 20, 10)]),
      policy: { notify: [{ webhook: 'pa', events: ['plan.activated', 'incident.unacknowledged'], minSeverity: 'warning' }, { webhook: 'sms', events: ['incident.opened'], minSeverity: 'critical' }] },
    });
    t = await opsApp(site, T0, { webhooks });
  });
  afterAll(async () => { await t?.close(); await rx?.close(); });

  /** Moves the hub's clock in steps and lets the notifier's real network I/O finish between them. */
  const run = async (ms: number, step = 500) => {
    for (let d = 0; d < ms; d += step) { t.clock.advance(step); await t.ops.idle(); }
    await t.ops.idle();
  };

  it('signs each delivery, retries with backoff until the receiver takes it, and audits every step', async () => {
    const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now() })], t.clock.now());
    const id = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
    await t.ops.idle();
    expect(rx.got).toEqual([]); // a warning incident: no one is called out (sms is for criticals)
    const activated = await t.call(USERS.commander, 'POST', `/api/incidents/${id}/plan`, { level: 'III', note: 'crowd at the hall' });
    expect(activated.status).toBe(200);
    await t.ops.idle();
    await run(100);
    expect(rx.got.filter((g) => g.path === '/pa')).toHaveLength(1); // first attempt: 500
    await run(2_000);
    expect(rx.got.filter((g) => g.path === '/pa')).toHaveLength(2); // +2 s: 500 again
    await run(3_500);
    expect(rx.got.filter((g) => g.path === '/pa')).toHaveLength(2); // next is +4 s after that
    await run(1_000);
    const pa = rx.got.filter((g) => g.path === '/pa');
    expect(pa).toHaveLength(3);
    expect(pa.every((g) => g.valid)).toBe(true);
    const body = JSON.parse(pa[2]!.body);
    expect(body).toMatchObject({ v: 1, event: 'plan.activated', site: 'metro', incident: { id, planLevel: 'III' } });
    expect(body.text['zh-CN']).toMatch(/应急预案.*Ⅲ级/);
    expect(body.text.en).toMatch(/emergency plan activated, Level III/);
    expect(pa[2]!.headers['x-vigil-event']).toBe('plan.activated');
    expect(pa[2]!.headers['x-vigil-delivery']).toBe(body.id);
    expect(pa.map((g) => g.headers['x-vigil-attempt'])).toEqual(['1', '2', '3']);
    const list = await t.call(USERS.commander, 'GET', `/api/notifications?incident=${id}`);
    expect(list.body.notifications).toMatchObject([{ webhook: 'pa', event: 'plan.activated', state: 'delivered', attempts: 3, lastStatus: 204 }]);
    const trail = await t.h.db.selectFrom('audit_log').select(['action']).where('entity_id', '=', id).where('action', 'like', 'notification.%').orderBy('id').execute();
    expect(trail.map((a) => a.action)).toEqual(['notification.queued', 'notification.failed', 'notification.failed', 'notification.delivered']);
    expect((await t.call(USERS.operator, 'GET', '/api/notifications')).status).toBe(403);
  });

  it('dead-letters a notification after the webhook\'s last attempt', async () => {
    const r = await ingestAlarms(t, [metroAlarm({ at: t.clock.now(), severity: 'critical', kind: 'object.abandoned', zone: 'hall', object: { bbox: [1, 1, 9, 9], class: 'suitcase', dwellSeconds: 40, confidence: 0.9, objectId: 'o9' } })], t.clock.now());
    const id = (r.events.find((e) => e.type === 'incident.created')!.data as { incident: { id: string } }).incident.id;
    await t.ops.idle();
    await run(10_000);
    const sms = rx.got.filter((g) => g.path === '/dead');
    expect(sms).toHaveLength(3);
    expect(JSON.parse(sms[0]!.body)).toMatchObject({ event: 'incident.opened', incident: { id, severity: 'critical' } });
    const dead = await t.call(USERS.engineer, 'GET', '/api/notifications?state=dead');
    expect(dead.body.notifications).toMatchObject([{ webhook: 'sms', attempts: 3, lastStatus: 503 }]);
    const trail = await t.h.db.selectFrom('audit_log').select(['action']).where('entity_id', '=', id).where('action', 'like', 'notification.%').orderBy('id').execute();
    expect(trail.map((a) => a.action)).toEqual(expect.arrayContaining(['notification.queued', 'notification.failed', 'notification.dead']));
    // The critical incident's plan was activated by policy: pa heard of that too, at once (the receiver accepts now).
    failing = 0;
    await run(1_000);
    expect(rx.got.filter((g) => g.path === '/pa' && JSON.parse(g.body).incident?.id === id).length).toBeGreaterThanOrEqual(1);
  });
});
