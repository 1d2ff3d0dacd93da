export { createSensorWebhook, type SensorWebhookOptions } from './sensor-webhook.ts';
export { createNatsSensorIngest, type NatsSensorIngest, type NatsSensorIngestOptions } from './sensor-nats.ts';
export { createSensorAlarmMapper, type SensorAlarmMapper } from './sensor-alarms.ts';
export { sensorReadingSchema, parseSensorReading, decodeSensorReading, type SensorReading } from './sensor-reading.ts';
export { readSensorTokens } from './sensor-tokens.ts';
