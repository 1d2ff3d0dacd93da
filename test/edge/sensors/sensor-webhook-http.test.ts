import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import { createSensorWebhook } from '../../../edge/sensors/sensor-webhook.ts';
import { readSensorTokens } from '../../../edge/sensors/sensor-tokens.ts';
import { silentLogger } from '../../../common/log.ts';
import { freePort } from '../../../common/proc/free-port.ts';
import type { AnalyzerOutput } from '../../../edge/types.ts';
import { testSensors } from './sensors-fixture.ts';

describe('sensor webhook over real HTTP on loopback', () => {
  let server: ServerType;
  let base: string;
  const alarms: AnalyzerOutput[] = [];
  beforeAll(async () => {
    const sensors = testSensors();
    const app = createSensorWebhook({ site: 'metro', sensors, tokens: readSensorTokens(sensors), onAlarm: (o) => { alarms.push(o); }, logger: silentLogger });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await new Promise<void>((resolve) => { server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve()); });
  });
  afterAll(async () => { await new Promise<void>((r) => server?.close(() => r())); });

  it('accepts concurrent readings from one panic button as exactly one raise and one clear', async () => {
    const post = (state: string) => fetch(`${base}/sensors/panic-1/readings`, {
      method: 'POST', headers: { authorization: 'Bearer panic-secret-123', 'content-type': 'application/json' }, body: JSON.stringify({ state }),
    });
    const first = await Promise.all([post('active'), post('active'), post('active')]);
    expect(first.map((r) => r.status)).toEqual([202, 202, 202]);
    expect((await post('inactive')).status).toBe(202);
    expect(alarms.map((a) => a.alarm.state)).toEqual(['raised', 'cleared']);
    expect(alarms[0]!.alarm.episode).toBe(alarms[1]!.alarm.episode);
    const denied = await fetch(`${base}/sensors/panic-1/readings`, { method: 'POST', body: '{"state":"active"}' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
