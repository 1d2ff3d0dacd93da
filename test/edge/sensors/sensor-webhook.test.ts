import { describe, expect, it } from 'vitest';
import { createSensorWebhook } from '../../../edge/sensors/sensor-webhook.ts';
import { readSensorTokens } from '../../../edge/sensors/sensor-tokens.ts';
import { parseAlarm } from '../../../common/alarm.ts';
import { createLogger } from '../../../common/log.ts';
import type { AnalyzerOutput } from '../../../edge/types.ts';
import { testSensors } from './sensors-fixture.ts';

function setup(onAlarm?: (o: AnalyzerOutput) => void | Promise<void>) {
  const sensors = testSensors();
  const alarms: AnalyzerOutput[] = [];
  const lines: string[] = [];
  const app = createSensorWebhook({
    site: 'metro', sensors, tokens: readSensorTokens(sensors),
    onAlarm: onAlarm ?? ((o) => { alarms.push(o); }),
    logger: createLogger({ name: 'test', write: (l) => lines.push(l) }),
  });
  const post = (id: string, body: unknown, token?: string) => app.request(`/sensors/${id}/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { app, alarms, lines, post };
}

describe('sensor webhook', () => {
  it('raises on active and clears on inactive in one episode, for inline and env tokens', async () => {
    const { alarms, post } = setup();
    const r1 = await post('panic-1', { state: 'active', value: 1, payload: { button: 'B2' }, at: '2026-03-01T10:00:00+01:00' }, 'panic-secret-123');
    expect(r1.status).toBe(202);
    const b1 = await r1.json() as { alarm: { state: string } };
    expect(b1.alarm.state).toBe('raised');
    expect((await post('panic-1', { state: 'active' }, 'panic-secret-123')).status).toBe(202); // no second raise
    expect((await post('panic-1', { state: 'inactive' }, 'panic-secret-123')).status).toBe(202);
    expect((await post('smoke-2', { state: 'active' }, 'smoke-token-from-env')).status).toBe(202);
    const a = alarms.map((o) => parseAlarm({ ...o.alarm, v: 1, site: 'metro', edge: 'edge-1' }));
    expect(a.map((x) => `${x.kind}:${x.state}`)).toEqual(['sensor.panic:raised', 'sensor.panic:cleared', 'sensor.smoke:raised']);
    expect(a[0]).toMatchObject({ camera: 'panic-1', zone: 'concourse', severity: 'critical', capturedAt: '2026-03-01T10:00:00+01:00',
      sensor: { sensorId: 'panic-1', type: 'panic', source: 'webhook', payload: { button: 'B2', value: 1 } } });
    expect(a[1]!.episode).toBe(a[0]!.episode);
    expect(a[2]).toMatchObject({ zone: null, severity: 'warning' });
  });

  it('refuses undeclared sensors, wrong or missing tokens and bad bodies, naming the field and never logging the token', async () => {
    const { alarms, lines, post } = setup();
    const unknown = await post('ghost-9', { state: 'active' }, 'panic-secret-123');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ field: 'id' });
    expect((await post('door-3', { state: 'active' }, 'x')).status).toBe(404); // declared, but for NATS

    const wrong = await post('panic-1', { state: 'active' }, 'smoke-token-from-env');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ field: 'authorization', error: 'wrong bearer token' });
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
    expect((await post('panic-1', { state: 'active' })).status).toBe(401);
    expect((await post('notoken-5', { state: 'active' }, 'anything')).status).toBe(401);

    const badState = await post('panic-1', { state: 'on' }, 'panic-secret-123');
    expect(badState.status).toBe(400);
    expect(await badState.json()).toMatchObject({ field: 'state' });
    const badAt = await post('panic-1', { state: 'active', at: 'yesterday' }, 'panic-secret-123');
    expect(await badAt.json()).toMatchObject({ field: 'at' });
    const extra = await post('panic-1', { state: 'active', colour: 'red' }, 'panic-secret-123');
    expect(extra.status).toBe(400);
    const notJson = await post('panic-1', '{"state":', 'panic-secret-123');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ field: 'body', error: 'body: is not valid JSON' });
    const big = await post('panic-1', { state: 'active', payload: { note: 'x'.repeat(200) }, value: 'y'.repeat(5000) }, 'panic-secret-123');
    expect(big.status).toBe(413);

    expect(alarms).toHaveLength(0);
    const log = lines.join('\n');
    expect(log).toContain('sensor reading refused');
    expect(log).not.toContain('panic-secret-123');
    expect(log).not.toContain('smoke-token-from-env');
  });

  it('answers 503 when the alarm cannot be stored, so the sensor retries and nothing is lost', async () => {
    let fail = true;
    const stored: AnalyzerOutput[] = [];
    const { post } = setup(async (o) => { if (fail) throw new Error('outbox full'); stored.push(o); });
    expect((await post('panic-1', { state: 'active' }, 'panic-secret-123')).status).toBe(503);
    fail = false;
    expect((await post('panic-1', { state: 'active' }, 'panic-secret-123')).status).toBe(202);
    expect(stored.map((o) => o.alarm.state)).toEqual(['raised']);
  });
});
