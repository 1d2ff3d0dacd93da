import type { Alarm } from '../../../common/alarm.ts';

let n = 0;
/** A valid crowd alarm; override what the test is about. */
export function crowdAlarm(over: Partial<Alarm> & { density?: number } = {}): Alarm {
  const { density = 2.5, ...rest } = over;
  n++;
  return {
    v: 1,
    id: `alarm-${process.pid}-${n}-${Math.random().toString(36).slice(2, 10)}`,
    kind: 'crowd.density',
    state: 'raised',
    severity: 'warning',
    site: 'metro',
    camera: 'cam1',
    zone: 'platform',
    episode: `ep-${n}`,
    capturedAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 0)).toISOString(),
    mediaTime: null,
    edge: 'edge1',
    crowd: { count: density * 50, density, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: 'warning', threshold: 2, areaM2: 50 },
    ...rest,
  } as Alarm;
}

export function at(baseMs: number, offsetS: number): string {
  return new Date(baseMs + offsetS * 1000).toISOString();
}
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
