import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { decodeAlarm } from '../../common/alarm.ts';
import { ALL_ALARMS, SUBJECT_PREFIX } from '../../common/subjects.ts';
import type { Logger } from '../../common/log.ts';
import { ValidationError } from '../../common/errors.ts';
import { parseHeartbeat } from './heartbeat.ts';
import type { LiveState } from './live-state.ts';

export const ALL_HEALTH = `${SUBJECT_PREFIX}.health.>`;

/** vigil.health.<site>.<edge>: what NATS permissions let this edge publish, so the only trustworthy names. */
export function healthRoute(subject: string): { site: string; edge: string } | null {
  const t = subject.split('.');
  return t.length === 4 && t[0] === SUBJECT_PREFIX && t[1] === 'health' && t[2] && t[3] ? { site: t[2], edge: t[3] } : null;
}

/** vigil.alarm.<site>.<camera>.<kind, two tokens> */
export function alarmRoute(subject: string): { site: string; camera: string; kind: string } | null {
  const t = subject.split('.');
  return t.length === 6 && t[0] === SUBJECT_PREFIX && t[1] === 'alarm' && t.every(Boolean) ? { site: t[2]!, camera: t[3]!, kind: `${t[4]}.${t[5]}` } : null;
}

/**
 * Feeds the live state from NATS. Core subscriptions, not a durable consumer:
 * live figures that were missed are simply older, and the durable alarm path
 * (hub ingest) stays the only one that stores or acknowledges anything.
 *
 * Who a message is about comes from its subject, which NATS permissions tie to
 * the sender's identity, never from its body: an edge of one site cannot speak
 * for another site's cameras by naming them.
 */
export function startLiveFeed(nc: NatsConnection, state: LiveState, logger?: Logger): { stop(): void } {
  const subs: Subscription[] = [];
  let bad = 0;
  const pump = async (sub: Subscription, apply: (subject: string, data: Uint8Array) => void) => {
    for await (const m of sub) {
      try { apply(m.subject, m.data); } catch (err) {
        // One bad message must not stop the feed; report now and then, not per message.
        if (bad++ % 100 === 0) logger?.warn('live feed: ignored a bad message', { subject: m.subject, err: (err as Error).message });
      }
    }
  };
  const ended = (what: string) => (err: unknown) => logger?.error(`live feed: ${what} subscription ended`, { err: (err as Error).message });
  const health = nc.subscribe(ALL_HEALTH);
  const alarms = nc.subscribe(ALL_ALARMS);
  subs.push(health, alarms);
  pump(health, (subject, d) => {
    const from = healthRoute(subject);
    if (!from) throw new ValidationError('subject', `${subject} is not vigil.health.<site>.<edge>`);
    const hb = parseHeartbeat(d);
    if (hb) state.applyHeartbeat(from, hb);
  }).catch(ended('health'));
  pump(alarms, (subject, d) => {
    const route = alarmRoute(subject);
    const a = decodeAlarm(d);
    if (!route || route.site !== a.site || route.camera !== a.camera || route.kind !== a.kind) throw new ValidationError('subject', `${subject} does not match the alarm it carries`);
    state.applyAlarm(a);
  }).catch(ended('alarm'));
  return { stop: () => { for (const s of subs) s.unsubscribe(); } };
}
