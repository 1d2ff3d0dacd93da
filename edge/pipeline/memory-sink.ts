import type { Alarm } from '../../common/alarm.ts';
import type { AlarmSink, Frame } from '../types.ts';
import type { BBox } from '../../common/geometry.ts';

export interface MemorySink extends AlarmSink {
  readonly alarms: readonly Alarm[];
  readonly evidence: readonly ({ frame: Frame; draw?: BBox[]; persons?: BBox[] } | undefined)[];
  /** wall ms at which each alarm reached the sink */
  readonly receivedAt: readonly number[];
  readonly closed: boolean;
}

/** An AlarmSink that keeps everything in arrays: for tests and benches. */
export function createMemorySink(now: () => number = Date.now): MemorySink {
  const alarms: Alarm[] = [];
  const evidence: ({ frame: Frame; draw?: BBox[]; persons?: BBox[] } | undefined)[] = [];
  const receivedAt: number[] = [];
  let closed = false;
  return {
    alarms, evidence, receivedAt,
    get closed() { return closed; },
    async send(alarm, ev) {
      alarms.push(alarm);
      evidence.push(ev);
      receivedAt.push(now());
    },
    async close() { closed = true; },
  };
}
