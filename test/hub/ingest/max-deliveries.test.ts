import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { silentLogger } from '../../../common/log.ts';
import { ALARM_STREAM } from '../../../common/subjects.ts';
import { watchMaxDeliveries } from '../../../hub/ingest/max-deliveries.ts';
import type { DeadLetter } from '../../../hub/ingest/dead-letter.ts';
import { crowdAlarm } from '../store/fixtures.ts';
import { publishAlarm, startNats, until } from './harness.ts';

describe('alarms JetStream gives up on', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let jsm: JetStreamManager;
  beforeAll(async () => { nats = await startNats(); jsm = await jetstreamManager(nats.nc); });
  afterAll(async () => { await nats?.close(); });

  it('become dead letters with the message and the last handling error, kept until the store takes them', async () => {
    await jsm.consumers.add(ALARM_STREAM, { durable_name: 'short', ack_policy: AckPolicy.Explicit, max_deliver: 2, ack_wait: nanos(500) });
    let storeUp = false;
    const stored: DeadLetter[] = [];
    const watcher = watchMaxDeliveries({
      nc: nats.nc, jsm, stream: ALARM_STREAM, durable: 'short', now: () => 42, logger: silentLogger,
      lastError: (seq) => (seq === 1 ? 'store unavailable: database or disk is full' : undefined),
      deadLetter: async (d) => { if (!storeUp) throw new Error('store down'); stored.push(d); },
    });
    const alarm = crowdAlarm({ site: 'dl' });
    await publishAlarm(nats.nc, alarm);
    const consumer = await jetstream(nats.nc).consumers.get(ALARM_STREAM, 'short');
    for (let i = 0; i < 2; i++) {
      const m = await consumer.next({ expires: 5000 });
      expect(m?.info.deliveryCount).toBe(i + 1);
      m!.nak();
    }
    // The server gives up (and says so) when it would deliver the message a third time.
    expect(await consumer.next({ expires: 1500 })).toBeNull();
    await until('the advisory to be seen', async () => watcher.pending === 1);
    expect(stored).toHaveLength(0);
    storeUp = true;
    await watcher.flush();
    expect(watcher.pending).toBe(0);
    expect(stored).toHaveLength(1);
    const d = stored[0]!;
    expect(d.streamSeq).toBe(1);
    expect(d.msgId).toBe(alarm.id);
    expect(d.subject).toBe('vigil.alarm.dl.cam1.crowd.density');
    expect(d.reason).toBe('max deliveries reached (2): store unavailable: database or disk is full');
    expect(JSON.parse(new TextDecoder().decode(d.payload)).id).toBe(alarm.id);
    watcher.stop();
  });
});
