import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startSimCamera, type SimCamera } from '../../../fixtures/sim-camera/sim-camera.ts';
import { createOnvifEventWatcher, type OnvifEventWatcher, type OnvifWatcherStatus } from '../../../edge/onvif/onvif-event-watcher.ts';
import { OnvifError } from '../../../edge/onvif/onvif-error.ts';
import { parseAlarm } from '../../../common/alarm.ts';
import { silentLogger } from '../../../common/log.ts';
import type { AnalyzerOutput } from '../../../edge/types.ts';
import { simCameraConfig } from './sim-config.ts';

const VIDEO = path.resolve('fixtures/.cache/vtest.avi');

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Watched { watcher: OnvifEventWatcher; alarms: AnalyzerOutput[]; statuses: OnvifWatcherStatus[] }

describe('ONVIF PullPoint event watcher', () => {
  let good: SimCamera;
  let flaky: SimCamera;
  const watched: Watched[] = [];
  const watch = (cfg: Parameters<typeof createOnvifEventWatcher>[0]['camera']): Watched => {
    const w: Watched = { alarms: [], statuses: [], watcher: null! };
    w.watcher = createOnvifEventWatcher({
      camera: cfg, site: 'metro', logger: silentLogger, motionHoldS: 1,
      backoff: { initialMs: 200, maxMs: 1000 },
      onAlarm: (a) => w.alarms.push(a), onStatus: (s) => w.statuses.push(s),
    });
    w.watcher.start();
    watched.push(w);
    return w;
  };

  beforeAll(async () => {
    // short subscription lifetimes force renewals within the test
    good = await startSimCamera({ video: VIDEO, user: 'admin', password: 'pw-good', clockOffsetMs: 3_600_000, maxTerminationMs: 3_000, maxPullWaitMs: 1_000, name: 'good' });
    flaky = await startSimCamera({ video: VIDEO, user: 'admin', password: 'pw-flaky', maxPullWaitMs: 1_000, name: 'flaky' });
  });
  afterAll(async () => {
    await Promise.all(watched.map((w) => w.watcher.stop()));
    await Promise.all([good?.stop(), flaky?.stop()]);
  });

  it('turns events into alarms, renews, survives the camera dropping, while broken cameras retry without harming it', async () => {
    flaky.fail('*', 'malformed');
    const g = watch(simCameraConfig('gate-1', good, { user: 'admin', password: 'pw-good' }));
    const f = watch(simCameraConfig('platform-2', flaky, { user: 'admin', password: 'pw-flaky' }));
    const wrong = watch(simCameraConfig('exit-3', good, { user: 'admin', password: 'not-it' }));

    await waitFor('subscribed', () => g.statuses.find((s) => s.type === 'subscribed'));
    const connected = g.statuses.find((s) => s.type === 'connected')!;
    expect(connected.type === 'connected' && Math.abs(connected.clockOffsetMs - 3_600_000) < 5_000).toBe(true);

    good.emit({ topic: 'input', input: 'DIN1', state: true });
    await waitFor('input raised', () => g.alarms.length >= 1);
    good.emit({ topic: 'input', input: 'DIN1', state: false });
    good.emit({ topic: 'motion', state: true }); // and never false
    await waitFor('motion cleared by hold', () => g.alarms.filter((a) => a.alarm.kind === 'sensor.motion').length >= 2);
    const a = g.alarms.map((o) => parseAlarm({ ...o.alarm, v: 1, site: 'metro', edge: 'edge-1' }));
    const input = a.filter((x) => x.kind === 'sensor.input');
    expect(input.map((x) => x.state)).toEqual(['raised', 'cleared']);
    expect(input[0]!.episode).toBe(input[1]!.episode);
    expect(input[0]).toMatchObject({ camera: 'gate-1', zone: 'concourse', sensor: { sensorId: 'DIN1', type: 'input', source: 'onvif' } });
    expect(a.filter((x) => x.kind === 'sensor.motion').map((x) => x.state)).toEqual(['raised', 'cleared']);

    await waitFor('a renewal', () => g.statuses.find((s) => s.type === 'renewed'), 20_000);

    // the broken ones keep failing with clear errors, and keep retrying
    await waitFor('flaky retries', () => f.statuses.filter((s) => s.type === 'recreating').length >= 2);
    const fl = f.statuses.find((s) => s.type === 'lost')!;
    expect(fl.type === 'lost' && fl.error).toBeInstanceOf(OnvifError);
    expect(fl.type === 'lost' && fl.error.code).toBe('ONVIF_MALFORMED');
    expect(fl.type === 'lost' && fl.error.message).toContain(`platform-2 (127.0.0.1:${flaky.port})`);
    await waitFor('wrong password retries', () => wrong.statuses.filter((s) => s.type === 'lost').length >= 2);
    const wl = wrong.statuses.find((s) => s.type === 'lost')!;
    expect(wl.type === 'lost' && wl.error.code).toBe('ONVIF_AUTH');
    expect(wl.type === 'lost' && wl.error.message).toContain('exit-3');
    expect(wl.type === 'lost' && wl.error.message).not.toContain('not-it');

    // the camera disappears and comes back: the subscription is re-created and events flow again
    const subscribedBefore = g.statuses.filter((s) => s.type === 'subscribed').length;
    await good.drop();
    await waitFor('lost', () => g.statuses.find((s) => s.type === 'lost'));
    await waitFor('recreating', () => g.statuses.find((s) => s.type === 'recreating'));
    await good.restore();
    await waitFor('re-subscribed', () => g.statuses.filter((s) => s.type === 'subscribed').length > subscribedBefore);
    good.emit({ topic: 'tamper', state: true });
    await waitFor('tamper raised', () => g.alarms.find((o) => o.alarm.kind === 'sensor.tamper'));

    // the malformed camera heals and subscribes too
    flaky.fail('*', null);
    await waitFor('flaky subscribed', () => f.statuses.find((s) => s.type === 'subscribed'));
    flaky.emit({ topic: 'tamper', state: true });
    await waitFor('flaky tamper', () => f.alarms.find((o) => o.alarm.kind === 'sensor.tamper' && o.alarm.camera === 'platform-2'));
    expect(wrong.alarms).toHaveLength(0);
  });

  it('releases the subscription of a failed pull instead of leaking one per retry on the camera', async () => {
    const leaky = await startSimCamera({ video: VIDEO, user: 'admin', password: 'pw-leaky', maxPullWaitMs: 500, name: 'leaky' });
    try {
      leaky.fail('PullMessages', 'fault');
      const w = watch(simCameraConfig('hall-4', leaky, { user: 'admin', password: 'pw-leaky' }));
      await waitFor('three lost pulls', () => w.statuses.filter((s) => s.type === 'lost').length >= 3);
      await waitFor('stale subscriptions released', () => leaky.subscriptions <= 1, 5_000);
      expect(w.statuses.filter((s) => s.type === 'subscribed').length).toBeGreaterThanOrEqual(3);
    } finally {
      await leaky.stop();
    }
  });
});
