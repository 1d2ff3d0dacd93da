import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { apiAs, startTestHub, until, PASSWORD, type TestHub } from './harness.ts';
import { abandonedAlarm, crowdAlarm, putSnapshot } from './alarms.ts';
import { healthSubject } from '../../../common/subjects.ts';
import { encodeCrowdGrid } from '../../../common/crowd-grid.ts';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createReplayService } from '../../../hub/replay/replay-service.ts';
import { silentLogger } from '../../../common/log.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../../test-artifacts/dashboard');
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let hub: TestHub;

/** A page whose clock runs from the hub's instant, so the browser and the hub agree on the shift. */
async function openPage(browser: Browser, viewport: { viewport: { width: number; height: number } }): Promise<Page> {
  // English here; dashboard-zh.test.ts walks the Chinese interface.
  const p = await browser.newPage({ ...viewport, locale: 'en-US' });
  p.setDefaultTimeout(30_000);
  await p.clock.install({ time: hub.clock.now() });
  return p;
}

const hubNow = () => new Date(hub.clock.now()).toISOString();

async function login(page: Page, hub: TestHub, name: string): Promise<void> {
  await page.goto(hub.url + '/');
  await page.fill('#login-name', name);
  await page.fill('#login-password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top');
}

/**
 * The edge's density map: 32×32 cells over the 768×576 frame, all of the crowd
 * in a block over source pixels (456–552, 252–324), inside the crossing zone.
 */
function crowdGrid(at: number) {
  const v = new Float32Array(32 * 32);
  for (let y = 14; y < 18; y++) for (let x = 19; x < 23; x++) v[y * 32 + x] = 0.8;
  return { grid: encodeCrowdGrid(v, 32, 32), sourceWidth: 768, sourceHeight: 576, at: new Date(at).toISOString() };
}

function heartbeat(hub: TestHub, density: number, count: number, los: string, at = hub.clock.now()): void {
  hub.nc.publish(healthSubject('demo', 'edge-test'), JSON.stringify({
    site: 'demo', edge: 'edge-test', at: new Date(at).toISOString(),
    cameras: [{ id: 'plaza-east', status: 'ok', fps: 2, crowd: crowdGrid(at) }],
    zones: [{ camera: 'plaza-east', zone: 'crossing', count, density, los, method: 'detections', trendPerMin: 0.004 }],
  }));
}

// Generous limits: the CI machine is shared, and Chromium is slow to start there.
describe('live dashboard in headless Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    hub = await startTestHub();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await openPage(browser, { viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Offline by design: any request that leaves the hub is a failure.
    await page.route('**/*', (route) => (route.request().url().startsWith(hub.url) || route.request().url().startsWith('blob:') || route.request().url().startsWith('data:') ? route.continue() : route.abort()));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('logs in, shows a new critical crowd alarm with its snapshot, on the map, and beeps', async () => {
    await login(page, hub, 'commander');
    await page.waitForSelector('.conn.up', { timeout: 30_000 });
    for (let i = 0; i < 30; i++) heartbeat(hub, 0.01 + i * 0.0012 + (i % 3) * 0.002, 2 + Math.round(i / 3), 'A', hub.clock.now() - (30 - i) * 20_000);
    const a = crowdAlarm({ capturedAt: hubNow() });
    const withSnap = { ...a, snapshot: await putSnapshot(hub.nc, a.site, a.camera, a.id) };
    await hub.publish(withSnap);
    const row = page.locator(`[data-alarm-id="${a.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toMatch(/CRITICAL/);
    await expect(row.textContent()).resolves.toMatch(/Crowd density/);
    await page.locator(`[data-alarm-id="${a.id}"] img.snap`).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (globalThis as any).__vigilBeeps ?? 0)).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, 'feed.png') });

    // Filter by kind: the crowd alarm hides when only abandoned objects are shown.
    await page.selectOption('#filter-kind', 'object.abandoned');
    await row.waitFor({ state: 'detached' });
    await page.selectOption('#filter-kind', '');

    await page.keyboard.press('2');
    await page.waitForSelector('.leaflet-container');
    await page.waitForSelector('.leaflet-image-layer', { timeout: 30_000 });
    await page.waitForSelector('.map-label.incident', { timeout: 30_000 });
    await page.waitForSelector('.zone-label .los-letter:text("A")', { timeout: 30_000 });
    await page.click('.inc-btn');
    await page.waitForSelector('.nearest .near-list li');
    const first = await page.locator('.nearest .near-list li strong').first().textContent();
    expect(first).toMatch(/Foxtrot/); // posted in the east plaza, next to the zone
    await page.screenshot({ path: path.join(SHOTS, 'map.png') });

    // A camera status is the edge's word, not markup: it shows as text and injects nothing into the map.
    hub.nc.publish(healthSubject('demo', 'edge-test'), JSON.stringify({ site: 'demo', edge: 'edge-test', at: hubNow(), cameras: [{ id: 'plaza-east', status: '"><img src=x id=injected>' }] }));
    await page.waitForSelector('.map-label.cam b:has-text("<img src=x")', { timeout: 30_000 });
    expect(await page.locator('#injected').count()).toBe(0);
    heartbeat(hub, 0.05, 12, 'A');
    await page.waitForSelector('.map-label.cam b:has-text("ok")', { timeout: 30_000 });
  });

  it('walks the incident through acknowledge, dispatch, on scene, resolve and close', async () => {
    await page.keyboard.press('3');
    const card = page.locator('.card[data-incident-id]').first();
    await card.waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'board.png') });
    await card.click();
    await page.waitForSelector('#inc-title');
    await page.click('button[data-action="acknowledged"]');
    await page.waitForSelector('#inc-title .st-acknowledged', { timeout: 30_000 });
    // Dispatch the nearest unit the hub proposes: the incident moves to dispatched with it.
    const send = page.locator('button[data-dispatch]').first();
    await send.waitFor({ timeout: 30_000 });
    expect(await send.getAttribute('data-dispatch')).toBe('u-foxtrot');
    await send.click();
    await page.waitForSelector('table.dispatches tr[data-dispatch-unit="u-foxtrot"]', { timeout: 30_000 });
    await page.waitForSelector('#inc-title .st-dispatched', { timeout: 30_000 });
    // The commander reports for the unit (on the radio): acknowledged, en route, on scene.
    for (const [step, next] of [['ack', 'en_route'], ['en_route', 'on_scene'], ['on_scene', null]] as const) {
      await page.click(`button[data-dispatch-step="${step}"]`);
      if (next) await page.waitForSelector(`button[data-dispatch-step="${next}"]`, { timeout: 30_000 });
      else await page.waitForSelector('button[data-dispatch-step]', { state: 'detached', timeout: 30_000 });
    }
    await page.screenshot({ path: path.join(SHOTS, 'incident.png'), fullPage: true });
    for (const step of ['on_scene', 'resolved', 'closed']) {
      if (step === 'on_scene' && (await page.locator('#inc-title .st-on_scene').count())) continue;
      const btn = page.locator(`button[data-action="${step}"]`);
      await btn.waitFor({ timeout: 30_000 });
      await btn.click();
      await page.waitForSelector(`#inc-title .st-${step}`, { timeout: 30_000 });
    }
    const id = decodeURIComponent(page.url().split('/').pop()!);
    const row = await hub.store.db.selectFrom('incidents').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('closed');
    const audit = await page.locator('table.audit tbody tr').count();
    expect(audit).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: path.join(SHOTS, 'incident-closed.png'), fullPage: true });
  });

  it('hides the actions an operator may not take, and shows charts and units', async () => {
    const p2 = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    p2.on('pageerror', (e) => pageErrors.push(e.message));
    await login(p2, hub, 'operator');
    const a = abandonedAlarm({ capturedAt: hubNow() });
    await hub.publish(a);
    await p2.locator(`[data-alarm-id="${a.id}"]`).waitFor({ timeout: 30_000 });
    await p2.click(`[data-alarm-id="${a.id}"] a.btn`);
    await p2.waitForSelector('button[data-action="acknowledged"]');
    expect(await p2.locator('button[data-action="closed"], button[data-action="cancelled"]').count()).toBe(0);
    // A warning: the plan is not activated, no report clock runs, and an operator cannot activate it.
    await p2.waitForSelector('[data-plan="alarm_raised"]');
    await p2.waitForSelector('[data-reports-waiting]');
    expect(await p2.locator('[data-plan-form]').count()).toBe(0);
    expect(await p2.locator('.report[data-report="first"] .deadline').textContent()).toBe('');
    // The commander activates it (from the command centre): the operator's view follows, with the 1 h clock running.
    const incidentId = decodeURIComponent(p2.url().split('/').pop()!);
    expect((await apiAs(hub, 'commander', 'POST', `/api/incidents/${incidentId}/plan`, { level: 'IV', note: 'unattended suitcase on the walkway' })).status).toBe(200);
    await p2.waitForSelector('[data-plan="activated"]', { timeout: 30_000 });
    await until('the report clock', async () => /due in (59 min|1 h 00 min)/.test((await p2.locator('.report[data-report="first"] .deadline').textContent()) ?? ''));
    // The first report comes pre-filled from the hub's draft; the operator adds a measure and submits it.
    await p2.waitForFunction(() => (document.querySelector('.report[data-report="first"] textarea[name="whatHappened"]') as HTMLTextAreaElement | null)?.value.length);
    await p2.fill('.report[data-report="first"] textarea[name="measures"]', 'cordoned the bag — area cleared');
    await p2.click('.report[data-report="first"] button[type=submit]');
    await p2.waitForSelector('.report[data-report="first"] .deadline:text("submitted")');
    await p2.keyboard.press('4');
    await p2.waitForSelector('.chart .uplot');
    // Where the crowd is: the density map drawn over the camera's zone, hot where the crowd stands, clear elsewhere.
    await p2.waitForSelector('.crowd-picture[data-crowd-camera="plaza-east"] canvas');
    const px = await p2.evaluate(() => {
      const c = document.querySelector('.crowd-picture canvas') as HTMLCanvasElement;
      const ctx = c.getContext('2d')!;
      const at = (sx: number, sy: number) => Array.from(ctx.getImageData(Math.round((sx / 768) * c.width), Math.round((sy / 576) * c.height), 1, 1).data);
      return { hot: at(520, 318), cold: at(700, 420) };
    });
    expect(px.hot[0]).toBeGreaterThan(180); // red channel of the heat ramp
    expect(px.hot[0]! - px.hot[2]!).toBeGreaterThan(100);
    expect(px.cold[0]! - px.cold[2]!).toBeLessThan(60);
    await p2.screenshot({ path: path.join(SHOTS, 'charts.png') });
    await p2.keyboard.press('5');
    await p2.waitForSelector('.unit-card');
    expect(await p2.locator('.unit-card').count()).toBe(6);
    await p2.screenshot({ path: path.join(SHOTS, 'units.png'), fullPage: true });
    await p2.keyboard.press('?');
    await p2.waitForSelector('[role=dialog] #help-title');
    await p2.screenshot({ path: path.join(SHOTS, 'help.png') });
    await p2.keyboard.press('Escape');
    await p2.close();
  });

  it('lets an engineer replay a fixture and see its alarms and truth marks on the timeline', async () => {
    // The pipeline itself is `vigil replay`'s business (and slow on a shared CPU): a stand-in prints what it prints.
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-dash-replay-'));
    const clip = path.resolve(import.meta.dirname, '../../../fixtures/.cache/abandoned-backpack-lawn.mp4');
    if (existsSync(clip)) copyFileSync(clip, path.join(dir, 'left-bag.mp4')); else writeFileSync(path.join(dir, 'left-bag.mp4'), Buffer.alloc(1024));
    writeFileSync(path.join(dir, 'left-bag.truth.json'), JSON.stringify({ objects: [{ id: 'bag', abandonAt: 6, removedAt: null, bbox: [150, 390, 186, 432] }, { id: 'box', abandonAt: 24, bbox: [10, 10, 60, 60] }] }));
    hub.deps.replay = createReplayService({ clock: hub.clock, logger: silentLogger, workDir: path.join(dir, 'work'), fixturesDir: dir, command: [process.execPath, path.resolve(import.meta.dirname, '../replay/fake-vigil.mjs')] });
    const p3 = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    p3.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await login(p3, hub, 'engineer');
      await p3.keyboard.press('6');
      await p3.click('tr[data-clip="left-bag.mp4"] button');
      await p3.waitForSelector('.run[data-run-status="done"]', { timeout: 30_000 });
      await p3.waitForSelector('.truth-mark.mark-TP');
      expect(await p3.locator('.truth-mark.mark-FN').count()).toBe(1);
      expect(await p3.locator('.alarm-mark').count()).toBe(2);
      await p3.waitForSelector('.run .alarm img.snap');
      await p3.screenshot({ path: path.join(SHOTS, 'replay.png'), fullPage: true });
      // An engineer sees no lifecycle actions and no report forms.
      await p3.keyboard.press('1');
      await p3.waitForSelector('#feed-title');
    } finally {
      await p3.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens a unit login on the incident board, without the alarm feed or replay', async () => {
    const p4 = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    p4.on('pageerror', (e) => pageErrors.push(e.message));
    await login(p4, hub, 'unit-foxtrot');
    await p4.waitForSelector('#board-title');
    const nav = await p4.locator('header nav').textContent();
    expect(nav).not.toMatch(/Alarms|Replay/);
    expect(nav).toMatch(/Incidents/);
    await p4.close();
  });

  it('keeps working on short-lived tokens through the refresh token, and logging out ends the session on the hub', async () => {
    const config = hub.deps.config as { tokenTtlS: number };
    const ttl = config.tokenTtlS;
    // 61 s: under the client's one-minute margin at once, so every request renews first.
    config.tokenTtlS = 61;
    const since = hub.clock.now();
    const p5 = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    p5.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await login(p5, hub, 'commander');
      await p5.waitForSelector('.alarm');
      await p5.goto(hub.url + '/#/incidents');
      await p5.waitForSelector('#board-title');
      const session = await until('a refreshed session', async () => (await hub.store.db.selectFrom('sessions').selectAll()
        .where('user_name', '=', 'commander').where('created_at_ms', '>=', since).where((eb) => eb('refreshed_at_ms', '>', eb.ref('created_at_ms'))).executeTakeFirst()) ?? null);
      expect(session.revoked_at_ms).toBeNull();
      await p5.click('text=Log out');
      await p5.waitForSelector('#login-name');
      const ended = await until('the session ended', async () => (await hub.store.db.selectFrom('sessions').select(['revoked_at_ms', 'revoked_reason']).where('id', '=', session.id).executeTakeFirst())?.revoked_at_ms ?? null);
      expect(ended).toBeGreaterThan(0);
    } finally {
      config.tokenTtlS = ttl;
      await p5.close();
    }
  });

  it('has large type on a wall display and a narrow layout on a laptop', async () => {
    const wall = await openPage(browser, { viewport: { width: 1920, height: 1080 } });
    await wall.goto(hub.url + '/?wall=1');
    await wall.evaluate(() => localStorage.setItem('vigil.lang', 'en'));
    await wall.fill('#login-name', 'operator');
    await wall.fill('#login-password', PASSWORD);
    await wall.click('button[type=submit]');
    await wall.waitForSelector('body.wall .alarm');
    const size = await wall.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    expect(size).toBeGreaterThanOrEqual(20);
    await wall.screenshot({ path: path.join(SHOTS, 'wall-feed.png') });
    await wall.goto(hub.url + '/?wall=1#/map');
    await wall.waitForSelector('.map-label.zone-label');
    await wall.screenshot({ path: path.join(SHOTS, 'wall-map.png') });
    await wall.setViewportSize({ width: 800, height: 1000 });
    await wall.goto(hub.url + '/#/feed');
    await wall.waitForSelector('.alarm');
    await wall.screenshot({ path: path.join(SHOTS, 'narrow-feed.png') });
    await wall.close();
    expect(pageErrors).toEqual([]);
  });
});
