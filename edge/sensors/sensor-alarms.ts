import { newAlarmId } from '../../common/alarm.ts';
import type { Clock } from '../../common/clock.ts';
import type { SensorConfig } from '../../common/config/site.ts';
import type { AnalyzerOutput } from '../types.ts';
import type { SensorReading } from './sensor-reading.ts';

export type SensorSource = 'webhook' | 'nats';

export interface SensorAlarmMapper {
  /**
   * The alarm a reading makes, or null when it changes nothing (active while
   * already raised, inactive while clear). Nothing changes until commit():
   * call it once the alarm is stored, so that a failed store can be retried.
   */
  handle(sensor: SensorConfig, reading: SensorReading, source: SensorSource): { out: AnalyzerOutput; commit(): void } | null;
  /** runs fn after every earlier call for the same key: one reading per sensor at a time */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T>;
  readonly open: number;
}

/**
 * `sensor.<type>` alarms from declared sensors: raised on active, cleared on
 * inactive, the two sharing an episode. The alarm's `camera` is the sensor id,
 * as the alarm schema asks for non-camera sensors.
 */
export function createSensorAlarmMapper(opts: { clock: Clock }): SensorAlarmMapper {
  const open = new Map<string, string>();
  const queues = new Map<string, Promise<unknown>>();
  return {
    get open() { return open.size; },
    serial(key, fn) {
      const prev = queues.get(key) ?? Promise.resolve();
      const next = prev.then(fn, fn);
      const tail = next.catch(() => undefined);
      queues.set(key, tail);
      void tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
      return next;
    },
    handle(sensor, reading, source) {
      const episode = open.get(sensor.id);
      if (reading.state === 'active' && episode) return null;
      if (reading.state === 'inactive' && !episode) return null;
      const now = opts.clock.now();
      const ep = episode ?? `ep-${newAlarmId(now)}`;
      const commit = () => { if (reading.state === 'active') open.set(sensor.id, ep); else open.delete(sensor.id); };
      const payload = { ...reading.payload, ...(reading.value !== undefined ? { value: reading.value } : {}) };
      return { commit, out: {
        alarm: {
          id: newAlarmId(now),
          kind: `sensor.${sensor.type}`,
          state: reading.state === 'active' ? 'raised' : 'cleared',
          severity: sensor.severity,
          camera: sensor.id,
          zone: sensor.zone ?? null,
          episode: ep,
          capturedAt: reading.at ?? new Date(now).toISOString(),
          mediaTime: null,
          message: `${sensor.name ?? sensor.id} ${reading.state}`,
          sensor: { sensorId: sensor.id, type: sensor.type, source, ...(Object.keys(payload).length ? { payload } : {}) },
        },
      } };
    },
  };
}
