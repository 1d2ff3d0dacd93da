import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { z } from 'zod';
import { errorMessage, VigilError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DispatchService } from './dispatch-service.ts';
import { ALL_ACKS } from './order.ts';

const ackRequest = z.object({
  dispatchId: z.string().min(1).max(64),
  status: z.enum(['acknowledged', 'en_route', 'on_scene']).default('acknowledged'),
}).strict();

export interface AckServer {
  stop(): Promise<void>;
}

/**
 * Units acknowledge (and report en route / on scene) with a NATS request on
 * vigil.dispatch.<unit>.ack. The unit is the subject's token: with
 * deny-by-default permissions a unit's credentials may publish only to its own
 * ack subject, so the subject is as good as a login. The reply is
 * {ok:true, state, drill?} or {ok:false, error, message}.
 */
export function serveUnitAcks(nc: NatsConnection, dispatcher: DispatchService, log: Logger): AckServer {
  // One replica answers each ack: replicas share a queue group.
  const sub: Subscription = nc.subscribe(ALL_ACKS, {
    queue: 'vigil-hub-acks',
    callback: (err, msg) => {
      if (err) { log.error('ack subscription failed', { err: errorMessage(err) }); return; }
      const unit = msg.subject.split('.')[2]!;
      void (async () => {
        let reply: Record<string, unknown>;
        try {
          const parsed = ackRequest.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
          if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            reply = { ok: false, error: 'validation', field: issue.path.join('.') || 'body', message: issue.message };
          } else {
            const d = await dispatcher.report(parsed.data.dispatchId, parsed.data.status, { name: `unit:${unit}`, role: 'unit', unit });
            // The drill is revealed once the unit is on scene, so that it can stand down.
            reply = { ok: true, dispatchId: d.id, state: d.state, ...(d.drill && d.onSceneAt !== null ? { drill: true } : {}) };
          }
        } catch (e) {
          reply = { ok: false, error: e instanceof VigilError ? e.code.toLowerCase() : 'invalid', message: errorMessage(e) };
        }
        // The report is stored either way; a reply that cannot go out (connection closing at shutdown)
        // must not become an unhandled rejection that takes the hub down. The unit retries its request.
        try {
          if (msg.reply) msg.respond(JSON.stringify(reply));
        } catch (e) {
          log.warn('cannot reply to a unit report', { unit, err: errorMessage(e) });
        }
      })();
    },
  });
  return { async stop() { await sub.drain(); } };
}
