import { token } from './alarm.ts';
import { ValidationError } from './errors.ts';

/** NATS subjects, per shared/DESIGN.md. */
export const ALARM_STREAM = 'VIGIL_ALARMS';
export const SUBJECT_PREFIX = 'vigil';

function tok(field: string, value: string): string {
  if (!token.safeParse(value).success) throw new ValidationError(field, `"${value}" is not a valid subject token`);
  return value;
}

/** vigil.alarm.<site>.<camera>.<kind>; the kind's own dot stays, so kinds are two tokens. */
export function alarmSubject(site: string, camera: string, kind: string): string {
  return `${SUBJECT_PREFIX}.alarm.${tok('site', site)}.${tok('camera', camera)}.${kind}`;
}
export const alarmSubjectsFor = (site: string) => `${SUBJECT_PREFIX}.alarm.${tok('site', site)}.>`;
export const ALL_ALARMS = `${SUBJECT_PREFIX}.alarm.>`;

export const healthSubject = (site: string, edge: string) => `${SUBJECT_PREFIX}.health.${tok('site', site)}.${tok('edge', edge)}`;
export const dispatchSubject = (unit: string) => `${SUBJECT_PREFIX}.dispatch.${tok('unit', unit)}`;
export const DEAD_LETTER_SUBJECT = `${SUBJECT_PREFIX}.deadletter.alarm`;
export const warningSubject = (site: string) => `${SUBJECT_PREFIX}.warning.${tok('site', site)}`;

/** vigil.sensor.<site>.<sensorId>: raw readings from panic buttons, smoke detectors, door contacts, I/O modules (edge/sensors). */
export const sensorSubject = (site: string, sensor: string) => `${SUBJECT_PREFIX}.sensor.${tok('site', site)}.${tok('sensor', sensor)}`;
export const sensorSubjectsFor = (site: string) => `${SUBJECT_PREFIX}.sensor.${tok('site', site)}.*`;

/**
 * Core NATS (not JetStream): each hub replica publishes the live events it
 * emits here, so every replica's dashboards see every alarm, incident and unit
 * change. Loss in a broker failover costs a live update, never a record.
 */
export const HUB_EVENTS_SUBJECT = `${SUBJECT_PREFIX}.hub.events`;
