import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { newAlarmId, type Alarm } from '../common/alarm.ts';
import { NatsServer } from '../common/proc/nats-server.ts';
import { connectNats } from '../common/transport/nats-connect.ts';
import { ensureAlarmStream } from '../common/transport/alarm-stream.ts';
import { openOutbox } from '../edge/sink/outbox.ts';
import { createJetStreamSink } from '../edge/sink/jetstream-sink.ts';
import type { BenchContext } from '../cli/bench.ts';
import { streamAlarmIds } from './scenarios/stream-ids.ts';

/**
 * transport.alarmsPerSec: alarms committed to the outbox (WAL, synchronous=FULL)
 * and acknowledged by JetStream, per second, end to end.
 * transport.fault: a steady stream of alarms across a broker outage of at
 * least 30 s (nats-server killed, then restarted on the same store).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alarm(i: number): Alarm {
  return {
    v: 1, id: newAlarmId(), kind: 'crowd.density', state: 'raised', severity: (['info', 'warning', 'critical'] as const)[i % 3]!,
    site: 'bench', camera: 'cam1', zone: 'z1', episode: `ep-${i}`, capturedAt: new Date().toISOString(), mediaTime: null, edge: 'e1',
    crowd: { count: 40, density: 2.5, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: 'warning', threshold: 2, areaM2: 20 },
  };
}

async function streamIds(url: string): Promise<string[]> {
  const nc = await connectNats({ servers: [url], retryFirstConnect: false });
  try {
    return await streamAlarmIds(nc);
  } finally {
    await nc.close();
  }
}

async function throughput(ctx: BenchContext, dir: string): Promise<Record<string, number>> {
  const server = await NatsServer.start();
  const nc = await connectNats({ servers: [server.url], retryFirstConnect: false });
  try {
    await ensureAlarmStream(await jetstreamManager(nc));
    const sink = createJetStreamSink({ nc, outbox: openOutbox({ file: path.join(dir, 'tp.db') }), site: 'bench', edgeId: 'e1', snapshots: false });
    // warm-up: JIT, statement cache, stream file creation
    await Promise.all(Array.from({ length: 500 }, (_, i) => sink.send(alarm(i))));
    await sink.drained();
    const n = ctx.quick ? 3_000 : 20_000;
    const alarms = Array.from({ length: n }, (_, i) => alarm(i));
    const t0 = performance.now();
    // Alarms arrive in bursts of 100, as a busy edge would hand them over.
    for (let i = 0; i < n; i += 100) await Promise.all(alarms.slice(i, i + 100).map((a) => sink.send(a)));
    const committed = performance.now();
    await sink.drained();
    const t1 = performance.now();
    const stats = sink.stats().publisher;
    await sink.close();
    ctx.log(`transport: ${n} alarms acknowledged in ${(t1 - t0).toFixed(0)} ms`);
    return { alarmsPerSec: Math.round(n / ((t1 - t0) / 1000)), commitsPerSec: Math.round(n / ((committed - t0) / 1000)), alarms: n, duplicates: stats.duplicates };
  } finally {
    await nc.close();
    await server.dispose();
  }
}

async function fault(ctx: BenchContext, dir: string): Promise<Record<string, number>> {
  const server = await NatsServer.start();
  const admin: NatsConnection = await connectNats({ servers: [server.url], retryFirstConnect: false });
  await ensureAlarmStream(await jetstreamManager(admin));
  await admin.close();
  const outageMs = 30_000;
  const nc = await connectNats({ servers: [server.url], initialDelayMs: 100, maxDelayMs: 1_000 });
  const sink = createJetStreamSink({ nc, outbox: openOutbox({ file: path.join(dir, 'fault.db') }), site: 'bench', edgeId: 'e1', snapshots: false, publisher: { ackTimeoutMs: 2_000, retryMaxMs: 2_000 } });
  try {
    const sent: string[] = [];
    const ratePerSec = 50;
    const t0 = Date.now();
    let outageStart = 0;
    let outageEnd = 0;
    for (let i = 0; Date.now() - t0 < outageMs + 10_000; i++) {
      const elapsed = Date.now() - t0;
      if (!outageStart && elapsed >= 5_000) { await server.stop('SIGKILL'); outageStart = Date.now(); ctx.log('transport: broker killed'); }
      if (outageStart && !outageEnd && Date.now() - outageStart >= outageMs) { await server.startProcess(); outageEnd = Date.now(); ctx.log('transport: broker restarted'); }
      const a = alarm(i);
      await sink.send(a);
      sent.push(a.id);
      await sleep(1_000 / ratePerSec);
    }
    await sink.drained();
    const ids = await streamIds(server.url);
    const unique = new Set(ids);
    const lost = sent.filter((id) => !unique.has(id)).length;
    return { sent: sent.length, received: ids.length, lost, duplicates: ids.length - unique.size, outageSeconds: Math.round((outageEnd - outageStart) / 100) / 10, resentRejected: sink.stats().publisher.duplicates };
  } finally {
    await sink.close();
    await nc.close();
    await server.dispose();
  }
}

export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-transport-'));
  try {
    const tp = await throughput(ctx, dir);
    const f = await fault(ctx, dir);
    return { transport: { alarmsPerSec: tp.alarmsPerSec, commitsPerSec: tp.commitsPerSec, alarms: tp.alarms, fault: f } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
