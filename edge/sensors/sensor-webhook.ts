import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { systemClock, type Clock } from '../../common/clock.ts';
import type { SensorConfig } from '../../common/config/site.ts';
import { ValidationError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { AnalyzerOutput } from '../types.ts';
import { createSensorAlarmMapper, type SensorAlarmMapper } from './sensor-alarms.ts';
import { MAX_READING_BYTES, decodeSensorReading } from './sensor-reading.ts';
import { inlineSensorTokens } from './sensor-tokens-inline.ts';

export interface SensorWebhookOptions {
  site: string;
  sensors: readonly SensorConfig[];
  /** gets each alarm; the reading is acknowledged (202) only once this resolves */
  onAlarm: (out: AnalyzerOutput) => void | Promise<void>;
  logger: Logger;
  /**
   * per-sensor bearer tokens by sensor id. Inline tokens from the config are
   * used by default; env and file secrets need readSensorTokens (Node only),
   * which keeps this app free of Node-only APIs.
   */
  tokens?: ReadonlyMap<string, string>;
  clock?: Clock;
  /** share one mapper with the NATS ingest so that a sensor's episodes stay consistent */
  mapper?: SensorAlarmMapper;
}

/** Constant-time comparison through fixed-length digests (Web Crypto: runs on Node and Deno alike). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(given)), crypto.subtle.digest('SHA-256', enc.encode(expected))]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * `POST /sensors/:id/readings` for panic buttons, smoke detectors, door
 * contacts and I/O modules declared with `via: webhook`. Undeclared sensors
 * (404), a missing or wrong per-sensor bearer token (401) and bad bodies (400,
 * naming the field) are refused and logged, never with the token.
 */
export function createSensorWebhook(options: SensorWebhookOptions): Hono {
  const o = Object.freeze({ ...options });
  const byId = new Map(o.sensors.map((s) => [s.id, s] as const));
  const tokens = o.tokens ?? inlineSensorTokens(o.sensors);
  const mapper = o.mapper ?? createSensorAlarmMapper({ clock: o.clock ?? systemClock });
  const logger = o.logger.child({ site: o.site, via: 'webhook' });
  for (const s of o.sensors) {
    if (s.via === 'webhook' && !tokens.get(s.id)) logger.warn('webhook sensor has no token; all its readings will be refused', { sensor: s.id });
  }

  const refuse = (status: 400 | 401 | 404 | 413, sensor: string, field: string, error: string) => {
    logger.warn('sensor reading refused', { sensor, status, field, reason: error });
    return { status, body: { error, field } };
  };

  const app = new Hono();
  app.use('*', secureHeaders());
  app.post(
    '/sensors/:id/readings',
    bodyLimit({ maxSize: MAX_READING_BYTES, onError: (c) => { const r = refuse(413, c.req.param('id') ?? '?', 'body', `larger than ${MAX_READING_BYTES} bytes`); return c.json(r.body, r.status); } }),
    async (c) => {
      const id = c.req.param('id');
      const sensor = byId.get(id);
      if (!sensor || sensor.via !== 'webhook') {
        const r = refuse(404, id, 'id', sensor ? `sensor ${id} is not declared for the webhook (via: ${sensor.via})` : `sensor ${id} is not declared in site ${o.site}`);
        return c.json(r.body, r.status);
      }
      const expected = tokens.get(id);
      const auth = c.req.header('authorization') ?? '';
      const given = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
      if (!expected || !given || !(await sameSecret(given, expected))) {
        const r = refuse(401, id, 'authorization', given ? 'wrong bearer token' : 'missing bearer token');
        c.header('WWW-Authenticate', 'Bearer realm="vigil-sensors"');
        return c.json(r.body, r.status);
      }
      let reading;
      try {
        reading = decodeSensorReading(await c.req.text());
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const r = refuse(400, id, err.field, err.message);
        return c.json(r.body, r.status);
      }
      const r = await mapper.serial(id, async () => {
        const step = mapper.handle(sensor, reading, 'webhook');
        if (!step) return { ok: true as const, out: null };
        try {
          await o.onAlarm(step.out);
        } catch (err) {
          logger.error('sensor alarm could not be stored', { sensor: id, error: err });
          return { ok: false as const, out: null };
        }
        step.commit();
        return { ok: true as const, out: step.out };
      });
      // not stored: the sensor must retry, so say so rather than acknowledge
      if (!r.ok) return c.json({ error: 'not stored; retry' }, 503);
      const out = r.out;
      return c.json({ accepted: true, alarm: out ? { id: out.alarm.id, state: out.alarm.state, episode: out.alarm.episode } : null }, 202);
    },
  );
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((err, c) => {
    logger.error('sensor webhook failed', { error: err });
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
