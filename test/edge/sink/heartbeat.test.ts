import { describe, expect, it } from 'vitest';
import { useNatsServer } from '../../support/nats.ts';
import { healthSubject } from '../../../common/subjects.ts';
import { parseHealth, startHeartbeat, type HealthPayload } from '../../../edge/sink/heartbeat.ts';

describe('startHeartbeat', () => {
  const nats = useNatsServer();

  it('publishes validated health on vigil.health.<site>.<edge> every interval', async () => {
    let n = 0;
    const collect = (): HealthPayload => ({
      v: 1, site: 's1', edge: 'e1', at: new Date().toISOString(), uptimeS: ++n,
      cameras: [{ id: 'cam1', state: 'ok', fps: 5, queueAgeMs: 40 }],
      outbox: { depth: 3, oldestAgeMs: 1200, dropped: 0 }, link: 'up', warnings: ['disk: free space low'],
    });
    const sub = nats.nc.subscribe(healthSubject('s1', 'e1'), { max: 3 });
    await nats.nc.flush();
    const hb = startHeartbeat({ nc: nats.nc, site: 's1', edgeId: 'e1', intervalMs: 200, collect });
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
    const published: unknown[] = [];
    const sub = nats.nc.subscribe(healthSubject('s1', 'e-bad'), { callback: (_err, m) => { published.push(m); } });
    await nats.nc.flush();
    const hb = startHeartbeat({ nc: nats.nc, site: 's1', edgeId: 'e-bad', intervalMs: 10_000, logger, collect: () => ({ v: 1, site: 's1', edge: 'e-bad' }) as never });
    hb.stop();
    await nats.nc.flush();
    sub.unsubscribe();
    expect(warnings).toEqual(['heartbeat not sent']);
    expect(published).toHaveLength(0);
    expect(() => parseHealth(new TextEncoder().encode('{"v":1}'))).toThrow(/site/);
  });
});
