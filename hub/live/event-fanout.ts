import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { errorMessage } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { HUB_EVENTS_SUBJECT } from '../../common/subjects.ts';
import type { AnyHubEvent, HubEvents } from '../events.ts';

export interface EventFanout {
  /** this replica's id on the subject; its own echo is dropped by it */
  readonly origin: string;
  /** events relayed from other replicas so far */
  relayed(): number;
  stop(): Promise<void>;
}

interface Envelope { origin: string; event: Omit<AnyHubEvent, 'seq'> }

/**
 * Hub replicas share one durable consumer, so each stores about half the
 * alarms; without this, each dashboard would see only its own replica's half.
 * Every event emitted here goes out on HUB_EVENTS_SUBJECT, and every other
 * replica's event comes in and is relayed to this process's streams (SSE)
 * only. Core NATS is enough: the record is in the store, and a dashboard that
 * reconnects reloads it; what travels here is the live view of it.
 */
export function startEventFanout(o: { nc: NatsConnection; events: HubEvents; logger: Logger; origin?: string }): EventFanout {
  const origin = o.origin ?? randomUUID();
  let relayed = 0;
  const sub = o.nc.subscribe(HUB_EVENTS_SUBJECT, {
    callback: (err, msg) => {
      if (err) { o.logger.warn('hub event subscription ended', { err: errorMessage(err) }); return; }
      let env: Envelope;
      try {
        env = msg.json<Envelope>();
      } catch (e) {
        o.logger.warn('unreadable hub event dropped', { err: errorMessage(e) });
        return;
      }
      if (env.origin === origin || !env.event?.type) return;
      relayed++;
      o.events.relay(env.event);
    },
  });
  const off = o.events.on('*', (e) => {
    if (o.nc.isClosed()) return;
    const { seq: _seq, ...event } = e;
    try {
      o.nc.publish(HUB_EVENTS_SUBJECT, JSON.stringify({ origin, event } satisfies Envelope));
    } catch (err) {
      // Publishing only buffers; it fails when the connection is closing: the other dashboards miss a live update, the store has it.
      o.logger.warn('hub event not shared', { type: e.type, err: errorMessage(err) });
    }
  });
  return {
    origin,
    relayed: () => relayed,
    async stop() {
      off();
      if (!o.nc.isClosed()) sub.unsubscribe();
    },
  };
}
