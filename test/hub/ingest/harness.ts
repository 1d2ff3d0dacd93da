import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { alarmSubject } from '../../../common/subjects.ts';
import { ensureAlarmStream } from '../../../common/transport/alarm-stream.ts';
import type { Alarm } from '../../../common/alarm.ts';

export async function startNats(): Promise<{ server: NatsServer; nc: NatsConnection; close(): Promise<void> }> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  await ensureAlarmStream(await jetstreamManager(nc), { duplicateWindowMs: 60_000 });
  return { server, nc, async close() { await nc.close(); await server.dispose(); } };
}

/** Publishes like an edge: msgID = alarm id unless told otherwise. */
export async function publishAlarm(nc: NatsConnection, alarm: Alarm, msgID = alarm.id): Promise<number> {
  const ack = await jetstream(nc).publish(alarmSubject(alarm.site, alarm.camera, alarm.kind), JSON.stringify(alarm), { msgID });
  return ack.seq;
}

export async function publishRaw(nc: NatsConnection, subject: string, body: string | Uint8Array, msgID?: string): Promise<void> {
  const h = headers();
  await jetstream(nc).publish(subject, body, msgID ? { msgID, headers: h } : {});
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
