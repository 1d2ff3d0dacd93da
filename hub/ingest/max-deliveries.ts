import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { errorMessage } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DeadLetter } from './dead-letter.ts';

/**
 * JetStream gives up on a message after max_deliver deliveries and says so
 * only in an advisory. Without a watcher that message is gone from the hub's
 * view for good. This turns each advisory into a dead letter carrying the
 * message itself and the reason its last handling failed.
 */
export const maxDeliveriesSubject = (stream: string, durable: string) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${durable}`;

export interface MaxDeliveriesWatcherOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  stream: string;
  durable: string;
  now: () => number;
  logger: Logger;
  /** why the message failed last, as the consumer saw it (undefined when it does not know) */
  lastError: (streamSeq: number) => string | undefined;
  /** stores and publishes the dead letter; may throw (the store is down): it is retried */
  deadLetter: (d: DeadLetter) => Promise<void>;
}

export interface MaxDeliveriesWatcher {
  /** dead letters waiting for the store to take them */
  readonly pending: number;
  /** writes what is waiting (called when the store is back) */
  flush(): Promise<void>;
  stop(): void;
}

const MAX_PENDING = 10_000;

export function watchMaxDeliveries(o: MaxDeliveriesWatcherOptions): MaxDeliveriesWatcher {
  const pending: DeadLetter[] = [];
  let flushing: Promise<void> | null = null;
  const flush = (): Promise<void> => (flushing ??= (async () => {
    try {
      while (pending.length) {
        await o.deadLetter(pending[0]!);
        pending.shift();
      }
    } catch (err) {
      o.logger.warn('cannot store a max-deliveries dead letter yet; kept to retry', { pending: pending.length, err: errorMessage(err) });
    } finally {
      flushing = null;
    }
  })());

  const handle = async (data: Uint8Array) => {
    let adv: { stream_seq?: unknown; deliveries?: unknown };
    try { adv = JSON.parse(new TextDecoder().decode(data)); } catch (err) {
      o.logger.warn('unreadable max-deliveries advisory', { err: errorMessage(err) });
      return;
    }
    const seq = Number(adv.stream_seq);
    if (!Number.isSafeInteger(seq) || seq < 1) return;
    const deliveries = Number(adv.deliveries) || null;
    let subject = '(unknown)';
    let payload: Uint8Array = new Uint8Array();
    let msgId: string | null = null;
    try {
      const m = await o.jsm.streams.getMessage(o.stream, { seq });
      if (m) { subject = m.subject; payload = m.data; msgId = m.header?.get('Nats-Msg-Id') || null; }
    } catch (err) {
      // The stream may have aged it out already: the dead letter still records that it was lost.
      o.logger.warn('cannot read the message that ran out of deliveries', { seq, err: errorMessage(err) });
    }
    const last = o.lastError(seq);
    const reason = `max deliveries reached${deliveries ? ` (${deliveries})` : ''}: ${last ?? 'no handling error recorded (the hub was not running or did not finish it)'}`;
    o.logger.error('alarm ran out of deliveries; dead-lettered', { seq, subject, reason });
    if (pending.length >= MAX_PENDING) pending.shift();
    pending.push({ atMs: o.now(), subject, streamSeq: seq, msgId, reason, payload });
    await flush();
  };

  const sub: Subscription = o.nc.subscribe(maxDeliveriesSubject(o.stream, o.durable), {
    callback: (err, msg) => {
      if (err) { o.logger.error('max-deliveries advisory subscription failed', { err: errorMessage(err) }); return; }
      handle(msg.data).catch((e) => o.logger.error('max-deliveries advisory not handled', { err: errorMessage(e) }));
    },
  });
  return {
    get pending() { return pending.length; },
    flush,
    stop: () => sub.unsubscribe(),
  };
}
