import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeAlarm } from '../../common/alarm.ts';
import { ALARM_STREAM } from '../../common/subjects.ts';

/** Every alarm id in the alarm stream, in stream order, duplicates included: what lost/doubled counts are made of. */
export async function streamAlarmIds(nc: NatsConnection): Promise<string[]> {
  const total = (await (await jetstreamManager(nc)).streams.info(ALARM_STREAM)).state.messages;
  const ids: string[] = [];
  if (!total) return ids;
  const iter = await (await jetstream(nc).consumers.get(ALARM_STREAM)).consume({ max_messages: 1_000 });
  for await (const m of iter) {
    ids.push(decodeAlarm(m.data).id);
    if (ids.length >= total) break;
  }
  await iter.close();
  return ids;
}
