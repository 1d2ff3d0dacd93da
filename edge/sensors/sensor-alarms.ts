import { newAlarmId } from '../../common/alarm.ts';
import type { Clock } from '../../common/clock.ts';
import type { SensorConfig } from '../../common/config/site.ts';
import type { AnalyzerOutput } from '../types.ts';
import type { SensorReading } from './sensor-reading.ts';
import { createEpisode, type Episode } from '../rules/episode.ts';

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
  // Episodes per sensor (edge/rules/episode.ts): a reading is an event, so no durations.
  const episodes = new Map<string, Episode>();
  let minted = '';
  const episodeOf = (id: string) => {
    let e = episodes.get(id);
    if (!e) episodes.set(id, (e = createEpisode({ newEpisode: () => minted })));
    return e;
  };
  const queues = new Map<string, Promise<unknown>>();
  return {
    get open() { return [...episodes.values()].filter((e) => e.open).length; },
    serial(key, fn) {
      const prev = queues.get(key) ?? Promise.resolve();
      const next = prev.then(fn, fn);
      const tail = next.catch(() => undefined);
      queues.set(key, tail);
      void tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
      return next;
    },
    handle(sensor, reading, source) {
      const e = episodeOf(sensor.id);
      if (reading.state === 'active' && e.open) return null;
      if (reading.state === 'inactive' && !e.open) return null;
      const now = opts.clock.now();
      const ep = e.episode ?? `ep-${newAlarmId(now)}`;
      // Nothing changes until the alarm is stored: then the episode opens (with the id the alarm carries) or closes.
      const commit = () => {
        if (reading.state === 'active') { minted = ep; e.raiseNow(now / 1000); } else { e.clearNow(now / 1000); episodes.delete(sensor.id); }
      };
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
