import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { apiAs, startTestHub, until, PASSWORD, type TestHub } from './harness.ts';
import { abandonedAlarm, crowdAlarm } from './alarms.ts';
import { healthSubject } from '../../../common/subjects.ts';
import { newAlarmId, parseAlarm, type Alarm } from '../../../common/alarm.ts';
import { en } from '../../../hub/i18n/en.ts';
import { zhCN } from '../../../hub/i18n/zh-CN.ts';
import { formatMessage, messageArguments } from '../../../hub/i18n/format.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../../test-artifacts/dashboard');
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Every English piece of the interface that must not show in Chinese: each
 * catalogue message that differs between the languages, cut at its arguments,
 * keeping the fragments that are words (two of them at least, or one long one).
 */
const ZH_TEXTS = Object.values(zhCN);
const ENGLISH = [...new Set(Object.entries(en).flatMap(([key, pattern]) => {
  if (zhCN[key as keyof typeof en] === pattern) return [];
  const marker = '\u0001';
  const text = formatMessage(pattern, Object.fromEntries(messageArguments(pattern).map((a) => [a, marker])), 'en');
  return text.split(marker).map((f) => f.trim()).filter((f) => /[A-Za-z]{3,}\W+[A-Za-z]{2,}/.test(f) || /[A-Za-z]{7,}/.test(f));
}))].filter((f) => !ZH_TEXTS.some((z) => z.includes(f))); // the language switch names English in English, in both

async function visibleText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const attrs = [...document.querySelectorAll('[title],[aria-label],[placeholder],[alt]')]
      .flatMap((el) => ['title', 'aria-label', 'placeholder', 'alt'].map((a) => el.getAttribute(a) ?? ''));
    return `${document.body.innerText}\n${attrs.join('\n')}`;
  });
}

/** Shown as they are in any language: key names, the language switch's own name for English, plan SVG captions are images. */
const ALLOWED_ENGLISH = /Tab \/ Shift\+Tab|Enter \/ Space|English/g;

/** The test logins are named after their roles: a user's name is data, whatever language it is in. */
const LOGIN_NAMES = /\b(commander|engineer|operator|admin)\b/g;

/** No key without a Chinese text (the catalogue marks it ⟦key⟧ and records it), and no English UI string left. */
async function expectAllChinese(page: Page, view: string): Promise<void> {
  const text = (await visibleText(page)).replace(LOGIN_NAMES, '');
  expect(text, `${view}: an untranslated key is marked`).not.toContain('⟦');
  expect(await page.evaluate(() => (globalThis as { __vigilMissing?: string[] }).__vigilMissing ?? []), view).toEqual([]);
  const left = ENGLISH.filter((f) => text.includes(f));
  expect(left, `${view}: English left in the Chinese interface`).toEqual([]);
  // And English that never was in the catalogue (a string written into a view): any two English words in a row,
  // beyond names the interface shows as they are (the product, key names, the language switch).
  const prose = [...text.replace(ALLOWED_ENGLISH, ' ').matchAll(/\b[A-Za-z]{3,}(?:[ ,.'’]+[A-Za-z]{2,})+\b/g)].map((m) => m[0]);
  expect(prose, `${view}: English words in the Chinese interface`).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
}

function sensor(kind: string, severity: 'info' | 'warning', over: Partial<Alarm> = {}): Alarm {
  const id = newAlarmId();
  return parseAlarm({
    v: 1, id, kind, state: 'raised', severity, site: 'demo', camera: 'door-service-3', zone: null, episode: `ep-${id}`,
    capturedAt: new Date().toISOString(), mediaTime: null, edge: 'edge-test', message: 'Service door 3 active',
    sensor: { sensorId: 'door-service-3', type: kind.slice(7), source: 'nats' }, ...over,
  });
}

// Generous limits: the CI machine is shared, and Chromium is slow to start there.
describe('the dashboard in Chinese (zh-CN) in headless Chromium', { timeout: 120_000 }, () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const at = () => new Date(hub.clock.now()).toISOString();

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Escalation after 3 s, so that the banner shows within the test.
    hub = await startTestHub({ policy: { escalation: { unacknowledgedMin: 0.05 }, flood: { maxAlarms: 2 } }, overdueIntervalMs: 1000 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    // The browser asks for Chinese; the user has chosen nothing yet.
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' });
    page.setDefaultTimeout(30_000);
    await page.clock.install({ time: hub.clock.now() });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => (route.request().url().startsWith(hub.url) || /^(blob|data):/.test(route.request().url()) ? route.continue() : route.abort()));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('follows the browser\'s language from the login page on, and walks every main view without an untranslated key or an English string', async () => {
    await page.goto(hub.url + '/');
    await page.waitForSelector('#login-title');
    await expectAllChinese(page, 'login');
    await page.screenshot({ path: path.join(SHOTS, 'zh-login.png') });
    // A refused login is told in Chinese too: the hub answers in the language the dashboard asks for.
    await page.fill('#login-name', 'commander');
    await page.fill('#login-password', 'not-the-password');
    await page.click('button[type=submit]');
    await expect(page.locator('.login .error').textContent()).resolves.toBe('用户名或密码错误');
    await page.fill('#login-password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('header.top');
    // The event stream opens with a one-use ticket (never a token in its URL).
    await page.waitForSelector('.conn.up');

    // Alarms of every kind and outcome: a critical crowd alarm (the plan activates by policy),
    // an abandoned object (an incident nobody acknowledges: it escalates), a camera fault
    // (the engineers' board), a motion event (feed only) and a flooding door contact.
    hub.nc.publish(healthSubject('demo', 'edge-test'), JSON.stringify({ site: 'demo', edge: 'edge-test', at: at(), cameras: [{ id: 'plaza-east', status: 'ok', fps: 2 }], zones: [{ camera: 'plaza-east', zone: 'crossing', count: 6, density: 0.033, los: 'A', method: 'detections', trendPerMin: 0.002 }] }));
    const crowd = crowdAlarm({ capturedAt: at() });
    await hub.publish(crowd);
    await hub.publish(abandonedAlarm({ capturedAt: at() }));
    await hub.publish(parseAlarm({ v: 1, id: newAlarmId(), kind: 'camera.frozen', state: 'raised', severity: 'warning', site: 'demo', camera: 'plaza-east', zone: null, episode: 'ep-frozen', capturedAt: at(), mediaTime: null, edge: 'edge-test', message: 'camera frozen', health: { reason: 'no change for 10 s' } }));
    await hub.publish(sensor('sensor.motion', 'info', { camera: 'plaza-east', sensor: { sensorId: 'VideoSource_1', type: 'motion', source: 'onvif' } }));
    for (let i = 0; i < 4; i++) await hub.publish(sensor('sensor.door', 'warning', { capturedAt: at() }));

    // 1: the feed, with the flood summary, the shelf list and the alarm load.
    await page.waitForSelector(`[data-alarm-id="${crowd.id}"]`);
    await page.waitForSelector('[data-flood]');
    await page.waitForSelector('.alarm-load');
    await expect(page.locator(`[data-alarm-id="${crowd.id}"]`).textContent()).resolves.toMatch(/严重.*人群密度/s);
    // Shelve the door for an hour, from its alarm row.
    await page.locator('[data-alarm-shelve]').first().click();
    await page.fill('.shelve-form input[name="reason"]', '门禁维修中');
    await page.click('.shelve-form button[type="submit"]');
    await page.waitForSelector('[data-suppression-type="shelved"]');
    await expectAllChinese(page, 'feed');
    await page.screenshot({ path: path.join(SHOTS, 'zh-feed.png'), fullPage: true });

    // The escalation banner for the commander, loud.
    await page.waitForSelector('.escalation.loud[data-escalations]', { timeout: 30_000 });
    await expect(page.locator('.escalation.loud').textContent()).resolves.toMatch(/超时未确认，已上报指挥员/);

    // 2: the map, with a camera's panel (live view, shelving, out of service).
    await page.keyboard.press('2');
    await page.waitForSelector('.map-label.zone-label');
    await page.locator('.map-label.cam').click();
    await page.waitForSelector('[data-camera-panel="plaza-east"]');
    await page.waitForSelector('.live-view figcaption');
    await page.locator('.inc-btn', { hasText: '人群密度' }).click();
    await page.waitForSelector('.nearest .near-list li');
    await expect(page.locator('.nearest .near-list li strong').first().textContent()).resolves.toMatch(/六队/);
    await expectAllChinese(page, 'map');
    await page.screenshot({ path: path.join(SHOTS, 'zh-map.png') });

    // 3: the board and an incident: the critical one, activated by policy, with its plan panel and reports.
    await page.keyboard.press('3');
    await page.waitForSelector('.card[data-incident-id]');
    await expectAllChinese(page, 'board');
    await page.screenshot({ path: path.join(SHOTS, 'zh-board.png'), fullPage: true });
    const crowdIncident = await until('the crowd incident', async () => (await apiAs(hub, 'commander', 'GET', '/api/incidents')).body.incidents.find((i: any) => i.kind === 'crowd.density'));
    await page.goto(`${hub.url}/#/incidents/${crowdIncident.id}`);
    await page.waitForSelector('[data-plan="activated"]');
    await expect(page.locator('[data-plan="activated"]').textContent()).resolves.toMatch(/预案已启动：Ⅲ级（较大）/);
    await page.waitForSelector('.report[data-report="first"] textarea[name="situation"]');
    await expect(page.locator('.report[data-report="first"] textarea[name="situation"]').inputValue()).resolves.toMatch(/滨江换乘站.*广场人行横道.*人群密度/);
    await page.waitForSelector('table.audit tbody tr');
    await expectAllChinese(page, 'incident');
    await page.screenshot({ path: path.join(SHOTS, 'zh-incident.png'), fullPage: true });

    // The abandoned object: acknowledge it from the banner's incident, which ends the escalation.
    const abandoned = (await apiAs(hub, 'commander', 'GET', '/api/incidents')).body.incidents.find((i: any) => i.kind === 'object.abandoned');
    await page.goto(`${hub.url}/#/incidents/${abandoned.id}`);
    await page.waitForSelector('[data-plan="alarm_raised"]');
    await page.click('button[data-ack-all]');
    await page.waitForSelector('#inc-title .st-acknowledged');
    await until('the banner to go', async () => (await page.locator('.escalation[data-escalations]').count()) === 0 || !(await page.locator('.escalation[data-escalations]').textContent())?.includes('1 个事件'));
    await expectAllChinese(page, 'incident acknowledged');

    // 4 and 5: charts and units; then the help overlay.
    await page.keyboard.press('4');
    await page.waitForSelector('.chart .uplot');
    await expectAllChinese(page, 'charts');
    await page.keyboard.press('5');
    await page.waitForSelector('.unit-card');
    await expect(page.locator('.unit-card').first().textContent()).resolves.toMatch(/就绪|未就绪/);
    await expectAllChinese(page, 'units');
    await page.screenshot({ path: path.join(SHOTS, 'zh-units.png'), fullPage: true });
    await page.keyboard.press('?');
    await page.waitForSelector('[role=dialog] #help-title');
    await expectAllChinese(page, 'help');
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
  });

  it('shows the engineers\' board and replay in Chinese to an engineer', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    p.on('pageerror', (e) => errors.push(e.message));
    try {
      await p.clock.install({ time: hub.clock.now() });
      await p.goto(hub.url + '/');
      await p.fill('#login-name', 'engineer');
      await p.fill('#login-password', PASSWORD);
      await p.click('button[type=submit]');
      await p.waitForSelector('header.top');
      await p.keyboard.press('3');
      await p.waitForSelector('.card[data-incident-id]');
      await expect(p.locator('.columns').textContent()).resolves.toMatch(/摄像机画面冻结/);
      await expectAllChinese(p, 'engineers\' board');
      await p.keyboard.press('6');
      await p.waitForSelector('#replay-title');
      await expectAllChinese(p, 'replay');
    } finally {
      await p.close();
    }
  });

  it('follows the user\'s choice over the browser\'s, and keeps it', async () => {
    await page.selectOption('#lang', 'en');
    await page.waitForSelector('header nav a:has-text("Alarms")');
    await page.reload();
    await page.waitForSelector('header nav a:has-text("Incidents")');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.selectOption('#lang', 'zh-CN');
    await page.waitForSelector('header nav a:has-text("事件")');
    expect(errors).toEqual([]);
  });
});
