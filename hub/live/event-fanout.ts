import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { errorMessage } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { HUB_EVENTS_SUBJECT } from '../../common/subjects.ts';
import type { AnyHubEvent, HubEventMap, HubEvents } from '../events.ts';

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
export interface StoredAlarmSource {
  /** alarm.ingested payloads of alarms received in [from, until) (ms) */
  between(from: number, until: number): Promise<HubEventMap['alarm.ingested'][]>;
  now(): number;
}

export function startEventFanout(o: { nc: NatsConnection; events: HubEvents; logger: Logger; origin?: string; store?: StoredAlarmSource; sweepMs?: number; lookBackMs?: number }): EventFanout {
  const origin = o.origin ?? randomUUID();
  let relayed = 0;
  // Alarm ids this process's streams have had, with when, so that the store sweep below adds only what they missed.
  const shown = new Map<string, number>();
  const lookBack = o.lookBackMs ?? 30_000;
  const remember = (e: { type: string; data: unknown }) => {
    if (e.type === 'alarm.ingested') shown.set((e.data as { id: string }).id, Date.now());
  };
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
      if (env.event.type === 'alarm.ingested' && shown.has((env.event.data as { id: string }).id)) return;
      remember(env.event);
      relayed++;
      o.events.relay(env.event);
    },
  });
  const off = o.events.on('*', (e) => {
    remember(e);
    if (o.nc.isClosed()) return;
    const { seq: _seq, ...event } = e;
    try {
      o.nc.publish(HUB_EVENTS_SUBJECT, JSON.stringify({ origin, event } satisfies Envelope));
    } catch (err) {
      // Publishing only buffers; it fails when the connection is closing: the other dashboards miss a live update, the store has it.
      o.logger.warn('hub event not shared', { type: e.type, err: errorMessage(err) });
    }
  });
  /**
   * A replica killed between its commit and its publish never announces that
   * alarm; nor does an event published while a broker node fails. The store
   * has it: every sweep relays alarms stored in the last lookBack that this
   * process's streams have not had (late, but not missing).
   */
  let sweeping = false;
  const sweep = o.store && setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    const store = o.store!;
    // Alarms younger than a few seconds may still be on their way through their own replica's emit: not yet.
    const now = store.now();
    void store.between(now - lookBack, now - 3000).then((rows) => {
      for (const data of rows) {
        if (shown.has(data.id)) continue;
        shown.set(data.id, Date.now());
        relayed++;
        o.events.relay({ type: 'alarm.ingested', at: store.now(), data, site: data.site } as Omit<AnyHubEvent, 'seq'>);
      }
      const old = Date.now() - 2 * lookBack;
      for (const [id, at] of shown) if (at < old) shown.delete(id);
    }, (err: unknown) => o.logger.warn('stored-alarm sweep failed', { err: errorMessage(err) })).finally(() => { sweeping = false; });
  }, o.sweepMs ?? 2000);
  sweep?.unref?.();
  return {
    origin,
    relayed: () => relayed,
    async stop() {
      if (sweep) clearInterval(sweep);
      off();
      if (!o.nc.isClosed()) sub.unsubscribe();
    },
  };
}
