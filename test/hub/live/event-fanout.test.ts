import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { connectNats } from '../../../common/transport/nats-connect.ts';
import { silentLogger } from '../../../common/log.ts';
import { createHubEvents, type AnyHubEvent } from '../../../hub/events.ts';
import { startEventFanout } from '../../../hub/live/event-fanout.ts';

const alarm = (id: string) => ({ id, site: 's', camera: 'c', zone: null, kind: 'camera.offline', state: 'raised', severity: 'warning', capturedAtMs: 0, incidentId: null, outcome: 'incident', suppressed: null });

describe('hub event fan-out between replicas', () => {
  let server: NatsServer;
  let ncs: NatsConnection[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
    ncs = [await connectNats({ servers: [server.url], retryFirstConnect: false }), await connectNats({ servers: [server.url], retryFirstConnect: false })];
  });
  afterAll(async () => {
    for (const nc of ncs) await nc.close();
    await server?.dispose();
  });

  it('each replica\'s streams see both replicas\' events once; listeners see only their own', async () => {
    const [a, b] = [createHubEvents(), createHubEvents()];
    const fa = startEventFanout({ nc: ncs[0]!, events: a, logger: silentLogger, origin: 'a' });
    const fb = startEventFanout({ nc: ncs[1]!, events: b, logger: silentLogger, origin: 'b' });
    await Promise.all(ncs.map((nc) => nc.flush()));
    const streamA = a.subscribe();
    const streamB = b.subscribe();
    const listenedB: string[] = [];
    b.on('alarm.ingested', (e) => listenedB.push(e.data.id));
    a.emit('alarm.ingested', alarm('from-a'), { site: 's' });
    b.emit('alarm.ingested', alarm('from-b'), { site: 's' });
    const take = async (it: AsyncIterator<AnyHubEvent>, n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(((await it.next()).value as { data: { id: string } }).data.id);
      return out.sort();
    };
    expect(await take(streamA, 2)).toEqual(['from-a', 'from-b']);
    expect(await take(streamB, 2)).toEqual(['from-a', 'from-b']);
    // the dispatcher and the notifier (on() listeners) act only on their own replica's events
    expect(listenedB).toEqual(['from-b']);
    // nothing more arrives: no echo of a replica's own event, no relay of a relay
    await Promise.all(ncs.map((nc) => nc.flush()));
    await new Promise((r) => setTimeout(r, 100));
    expect(fa.relayed()).toBe(1);
    expect(fb.relayed()).toBe(1);
    streamA.close(); streamB.close();
    await fa.stop(); await fb.stop();
  });
});
