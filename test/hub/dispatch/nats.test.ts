import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { FakeClock } from '../../../common/clock.ts';
import { createHubEvents } from '../../../hub/events.ts';
import { createIncidentService } from '../../../hub/incidents/incident-service.ts';
import { createOps, type OpsRuntime } from '../../../hub/ops.ts';
import { incidentPortFrom } from '../../../hub/dispatch/incident-port.ts';
import type { DispatchOrder } from '../../../hub/dispatch/order.ts';
import { insertIncident, openTestDb, testSite, unitConfig } from './ops-fixture.ts';

const T0 = Date.UTC(2026, 5, 3, 10, 0);
const site = testSite([unitConfig('u1', 20, 10), unitConfig('u3', 40, 10)]);

/** Waits (real time) for the next message on a subscription, parsed. */
async function next<T>(nc: NatsConnection, subject: string, action: () => Promise<unknown>): Promise<T> {
  const sub = nc.subscribe(subject, { max: 1 });
  await nc.flush();
  await action();
  for await (const m of sub) return m.json<T>();
  throw new Error(`no message on ${subject}`);
}

describe('orders and acks over a real nats-server', () => {
  let nats: NatsServer;
  let hubNc: NatsConnection;
  let unitNc: NatsConnection;
  let h: Awaited<ReturnType<typeof openTestDb>>;
  let ops: OpsRuntime;
  const clock = new FakeClock(T0);
  const events = createHubEvents({ now: () => clock.now() });

  beforeAll(async () => {
    nats = await NatsServer.start();
    hubNc = await connect({ servers: nats.url });
    unitNc = await connect({ servers: nats.url });
    h = await openTestDb('sqlite');
    const incidents = createIncidentService({ db: h.db, dialect: h.dialect, clock, events });
    ops = createOps({ db: h.db, dialect: h.dialect, clock, events, sites: [site], nc: hubNc, incidents: incidentPortFrom(incidents), drills: { enabled: false } });
    await ops.start();
  });
  afterAll(async () => {
    await ops?.stop();
    await unitNc?.close();
    await hubNc?.close();
    await nats?.dispose();
    await h?.cleanup();
  });

  it('publishes the order on vigil.dispatch.<unit> and takes the ack as a request on .ack', async () => {
    const id = await insertIncident(h, { at: T0, severity: 'warning' });
    const order = await next<DispatchOrder>(unitNc, 'vigil.dispatch.u1', () => ops.dispatch.autoDispatch(id));
    expect(order).toMatchObject({ v: 1, incident: id, unit: 'u1', kind: 'crowd.density', severity: 'warning', ackSubject: 'vigil.dispatch.u1.ack' });
    expect(order.location).toMatchObject({ x: 10, y: 10, lat: 48.85, lon: 2.35 });

    // Another unit's subject cannot acknowledge u1's order.
    const wrong = (await unitNc.request('vigil.dispatch.u3.ack', JSON.stringify({ dispatchId: order.dispatchId }), { timeout: 10_000 })).json<Record<string, unknown>>();
    expect(wrong).toMatchObject({ ok: false, error: 'not_found' });
    const bad = (await unitNc.request(order.ackSubject, '{"dispatch":1}', { timeout: 10_000 })).json<Record<string, unknown>>();
    expect(bad).toMatchObject({ ok: false, error: 'validation' });
    const ok = (await unitNc.request(order.ackSubject, JSON.stringify({ dispatchId: order.dispatchId }), { timeout: 10_000 })).json<Record<string, unknown>>();
    expect(ok).toMatchObject({ ok: true, state: 'acknowledged' });
    const en = (await unitNc.request(order.ackSubject, JSON.stringify({ dispatchId: order.dispatchId, status: 'en_route' }), { timeout: 10_000 })).json<Record<string, unknown>>();
    expect(en).toMatchObject({ ok: true, state: 'en_route' });

    // The commander activates the plan: its 30-minute on-scene clock starts now.
    await ops.plan.activate(id, { level: 'III' }, { name: 'cmd', role: 'commander' });
    // Past the on-scene target, one warning goes to vigil.warning.<site>.
    const warning = await next<Record<string, unknown>>(unitNc, 'vigil.warning.metro', async () => {
      clock.advance(31 * 60_000);
      await ops.overdue.tick();
    });
    expect(warning).toMatchObject({ site: 'metro', kind: 'dispatch.on_scene_overdue', entityId: order.dispatchId });
  });
});
