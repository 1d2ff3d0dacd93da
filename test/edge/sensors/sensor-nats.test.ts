import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { createNatsSensorIngest } from '../../../edge/sensors/sensor-nats.ts';
import { sensorSubject } from '../../../common/subjects.ts';
import { parseAlarm } from '../../../common/alarm.ts';
import { createLogger } from '../../../common/log.ts';
import type { AnalyzerOutput } from '../../../edge/types.ts';
import { testSensors } from './sensors-fixture.ts';

describe('NATS sensor ingest against a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('turns readings on vigil.sensor.<site>.<id> into alarms and refuses undeclared sensors and bad bodies', async () => {
    const alarms: AnalyzerOutput[] = [];
    const lines: string[] = [];
    const ingest = createNatsSensorIngest({ nc, site: 'metro', sensors: testSensors(), onAlarm: (o) => { alarms.push(o); }, logger: createLogger({ name: 'test', write: (l) => lines.push(l) }) });
    expect(ingest.subject).toBe('vigil.sensor.metro.*');
    const send = async (id: string, body: unknown) => {
      const reply = await nc.request(sensorSubject('metro', id), new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)), { timeout: 10_000 });
      return reply.json<{ ok: boolean; field?: string; error?: string; alarm?: { state: string } | null }>();
    };

    expect(await send('door-3', { state: 'active', payload: { contact: 'open' } })).toMatchObject({ ok: true, alarm: { state: 'raised' } });
    expect(await send('door-3', { state: 'active' })).toMatchObject({ ok: true, alarm: null });
    // fire-and-forget publishers are served too
    nc.publish(sensorSubject('metro', 'io-4'), new TextEncoder().encode(JSON.stringify({ state: 'active', value: 3 })));
    expect(await send('door-3', { state: 'inactive' })).toMatchObject({ ok: true, alarm: { state: 'cleared' } });

    expect(await send('ghost-9', { state: 'active' })).toMatchObject({ ok: false, field: 'sensor' });
    expect(await send('panic-1', { state: 'active' })).toMatchObject({ ok: false, field: 'sensor' }); // declared for the webhook
    expect(await send('door-3', { state: 'open' })).toMatchObject({ ok: false, field: 'state' });
    expect(await send('door-3', 'not json')).toMatchObject({ ok: false, field: 'body' });

    const a = alarms.map((o) => parseAlarm({ ...o.alarm, v: 1, site: 'metro', edge: 'edge-1' }));
    expect(a.map((x) => `${x.kind}:${x.camera}:${x.state}`)).toEqual(['sensor.door:door-3:raised', 'sensor.input:io-4:raised', 'sensor.door:door-3:cleared']);
    expect(a[0]).toMatchObject({ zone: 'exit', sensor: { source: 'nats', payload: { contact: 'open' } } });
    expect(a[2]!.episode).toBe(a[0]!.episode);
    expect(ingest.counts).toEqual({ accepted: 4, refused: 4 });
    expect(lines.filter((l) => l.includes('sensor reading refused'))).toHaveLength(4);
    await ingest.close();
  });
});
