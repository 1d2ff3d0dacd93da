import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { connectNats } from '../../common/transport/nats-connect.ts';
import { ensureAlarmStream } from '../../common/transport/alarm-stream.ts';
import { openOutbox } from '../../edge/sink/outbox.ts';
import { createJetStreamSink } from '../../edge/sink/jetstream-sink.ts';
import type { SinkStatus } from '../../edge/sink/publisher.ts';
import { makeAlarm } from './fixtures/alarms.ts';
import { duplicatesOf, readAlarmIds } from './fixtures/stream.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('outage: 1,000 alarms across a 30 s broker outage', () => {
  let server: NatsServer;
  let dir: string;
  let admin: NatsConnection;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-outage-'));
    admin = await connectNats({ servers: [server.url], retryFirstConnect: false });
    await ensureAlarmStream(await jetstreamManager(admin));
  });
  afterAll(async () => {
    await admin?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every alarm exactly once', async () => {
    const nc = await connectNats({ servers: [server.url], initialDelayMs: 100, maxDelayMs: 1_000 });
    const sink = createJetStreamSink({ nc, outbox: openOutbox({ file: path.join(dir, 'outbox.db') }), site: 's1', edgeId: 'e1', snapshots: false, publisher: { retryInitialMs: 100, retryMaxMs: 2_000, ackTimeoutMs: 2_000 } });
    const events: SinkStatus[] = [];
    void (async () => { for await (const ev of sink.status()) events.push(ev); })();

    const sent: string[] = [];
    const sendBatch = async (from: number, n: number) => {
      const batch = Array.from({ length: n }, (_, k) => makeAlarm('s1', 'e1', from + k, (['info', 'warning', 'critical'] as const)[(from + k) % 3]));
      await Promise.all(batch.map((a) => sink.send(a)));
      sent.push(...batch.map((a) => a.id));
    };

    // 300 before, 400 during the outage (spread over it), 300 after.
    for (let i = 0; i < 300; i += 50) { await sendBatch(i, 50); await sleep(50); }
    await server.stop('SIGKILL');
    const outageStart = Date.now();
    for (let i = 300; i < 700; i += 20) { await sendBatch(i, 20); await sleep(1_400); }
    expect(sink.stats().outbox.depth).toBeGreaterThan(0);
    while (Date.now() - outageStart < 30_000) await sleep(200);
    await server.startProcess();
    for (let i = 700; i < 1_000; i += 50) { await sendBatch(i, 50); await sleep(50); }

    await sink.drained();
    const reader = await connectNats({ servers: [server.url], retryFirstConnect: false });
    const ids = await readAlarmIds(reader);
    await reader.close();
    expect(duplicatesOf(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sent));
    expect(ids).toHaveLength(1_000);
    expect(events.some((e) => e.type === 'link' && !e.up)).toBe(true);
    expect(events.some((e) => e.type === 'link' && e.up)).toBe(true);
    await sink.close();
    await nc.close();
  }, 150_000);
});
