import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { connectNats } from '../../../common/transport/nats-connect.ts';
import { healthSubject } from '../../../common/subjects.ts';
import { parseHealth, startHeartbeat, type HealthPayload } from '../../../edge/sink/heartbeat.ts';

describe('startHeartbeat', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connectNats({ servers: [server.url], retryFirstConnect: false });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('publishes validated health on vigil.health.<site>.<edge> every interval', async () => {
    let n = 0;
    const collect = (): HealthPayload => ({
      v: 1, site: 's1', edge: 'e1', at: new Date().toISOString(), uptimeS: ++n,
      cameras: [{ id: 'cam1', state: 'ok', fps: 5, queueAgeMs: 40 }],
      outbox: { depth: 3, oldestAgeMs: 1200, dropped: 0 }, link: 'up', warnings: ['disk: free space low'],
    });
    const sub = nc.subscribe(healthSubject('s1', 'e1'), { max: 3 });
    await nc.flush();
    const hb = startHeartbeat({ nc, site: 's1', edgeId: 'e1', intervalMs: 200, collect });
    const got = [];
    for await (const m of sub) got.push(parseHealth(m.data));
    hb.stop();
    expect(got).toHaveLength(3);
    expect(got.map((h) => h.uptimeS)).toEqual([1, 2, 3]);
    expect(got[0]!.outbox.depth).toBe(3);
    expect(got[0]!.warnings).toEqual(['disk: free space low']);
  });

  it('does not publish a payload that fails its schema', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child() { return logger; } };
    const hb = startHeartbeat({ nc, site: 's1', edgeId: 'e1', intervalMs: 10_000, logger, collect: () => ({ v: 1, site: 's1', edge: 'e1' }) as never });
    hb.stop();
    expect(warnings).toEqual(['heartbeat not sent']);
    expect(() => parseHealth(new TextEncoder().encode('{"v":1}'))).toThrow(/site/);
  });
});
