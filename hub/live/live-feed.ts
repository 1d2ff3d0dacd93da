import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { decodeAlarm } from '../../common/alarm.ts';
import { ALL_ALARMS, SUBJECT_PREFIX } from '../../common/subjects.ts';
import type { Logger } from '../../common/log.ts';
import { parseHeartbeat } from './heartbeat.ts';
import type { LiveState } from './live-state.ts';

export const ALL_HEALTH = `${SUBJECT_PREFIX}.health.>`;

/**
 * Feeds the live state from NATS. Core subscriptions, not a durable consumer:
 * live figures that were missed are simply older, and the durable alarm path
 * (hub ingest) stays the only one that stores or acknowledges anything.
 */
export function startLiveFeed(nc: NatsConnection, state: LiveState, logger?: Logger): { stop(): void } {
  const subs: Subscription[] = [];
  let bad = 0;
  const pump = async (sub: Subscription, apply: (data: Uint8Array) => void) => {
    for await (const m of sub) {
      try { apply(m.data); } catch (err) {
        // One bad message must not stop the feed; report now and then, not per message.
        if (bad++ % 100 === 0) logger?.warn('live feed: ignored a bad message', { subject: m.subject, err: (err as Error).message });
      }
    }
  };
  const health = nc.subscribe(ALL_HEALTH);
  const alarms = nc.subscribe(ALL_ALARMS);
  subs.push(health, alarms);
  void pump(health, (d) => { const hb = parseHeartbeat(d); if (hb) state.applyHeartbeat(hb); });
  void pump(alarms, (d) => state.applyAlarm(decodeAlarm(d)));
  return { stop: () => { for (const s of subs) s.unsubscribe(); } };
}
