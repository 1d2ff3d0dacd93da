import type { NatsConnection } from '@nats-io/nats-core';
import { dispatchSubject, warningSubject } from '../../common/subjects.ts';
import { TransportError } from '../../common/errors.ts';
import type { DispatchOrder } from './order.ts';

export interface OpsWarning {
  key: string;
  site: string;
  kind: string;
  entity: string;
  entityId: string;
  dueAt: string;
  raisedAt: string;
  message: string;
  detail?: Record<string, unknown>;
}

/** Where orders and warnings leave the hub. */
export interface OpsPublisher {
  order(order: DispatchOrder): Promise<void>;
  warning(warning: OpsWarning): Promise<void>;
}

/**
 * Core NATS, not JetStream: an order is only useful inside its ack window, and
 * the hub already closes the loop itself (no ack by the deadline → the next
 * unit goes and this one is marked not_responding). A stream would redeliver
 * stale orders after an outage; a unit that reconnects reads its open orders
 * from GET /api/dispatches instead. Flushing makes "published" mean "at the server".
 */
export function createNatsOpsPublisher(nc: NatsConnection): OpsPublisher {
  const send = async (subject: string, value: unknown) => {
    try {
      nc.publish(subject, JSON.stringify(value));
      await nc.flush();
    } catch (err) {
      throw new TransportError('NATS_PUBLISH', `cannot publish on ${subject}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    order: (o) => send(dispatchSubject(o.unit), o),
    warning: (w) => send(warningSubject(w.site), w),
  };
}

/** Keeps what was published, for tests and the demo without NATS. */
export function createMemoryOpsPublisher(): OpsPublisher & { orders: DispatchOrder[]; warnings: OpsWarning[] } {
  const orders: DispatchOrder[] = [];
  const warnings: OpsWarning[] = [];
  return {
    orders, warnings,
    async order(o) { orders.push(o); },
    async warning(w) { warnings.push(w); },
  };
}
