import { siteSchema, type SensorConfig } from '../../../common/config/site.ts';

/** The sensors of a test site, checked by the real site schema. */
export function testSensors(): SensorConfig[] {
  process.env.VIGIL_TEST_SMOKE_TOKEN = 'smoke-token-from-env';
  return siteSchema.parse({
    site: { id: 'metro', name: 'Metro' },
    sensors: [
      { id: 'panic-1', type: 'panic', zone: 'concourse', via: 'webhook', token: 'panic-secret-123', severity: 'critical' },
      { id: 'smoke-2', type: 'smoke', via: 'webhook', token: { env: 'VIGIL_TEST_SMOKE_TOKEN' } },
      { id: 'door-3', type: 'door', zone: 'exit', via: 'nats' },
      { id: 'io-4', type: 'input', via: 'nats' },
      { id: 'notoken-5', type: 'panic', via: 'webhook' },
    ],
  }).sensors;
}
