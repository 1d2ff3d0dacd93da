import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { systemClock, type Clock } from '../../common/clock.ts';
import type { SensorConfig } from '../../common/config/site.ts';
import { errorMessage, ValidationError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { sensorSubjectsFor } from '../../common/subjects.ts';
import type { AnalyzerOutput } from '../types.ts';
import { createSensorAlarmMapper, type SensorAlarmMapper } from './sensor-alarms.ts';
import { decodeSensorReading } from './sensor-reading.ts';

export interface NatsSensorIngestOptions {
  nc: NatsConnection;
  site: string;
  sensors: readonly SensorConfig[];
  onAlarm: (out: AnalyzerOutput) => void | Promise<void>;
  logger: Logger;
  clock?: Clock;
  mapper?: SensorAlarmMapper;
}

export interface NatsSensorIngest {
  readonly subject: string;
  /** readings accepted and refused so far */
  readonly counts: { accepted: number; refused: number };
  close(): Promise<void>;
}

/**
 * Readings on vigil.sensor.<site>.<sensorId> from sensors declared with
 * `via: nats`. Who may publish there is NATS's job (per-sensor credentials,
 * deny by default); here undeclared sensors and bad bodies are refused and
 * logged, and a request with a reply subject gets the verdict back.
 */
export function createNatsSensorIngest(options: NatsSensorIngestOptions): NatsSensorIngest {
  const o = Object.freeze({ ...options });
  const byId = new Map(o.sensors.map((s) => [s.id, s] as const));
  const mapper = o.mapper ?? createSensorAlarmMapper({ clock: o.clock ?? systemClock });
  const logger = o.logger.child({ site: o.site, via: 'nats' });
  const subject = sensorSubjectsFor(o.site);
  const prefix = subject.slice(0, -1);
  const counts = { accepted: 0, refused: 0 };
  const enc = new TextEncoder();
  // A reply is a courtesy: if it cannot go out (the connection is closing), say so in the log and
  // carry on, rather than reject the chain and leave every later reading behind an unhandled rejection.
  const answer = (reply: string | undefined, body: object) => {
    if (!reply) return;
    try { o.nc.publish(reply, enc.encode(JSON.stringify(body))); } catch (err) { logger.warn('sensor reply not sent', { reply, error: err }); }
  };
  let chain: Promise<void> = Promise.resolve();

  const sub: Subscription = o.nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) { logger.error('sensor subscription failed', { error: err }); return; }
      // in order, one at a time: raised must not overtake cleared for the same sensor
      chain = chain.then(async () => {
        const id = msg.subject.slice(prefix.length);
        const refuse = (field: string, reason: string) => {
          counts.refused += 1;
          logger.warn('sensor reading refused', { sensor: id, field, reason });
          answer(msg.reply, { ok: false, error: reason, field });
        };
        const sensor = byId.get(id);
        if (!sensor) return refuse('sensor', `sensor ${id} is not declared in site ${o.site}`);
        if (sensor.via !== 'nats') return refuse('sensor', `sensor ${id} is not declared for nats (via: ${sensor.via})`);
        let reading;
        try { reading = decodeSensorReading(msg.data); } catch (e) {
          if (e instanceof ValidationError) return refuse(e.field, e.message);
          throw e;
        }
        const step = mapper.handle(sensor, reading, 'nats');
        if (step) { await o.onAlarm(step.out); step.commit(); }
        const out = step?.out;
        counts.accepted += 1;
        answer(msg.reply, { ok: true, alarm: out ? { id: out.alarm.id, state: out.alarm.state, episode: out.alarm.episode } : null });
      }).catch((e) => {
        logger.error('sensor reading could not be handled', { subject: msg.subject, error: e });
        answer(msg.reply, { ok: false, error: `not stored: ${errorMessage(e)}` });
      });
    },
  });
  logger.info('listening for sensor readings', { subject });

  return {
    subject,
    get counts() { return { ...counts }; },
    async close() {
      await sub.drain();
      await chain;
    },
  };
}
