import type { Dispatch } from './dispatch/dispatch-store.ts';
import type { OpsWarning } from './dispatch/publisher.ts';
import type { FloodSummary } from './alarms/flood-guard.ts';

/**
 * The hub's in-process change feed: the SSE stream, the dispatch service, the
 * metrics and the notifier all listen here. Events are emitted after the
 * change has committed. Every event the hub emits is listed in HubEventMap.
 */
export interface IncidentSummary {
  id: string;
  site: string;
  zone: string;
  kind: string;
  status: string;
  severity: string;
  alarmCount: number;
  escalationLevel: number;
  /** the alarm policy's outcome: incident, or dispatch (units go by themselves) */
  outcome: 'incident' | 'dispatch';
  /** whose board: operator or engineer */
  assignedRole: 'operator' | 'engineer';
  /** null while only "alarm raised"; I–IV once the plan is activated */
  planLevel: string | null;
  acknowledged: boolean;
}

export type IncidentChange = 'alarm' | 'escalated' | 'cleared' | 'transition' | 'activated' | 'acknowledged' | 'all_cleared' | 'unacknowledged';

export interface HubEventMap {
  'alarm.ingested': {
    id: string; site: string; camera: string; zone: string | null; kind: string; state: string; severity: string; capturedAtMs: number; incidentId: string | null;
    /** feed, incident or dispatch */
    outcome: string;
    /** flood, shelved or out_of_service: stored, not shown one by one */
    suppressed: string | null;
  };
  /** the flood guard's summary of a source that goes over its limit (instead of many alarms) */
  'alarm.flood': FloodSummary;
  /** alarms acknowledged, one or all of an incident's */
  'alarm.acknowledged': { ids: string[]; incidentId: string | null; actor: string; site: string };
  /** a source shelved, returned from the shelf (by hand or at its time), put out of service or returned to it */
  'suppression.changed': { id: string; type: string; site: string; source: string; kind: string | null; state: 'active' | 'ended'; untilMs: number | null; actor: string };
  'incident.created': { incident: IncidentSummary; alarmId: string };
  'incident.updated': { incident: IncidentSummary; change: IncidentChange; alarmId?: string; from?: string; to?: string; actor?: string; level?: string };
  'dispatch.sent': { dispatch: Dispatch; rank: number; reason: 'auto' | 'manual' | 'escalation' | 'top_up' };
  'dispatch.updated': { dispatch: Dispatch; from: string };
  'dispatch.not_responding': { dispatch: Dispatch; replacedBy: string | null };
  'unit.updated': { unit: string; site: string; status: string };
  'report.submitted': { incidentId: string; kind: string; late: boolean };
  /**
   * Drill traffic never travels as dispatch.* with a unit route, because unit
   * logins see their own unit's events on the stream and a drill must stay
   * unannounced; it goes out as drill.* to command roles only.
   */
  'drill.updated': { drillId: string; unit: string; state: string };
  'warning.raised': OpsWarning;
  'notification.updated': { id: string; webhook: string; event: string; site: string; state: string; attempts: number };
}

export type HubEventType = keyof HubEventMap & string;

export interface HubEvent<T extends HubEventType = HubEventType> {
  type: T;
  /** ms since the epoch, from the hub clock */
  at: number;
  /** monotonically increasing per hub process; the SSE event id */
  seq: number;
  data: HubEventMap[T];
  /**
   * Routing hints for role filtering: the site it concerns and, for a unit's own
   * traffic, the unit id. Events without `unit` are not shown to unit logins
   * unless their type is in UNIT_VISIBLE.
   */
  site?: string;
  unit?: string;
}

export type AnyHubEvent = { [T in HubEventType]: HubEvent<T> }[HubEventType];
export type Listener<T extends HubEventType> = (event: HubEvent<T>) => void;

export interface HubEvents {
  emit<T extends HubEventType>(type: T, data: HubEventMap[T], route?: { site?: string; unit?: string }): HubEvent<T>;
  on<T extends HubEventType>(type: T | '*', listener: (event: T extends HubEventType ? HubEvent<T> : AnyHubEvent) => void): () => void;
  /**
   * An event another hub replica emitted (hub/live/event-fanout.ts): it reaches
   * the subscribe() streams (dashboards) only, never on() listeners, because
   * the replica that emitted it already did that event's work (dispatch,
   * notifications, metrics). It gets this process's next seq.
   */
  relay(event: Omit<AnyHubEvent, 'seq'>): void;
  /** An async iterator over every event (optionally filtered); a slow reader drops the oldest events past `maxQueue`. */
  subscribe(options?: { filter?: (e: AnyHubEvent) => boolean; maxQueue?: number; signal?: AbortSignal }): AsyncIterableIterator<AnyHubEvent> & { dropped(): number; close(): void };
}

export function createHubEvents(options: { now?: () => number; onListenerError?: (err: unknown, type: string) => void } = {}): HubEvents {
  const now = options.now ?? (() => Date.now());
  const listeners = new Map<string, Set<(e: AnyHubEvent) => void>>();
  const streams = new Set<(e: AnyHubEvent) => void>();
  let seq = 0;

  const add = (type: string, fn: (e: AnyHubEvent) => void) => {
    let set = listeners.get(type);
    if (!set) listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => { set.delete(fn); };
  };

  const events: HubEvents = {
    emit(type, data, route) {
      const event = { type, at: now(), seq: ++seq, data, ...(route?.site ? { site: route.site } : {}), ...(route?.unit ? { unit: route.unit } : {}) } as HubEvent<typeof type>;
      for (const key of [type, '*']) {
        for (const fn of listeners.get(key) ?? []) {
          // A failing listener must not stop the others, nor the writer that emitted.
          try { fn(event as AnyHubEvent); } catch (err) { options.onListenerError?.(err, type); }
        }
      }
      for (const fn of streams) fn(event as AnyHubEvent);
      return event;
    },
    relay(e) {
      const event = { ...e, seq: ++seq } as AnyHubEvent;
      for (const fn of streams) fn(event);
    },
    on(type, listener) {
      return add(type, listener as (e: AnyHubEvent) => void);
    },
    subscribe({ filter, maxQueue = 1000, signal } = {}) {
      const queue: AnyHubEvent[] = [];
      let wake: ((r: IteratorResult<AnyHubEvent>) => void) | null = null;
      let done = false;
      let dropped = 0;
      const close = () => {
        if (done) return;
        done = true;
        off();
        signal?.removeEventListener('abort', close);
        wake?.({ value: undefined, done: true });
        wake = null;
      };
      const push = (e: AnyHubEvent) => {
        if (done || (filter && !filter(e))) return;
        if (wake) { const w = wake; wake = null; w({ value: e, done: false }); return; }
        queue.push(e);
        if (queue.length > maxQueue) { queue.shift(); dropped++; }
      };
      streams.add(push);
      const off = () => { streams.delete(push); };
      signal?.addEventListener('abort', close, { once: true });
      if (signal?.aborted) close();
      const it: AsyncIterableIterator<AnyHubEvent> & { dropped(): number; close(): void } = {
        next() {
          if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
          if (done) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => { wake = resolve; });
        },
        return() { close(); return Promise.resolve({ value: undefined, done: true }); },
        [Symbol.asyncIterator]() { return it; },
        dropped: () => dropped,
        close,
      };
      return it;
    },
  };
  return events;
}
