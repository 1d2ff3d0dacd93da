import { dispatchSubject } from '../../common/subjects.ts';
import type { MapLocation } from './location.ts';

/** Version 1 of the order a unit receives on vigil.dispatch.<unit>. */
export interface DispatchOrder {
  v: 1;
  dispatchId: string;
  incident: string;
  site: string;
  unit: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  location: MapLocation | null;
  /** evidence frame reference (Object Store bucket/name), never image bytes */
  snapshot: { bucket: string; name: string } | null;
  /** what is known: the latest alarm's message and measures, the incident's counts */
  known: Record<string, unknown>;
  distance: number | null;
  etaS: number | null;
  orderedAt: string;
  /** acknowledge before this, or the hub sends the next nearest unit */
  ackBy: string;
  /** the plan's on-scene target */
  onSceneBy: string;
  /** where to send a NATS request to acknowledge or report progress */
  ackSubject: string;
}

export const ackSubject = (unit: string) => `${dispatchSubject(unit)}.ack`;
/** The hub listens here for every unit's acknowledgements. */
export const ALL_ACKS = 'vigil.dispatch.*.ack';

/** A unit's request on vigil.dispatch.<unit>.ack. */
export interface AckRequest {
  dispatchId: string;
  /** @default "acknowledged" */
  status?: 'acknowledged' | 'en_route' | 'on_scene';
}
