import { AckPolicy, DeliverPolicy, ReplayPolicy, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { TransportError, errorMessage } from '../../common/errors.ts';
import { ALARM_STREAM, ALL_ALARMS } from '../../common/subjects.ts';
import { backoffSchedule } from './handling-time.ts';

export interface HubConsumerOptions {
  /** durable name shared by every hub replica; @default vigil-hub */
  durable?: string;
  ackWaitMs: number;
  /**
   * Deliveries before JetStream gives up on a message. Poison is term()'d at
   * once, so this only bounds crash loops; ingest stops pulling while the
   * database is down, so an outage costs each in-flight message one delivery.
   * @default 50
   */
  maxDeliver?: number;
  /** @default 2000 */
  maxAckPending?: number;
  /** copies of the consumer's state; @default 1 (3 on a cluster, as the stream) */
  replicas?: number;
}

export const DEFAULT_DURABLE = 'vigil-hub';

export function hubConsumerConfig(o: HubConsumerOptions): Partial<ConsumerConfig> {
  const backoff = backoffSchedule(o.ackWaitMs);
  const maxDeliver = Math.max(o.maxDeliver ?? 50, backoff.length + 1);
  return {
    durable_name: o.durable ?? DEFAULT_DURABLE,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: ALL_ALARMS,
    ack_wait: nanos(o.ackWaitMs),
    backoff: backoff.map((ms) => nanos(ms)),
    max_deliver: maxDeliver,
    max_ack_pending: o.maxAckPending ?? 2000,
    num_replicas: o.replicas ?? 1,
    description: 'Vigil hub ingest: alarms to the store (explicit ack, idempotent)',
  };
}

/** Creates the durable pull consumer, or updates its editable settings; safe from any number of replicas. */
export async function ensureHubConsumer(jsm: JetStreamManager, o: HubConsumerOptions): Promise<ConsumerInfo> {
  const cfg = hubConsumerConfig(o);
  const durable = cfg.durable_name!;
  try {
    try {
      await jsm.consumers.info(ALARM_STREAM, durable);
    } catch (err) {
      if (!/consumer not found/i.test(errorMessage(err))) throw err;
      try {
        return await jsm.consumers.add(ALARM_STREAM, cfg);
      } catch (addErr) {
        if (!/already (in use|exists)/i.test(errorMessage(addErr))) throw addErr;
      }
    }
    return await updateAckWait(jsm, durable, o.ackWaitMs, cfg.max_deliver!, cfg.max_ack_pending!, cfg.num_replicas);
  } catch (err) {
    throw new TransportError('CONSUMER', `cannot create or update consumer ${durable} on ${ALARM_STREAM}: ${errorMessage(err)}`, { cause: err });
  }
}

export async function updateAckWait(jsm: JetStreamManager, durable: string, ackWaitMs: number, maxDeliver: number, maxAckPending: number, replicas?: number): Promise<ConsumerInfo> {
  const backoff = backoffSchedule(ackWaitMs);
  return jsm.consumers.update(ALARM_STREAM, durable, {
    ack_wait: nanos(ackWaitMs),
    backoff: backoff.map((ms) => nanos(ms)),
    max_deliver: Math.max(maxDeliver, backoff.length + 1),
    max_ack_pending: maxAckPending,
    ...(replicas ? { num_replicas: replicas } : {}),
  });
}
